package wechat

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/eatmoreapple/openwechat"

	"github.com/guanjia/guanjia/bot"
)

// Friends are known across logins by the remark name "gj-<person id>" where WeChat keeps it.
// Web WeChat often answers a remark with Ret 0 and keeps nothing, so the channel reads the
// remark back, and also keeps a record of what WeChat does keep of the friend — keys of the
// nickname and signature, and the account's AttrStatus — to find them again after a login.
// A friend whose record matches only in part, or who matches another's record too, is not
// guessed: they are asked, once per login, to bind again.

// askUnsure is what a friend the channel cannot tell apart is asked, once per login.
const askUnsure = "您好！微信重新登录后，我无法确认您是哪一位已绑定的住户或员工（微信没有保留备注）。" +
	"为保护您的信息，确认前不回复费用等个人内容。请发送「绑定 」加物业给您的 6 位绑定码重新确认，谢谢！\n" +
	"Hello! After WeChat logged in again I cannot tell which bound resident or staff member you are. " +
	"Please send 绑定 followed by the 6-digit code from the office to confirm."

// friendRecord is what Memory keeps of a bound friend: keys, never a name or a UserName.
type friendRecord struct {
	Nick string    `json:"nick"`
	Sig  string    `json:"sig,omitempty"`
	Attr int64     `json:"attr,omitempty"`
	Seen time.Time `json:"seen"`
}

func recordOf(f *openwechat.User) friendRecord {
	r := friendRecord{Nick: nameKey(f.NickName), Attr: f.AttrStatus, Seen: time.Now().UTC()}
	if f.Signature != "" {
		r.Sig = nameKey(f.Signature)
	}
	return r
}

// matches says how a friend compares with a record: full when everything WeChat keeps is
// the same, partial when something is.
func (r friendRecord) matches(f friendRecord) (full, partial bool) {
	nick, sig := r.Nick == f.Nick, r.Sig == f.Sig
	attr := r.Attr == 0 || f.Attr == 0 || r.Attr == f.Attr
	full = nick && sig && attr
	partial = nick || r.Sig != "" && sig || r.Attr != 0 && r.Attr == f.Attr
	return full, partial
}

// knownFriends reads the friend records.
func (c *Channel) knownFriends(ctx context.Context) (map[string]friendRecord, error) {
	raw, err := c.cfg.Memory.WeChatFriends(ctx)
	if err != nil {
		return nil, fmt.Errorf("wechat: friend records: %w", err)
	}
	out := make(map[string]friendRecord, len(raw))
	for pid, body := range raw {
		var r friendRecord
		if err := json.Unmarshal(body, &r); err != nil {
			c.log.Warn("wechat friend record undecodable", "person", pid, "err", err)
			continue
		}
		out[pid] = r
	}
	return out, nil
}

// matchFriends tells who each friend of a new login is: by the bot's remark where WeChat kept
// it, else by a record only they match fully; friends who match a record in part, or share a
// full match, are unsure.
func matchFriends(dir *directory, known map[string]friendRecord) {
	claimed := map[string]bool{}
	var rest []*openwechat.User
	for _, f := range dir.friends {
		if pid, ok := strings.CutPrefix(f.RemarkName, remarkPrefix); ok && pid != "" {
			dir.setFriend(f.UserName, pid)
			claimed[pid] = true
			continue
		}
		rest = append(rest, f)
	}
	full := map[string][]string{}
	takers := map[string]int{}
	partial := map[string]bool{}
	for _, f := range rest {
		p := recordOf(f)
		for pid, r := range known {
			if claimed[pid] {
				continue
			}
			switch whole, some := r.matches(p); {
			case whole:
				full[f.UserName] = append(full[f.UserName], pid)
				takers[pid]++
			case some:
				partial[f.UserName] = true
			}
		}
	}
	for _, f := range rest {
		pids := full[f.UserName]
		if len(pids) == 1 && takers[pids[0]] == 1 {
			dir.setFriend(f.UserName, pids[0])
			continue
		}
		if len(pids) > 0 || partial[f.UserName] {
			dir.unsure[f.UserName] = true
		}
	}
}

// setFriend records that a friend of this login is a person.
func (d *directory) setFriend(userName, pid string) {
	if old, ok := d.users[pid]; ok && old != userName {
		delete(d.ids, old)
	}
	d.ids[userName] = "f:" + pid
	d.users[pid] = userName
	delete(d.unsure, userName)
}

// friendID is a friend's id: the person's when known, else this login's.
func (d *directory) friendID(f *openwechat.User) string {
	if id, ok := d.ids[f.UserName]; ok {
		return id
	}
	if pid, ok := strings.CutPrefix(f.RemarkName, remarkPrefix); ok && pid != "" {
		return "f:" + pid
	}
	return sessionID(f.UserName)
}

// askOnce reports whether a friend the channel cannot tell apart is to be asked now: once
// per login.
func (d *directory) askOnce(userName string) bool {
	if !d.unsure[userName] || d.asked[userName] {
		return false
	}
	d.asked[userName] = true
	return true
}

// remark marks a friend as the person's: the remark name, read back to see whether WeChat
// kept it, and the record of what WeChat keeps of them in any case.
func (c *Channel) remark(ctx context.Context, s *session, user, personID string) (string, error) {
	want := remarkPrefix + personID
	err := s.bot.Caller.WebWxOplog(ctx, &openwechat.CallerWebWxOplogOptions{
		RemarkName: want, ToUserName: user, BaseRequest: s.bot.Storage.Request})
	if err != nil {
		return "", fmt.Errorf("wechat: set remark name: %w", bot.RedactQuery(err))
	}
	got, err := s.details(ctx, openwechat.Members{{UserName: user}})
	if err != nil {
		return "", err
	}
	if len(got) != 1 {
		return "", fmt.Errorf("wechat: bind account: friend details: %d contacts", len(got))
	}
	kept := got[0].RemarkName == want
	body, err := json.Marshal(recordOf(got[0]))
	if err != nil {
		return "", fmt.Errorf("wechat: friend record: %w", err)
	}
	if err := c.cfg.Memory.SaveWeChatFriend(ctx, personID, body); err != nil {
		return "", fmt.Errorf("wechat: save friend record: %w", err)
	}
	dir, unlock := s.lockDir()
	if f := dir.friends[user]; f != nil {
		f.RemarkName = got[0].RemarkName
		f.Signature, f.AttrStatus = got[0].Signature, got[0].AttrStatus
	}
	dir.setFriend(user, personID)
	unlock()
	c.log.Info("wechat friend bound", "person", personID, "remark_kept", kept)
	return "f:" + personID, nil
}
