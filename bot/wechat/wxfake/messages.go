package wxfake

import (
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// inbox holds the messages pushed and not yet fetched by webwxsync, and the images sent.
type inbox struct {
	pending []map[string]any
	nextID  int64
	sync    int64
	images  map[string][]byte
}

func (in *inbox) init() { in.nextID, in.images = 7100000000000000000, map[string][]byte{} }

// PushText delivers a private message from a friend; it returns the message id.
func (s *Server) PushText(from, text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.push(s.people[from].userName, "", 1, text)
}

// PushGroupText delivers a message from a member in a group; it returns the message id.
func (s *Server) PushGroupText(groupID, from, text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.push(s.groups[groupID].userName, s.people[from].userName, 1, text)
}

// Mention is how the WeChat app writes an @-mention of the bot in a group: "@", its display
// name there (or its nickname) and a four-per-em space.
func (s *Server) Mention(groupID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := s.groups[groupID].botDisplay
	if name == "" {
		name = BotNick
	}
	return "@" + name + "\u2005"
}

// PushImage delivers a photo from a friend, or from a member in a group when groupID is set;
// the bot downloads data with webwxgetmsgimg. It returns the message id.
func (s *Server) PushImage(groupID, from string, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	content := `<?xml version="1.0"?><msg><img length="` + strconv.Itoa(len(data)) + `" /></msg>`
	var id string
	if groupID == "" {
		id = s.push(s.people[from].userName, "", 3, content)
	} else {
		id = s.push(s.groups[groupID].userName, s.people[from].userName, 3, content)
	}
	s.images[id] = data
	return id
}

// push queues one message as webwxsync returns it; callers hold s.mu. A group message's
// content starts with its sender's UserName, as in WeChat.
func (s *Server) push(from, member string, msgType int, text string) string {
	s.nextID++
	id := strconv.FormatInt(s.nextID, 10)
	content := strings.ReplaceAll(html.EscapeString(text), "\n", "<br/>")
	if msgType != 1 {
		content = html.EscapeString(text)
	}
	if member != "" {
		content = member + ":<br/>" + content
	}
	s.pending = append(s.pending, map[string]any{
		"MsgId": id, "NewMsgId": s.nextID, "FromUserName": from, "ToUserName": s.selfUser,
		"MsgType": msgType, "Content": content, "CreateTime": time.Now().Unix(), "Status": 3,
	})
	s.notify()
	return id
}

// syncCheck is the heartbeat long poll: selector 2 when messages wait, 0 after the hold,
// the session's end code once it ended.
func (s *Server) syncCheck(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if s.sess == nil || q.Get("sid") != s.sess.sid || q.Get("skey") != s.sess.skey || q.Get("uin") != fmt.Sprint(BotUin) {
		fmt.Fprint(w, `window.synccheck={retcode:"1101",selector:"0"}`)
		return
	}
	sess := s.sess
	if sess.kick != 0 {
		sess.dead, sess.kick = sess.kick, 0
	}
	s.await(r, func() bool { return !s.stalled && (sess.dead != 0 || len(s.pending) > 0) })
	for s.stalled {
		// A stalled connection answers nothing until it is let go or the client gives up.
		if !s.await(r, func() bool { return !s.stalled }) && (r.Context().Err() != nil || s.isClosed()) {
			return
		}
	}
	switch {
	case sess.dead != 0:
		fmt.Fprintf(w, `window.synccheck={retcode:"%d",selector:"0"}`, sess.dead)
	case len(s.pending) > 0:
		fmt.Fprint(w, `window.synccheck={retcode:"0",selector:"2"}`)
	default:
		fmt.Fprint(w, `window.synccheck={retcode:"0",selector:"0"}`)
	}
}

func (s *Server) syncKey() map[string]any {
	return map[string]any{"Count": 1, "List": []any{map[string]any{"Key": 1, "Val": s.sync}}}
}

// webSync hands over the waiting messages.
func (s *Server) webSync(w http.ResponseWriter, body []byte) {
	var req struct{ BaseRequest baseRequest }
	if !s.decode(body, &req) {
		return
	}
	if !s.live(req.BaseRequest) {
		writeJSON(w, map[string]any{"BaseResponse": ret(1101), "AddMsgList": []any{}})
		return
	}
	msgs := s.pending
	s.pending = nil
	s.sync++
	writeJSON(w, map[string]any{"BaseResponse": ret(0), "AddMsgCount": len(msgs), "AddMsgList": msgs,
		"SyncKey": s.syncKey(), "SyncCheckKey": s.syncKey()})
}

// getMsgImg serves a pushed photo.
func (s *Server) getMsgImg(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	data, ok := s.images[q.Get("MsgID")]
	if !ok || !s.liveSkey(q.Get("skey")) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	_, _ = w.Write(data)
}
