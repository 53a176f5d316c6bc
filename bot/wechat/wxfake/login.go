package wxfake

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"
)

// session is a login WeChat accepted; dead is the code synccheck answers once it ended
// (1101 logged out, 1102 kicked), 0 while it works.
type session struct {
	sid, skey, passTicket string
	dead                  int
	inits                 int
	// kick is the code the first heartbeat ends the login with (KickAfterScan), 0 for none.
	kick int
}

type logins struct {
	// qrs are the login uuids handed out, by uuid: false until the scan is confirmed.
	qrs      map[string]bool
	lastQR   string
	tickets  map[string]string // redirect ticket → uuid
	sess     *session
	shown    int
	scans    int
	hot      int
	desktop  bool
	stalled  bool
	badModes []string
}

func (l *logins) init() { l.qrs, l.tickets = map[string]bool{}, map[string]string{} }

// QRShown reports how many login QR codes (uuids) the bot asked for.
func (s *Server) QRShown() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shown
}

// ConfirmScan confirms the newest QR code as if the account's phone scanned it and pressed
// "log in", waiting up to WaitTimeout for the bot to ask for one. It fails the test if none
// comes.
func (s *Server) ConfirmScan() {
	s.t.Helper()
	var uuid string
	ok := s.Wait(WaitTimeout, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		uuid = s.lastQR
		confirmed, ok := s.qrs[uuid]
		return ok && !confirmed
	})
	if !ok {
		s.t.Fatal("wxfake: no QR code waiting to be scanned")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.qrs[uuid] = true
	s.notify()
}

// ScanLogins reports how many logins a QR scan confirmed; HotLogins how many times the bot
// came back with a kept session that was still good.
func (s *Server) ScanLogins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scans
}

// HotLogins: see ScanLogins.
func (s *Server) HotLogins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hot
}

// LoggedIn reports whether a login is working now.
func (s *Server) LoggedIn() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sess != nil && s.sess.dead == 0 && s.sess.inits > 0
}

// Kick ends the login as WeChat does when the account logs in elsewhere or the phone ends
// it: synccheck answers retcode code (1101, 1102, …) and the kept session is refused.
func (s *Server) Kick(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess != nil {
		s.sess.dead = code
	}
	s.notify()
}

// Stall makes synccheck hang without answering, like a connection that silently died;
// Stall(false) lets it answer again.
func (s *Server) Stall(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stalled = on
	s.notify()
}

// DesktopMode reports whether every login came in Desktop (UOS) mode, with the names of the
// checks that failed otherwise.
func (s *Server) DesktopMode() (bool, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.desktop && len(s.badModes) == 0, s.badModes
}

func (s *Server) jslogin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.desktop = strings.Contains(q.Get("redirect_uri"), "mod=desktop")
	if !s.desktop {
		s.badModes = append(s.badModes, "jslogin redirect_uri without mod=desktop")
	}
	uuid := "wx" + randomHex(6)
	s.qrs[uuid], s.lastQR = false, uuid
	s.shown++
	s.notify()
	fmt.Fprintf(w, `window.QRLogin.code = 200; window.QRLogin.uuid = "%s";`, uuid)
}

// qrcode serves the QR image of the phone's login link, as login.weixin.qq.com does.
func (s *Server) qrcode(w http.ResponseWriter, r *http.Request) {
	uuid := strings.TrimPrefix(r.URL.Path, "/qrcode/")
	if _, ok := s.qrs[uuid]; !ok {
		http.NotFound(w, r)
		return
	}
	png, err := qrcode.Encode("https://login.weixin.qq.com/l/"+uuid, qrcode.Medium, 256)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(png)
}

// checkLogin is the login long poll: 408 while waiting, 200 with the redirect once scanned.
func (s *Server) checkLogin(w http.ResponseWriter, r *http.Request) {
	uuid := r.URL.Query().Get("uuid")
	if _, ok := s.qrs[uuid]; !ok {
		fmt.Fprint(w, `window.code=400;`)
		return
	}
	if !s.await(r, func() bool { return s.qrs[uuid] }) {
		fmt.Fprint(w, `window.code=408;`)
		return
	}
	ticket := randomHex(8)
	s.tickets[ticket] = uuid
	delete(s.qrs, uuid)
	if s.lastQR == uuid {
		s.lastQR = ""
	}
	fmt.Fprintf(w, "window.code=200;\nwindow.redirect_uri=\"https://%s/cgi-bin/mmwebwx-bin/webwxnewloginpage?ticket=%s&uuid=%s&lang=zh_CN&scan=%d\";",
		BaseHost, ticket, uuid, time.Now().Unix())
}

// newLoginPage turns the redirect's ticket into a session; only a Desktop-mode client (its
// two extra headers) is let in, as WeChat refuses web logins for most accounts.
func (s *Server) newLoginPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Header.Get("client-version") == "" || r.Header.Get("extspam") == "" {
		s.badModes = append(s.badModes, "webwxnewloginpage without the UOS headers")
		fmt.Fprint(w, `<error><ret>1203</ret><message>为了你的帐号安全，此微信号不能登录网页微信。</message></error>`)
		return
	}
	if _, ok := s.tickets[q.Get("ticket")]; !ok || q.Get("version") != "v2" {
		fmt.Fprint(w, `<error><ret>1</ret><message>ticket invalid</message></error>`)
		return
	}
	delete(s.tickets, q.Get("ticket"))
	s.sess = &session{sid: randomHex(8), skey: "@crypt_" + randomHex(8), passTicket: randomHex(12), kick: s.kickAfterScan}
	s.scans++
	s.renameAll()
	for _, c := range []string{"wxuin=" + fmt.Sprint(BotUin), "wxsid=" + s.sess.sid, "webwx_data_ticket=" + randomHex(8)} {
		w.Header().Add("Set-Cookie", c+"; Domain=."+BaseHost+"; Path=/")
	}
	s.notify()
	fmt.Fprintf(w, `<error><ret>0</ret><message></message><skey>%s</skey><wxsid>%s</wxsid><wxuin>%d</wxuin><pass_ticket>%s</pass_ticket><isgrayscale>1</isgrayscale></error>`,
		s.sess.skey, s.sess.sid, BotUin, s.sess.passTicket)
}

// live reports whether a BaseRequest belongs to the working session; callers hold s.mu.
func (s *Server) live(b baseRequest) bool {
	return s.sess != nil && s.sess.dead == 0 && b.Uin == BotUin && b.Sid == s.sess.sid && b.Skey == s.sess.skey
}

func (s *Server) liveSkey(skey string) bool {
	return s.sess != nil && s.sess.dead == 0 && skey == s.sess.skey
}

// webInit answers the session's first init (after a scan) and every hot login after it.
func (s *Server) webInit(w http.ResponseWriter, body []byte) {
	var req struct{ BaseRequest baseRequest }
	if !s.decode(body, &req) {
		return
	}
	if !s.live(req.BaseRequest) {
		writeJSON(w, map[string]any{"BaseResponse": ret(1101)})
		return
	}
	if s.sess.inits++; s.sess.inits > 1 {
		s.hot++
	}
	// ContactList holds a few saved contacts; ChatSet names the recent chats, where a group
	// not saved to the contacts is found, if it had messages lately.
	recent, chatSet := []any{}, []string{}
	for _, g := range s.groupsInOrder() {
		if !g.unsaved {
			recent = append(recent, s.groupUser(g, false))
		}
		if !g.unsaved || !g.quiet {
			chatSet = append(chatSet, g.userName)
		}
	}
	s.notify()
	writeJSON(w, map[string]any{
		"BaseResponse": ret(0), "Count": len(recent), "ContactList": recent, "SKey": s.sess.skey,
		"ChatSet": strings.Join(chatSet, ",") + ",filehelper,weixin",
		"SyncKey": s.syncKey(),
		"User":    map[string]any{"UserName": s.selfUser, "NickName": BotNick, "Uin": BotUin},
	})
}

func (s *Server) statusNotify(w http.ResponseWriter, body []byte) {
	var req struct{ BaseRequest baseRequest }
	if !s.decode(body, &req) {
		return
	}
	code := 0
	if !s.live(req.BaseRequest) {
		code = 1101
	}
	writeJSON(w, map[string]any{"BaseResponse": ret(code), "MsgID": randomHex(8)})
}

// logout ends the session as logging out on the phone does.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if s.liveSkey(r.URL.Query().Get("skey")) {
		s.sess.dead = 1101
		s.notify()
	}
	writeJSON(w, map[string]any{"BaseResponse": ret(0)})
}
