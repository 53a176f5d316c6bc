package wxfake

import (
	"errors"
	"net"
	"net/http"
	"strings"
)

// real holds the ways web WeChat (UOS mode) behaves that a friendly fake would not: a
// network that fails, bans right after a scan, "too often", QR codes that expire, remark
// names it does not keep, members without names, groups it forgets unless saved to the
// contacts, and the cookies it checks per host.
type real struct {
	// down makes every request fail as a dropped network does; attempts counts them.
	down     bool
	attempts int
	// kickAfterScan is the code (1101, 1102) synccheck answers to the first heartbeat of a
	// login confirmed by a scan, as WeChat does to accounts it restricts; 0 for none.
	kickAfterScan int
	// tooOften is how many sends in a row are answered 1205 ("operate too often").
	tooOften int
	// dropRemarks makes WeChat answer Ret 0 to a remark name and keep nothing.
	dropRemarks bool
	// cookieMisses counts requests that came without the login's cookies for their host.
	cookieMisses int
}

// errNetworkDown is what a request meets while the network is down.
var errNetworkDown = &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("wxfake: network is unreachable")}

// NetworkDown makes every request fail before it reaches the server, as when the link is
// down; NetworkDown(false) brings it back.
func (s *Server) NetworkDown(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = on
	s.notify()
}

// Attempts reports how many requests the client tried, those that failed on a down network
// included.
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// networkDown counts an attempt and fails it while the network is down.
func (s *Server) networkDown() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	if s.down {
		return errNetworkDown
	}
	return nil
}

// KickAfterScan makes WeChat end every login confirmed by a scan at its first heartbeat with
// code (1102 "kicked", as it does to accounts it warns or bans since 2025); 0 stops it.
func (s *Server) KickAfterScan(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kickAfterScan = code
}

// TooOften makes WeChat answer the next n sends with 1205, "operate too often".
func (s *Server) TooOften(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tooOften = n
}

// DropRemarks makes WeChat accept remark names (Ret 0) and keep none of them, as it does
// since remark names set by web clients stopped working; DropRemarks(false) keeps them.
func (s *Server) DropRemarks(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropRemarks = on
}

// ExpireQR ends the QR code shown now, as WeChat does after a few minutes unscanned: the
// login poll answers 400 and the client must ask for a new one.
func (s *Server) ExpireQR() {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.qrs, s.lastQR)
	s.lastQR = ""
	s.notify()
}

// HideMemberNames makes a group's member list come without nicknames or display names, as
// web WeChat sends it for many groups; each person's own details still carry their nickname.
func (s *Server) HideMemberNames(groupID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[groupID].hideNames = true
}

// SetSaved sets whether a group is saved to the contacts (保存到通讯录). An unsaved group is
// not in the contact list; after a new login it is only in the init answer's ChatSet while
// it had messages recently (SetRecent).
func (s *Server) SetSaved(groupID string, saved bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[groupID].unsaved = !saved
}

// SetRecent sets whether a group counts among the recent chats that the init answer's
// ChatSet names.
func (s *Server) SetRecent(groupID string, recent bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[groupID].quiet = !recent
}

// SetSignature sets a person's signature (what WeChat shows under their name).
func (s *Server) SetSignature(personID, sig string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.people[personID].signature = sig
}

// SetNick changes a person's nickname, as they may do at any time.
func (s *Server) SetNick(personID, nick string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.people[personID].nick = nick
}

// CookieMisses reports how many requests came without the login's cookies for their host.
func (s *Server) CookieMisses() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cookieMisses
}

// cookiesFit checks that a request to the base host carries the cookie the login set for
// that host (a client keeps cookies per host, and a hot login restores them so). Callers
// hold s.mu.
func (s *Server) cookiesFit(r *http.Request, endpoint string) bool {
	if endpoint != "webwxinit" && endpoint != "webwxgetmsgimg" || s.sess == nil {
		return true
	}
	c, err := r.Cookie("wxsid")
	return err == nil && c.Value == s.sess.sid
}

// PushQuote delivers, from a member of a group (or privately when groupID is ""), a quote
// as web WeChat sends it: plain text, the quoted message's sender as the quoting person sees
// them (their remark name for the sender, if they set one), a dashed line, the answer.
func (s *Server) PushQuote(groupID, from, quotedName, quoted, answer string) string {
	text := "「" + quotedName + "：" + quoted + "」\n- - - - - - - - - - - - - - -\n" + answer
	if groupID == "" {
		return s.PushText(from, text)
	}
	return s.PushGroupText(groupID, from, text)
}

// QuoteOfQuote is what a quote of a message that itself quoted looks like in the quoted
// part: the inner message comes as raw app-message XML with its answer in the title.
func QuoteOfQuote(answer string) string {
	return `<msg><appmsg appid="" sdkver="0"><title>` + strings.ReplaceAll(answer, "<", "&lt;") +
		`</title><des></des><type>57</type><refermsg><type>1</type></refermsg></appmsg></msg>`
}
