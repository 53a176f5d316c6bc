package wxfake

import (
	"net/http"
	"slices"
	"time"
)

// Sent is one message the bot sent, as the server accepted it.
type Sent struct {
	// Chat is the test's id of the friend or group it went to.
	Chat  string
	Group bool
	Text  string
	// At is when the server accepted it.
	At time.Time
}

// Rejection is a send the server refused.
type Rejection struct {
	ToUserName string
	Ret        int
	At         time.Time
}

type outbox struct {
	sent     []Sent
	rejected []Rejection
}

// Sent returns every message the bot sent, in the order the server accepted them.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// SentTo returns the messages the bot sent to a friend or group (the test's id), in order.
func (s *Server) SentTo(chat string) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Sent
	for _, m := range s.sent {
		if m.Chat == chat {
			out = append(out, m)
		}
	}
	return out
}

// WaitSentTo waits until the bot sent at least n messages to chat and returns them all. It
// fails the test after WaitTimeout (call it from the test's goroutine).
func (s *Server) WaitSentTo(chat string, n int) []Sent {
	s.t.Helper()
	if !s.Wait(WaitTimeout, func() bool { return len(s.SentTo(chat)) >= n }) {
		s.t.Fatalf("wxfake: %d messages sent to %s, want %d: %+v", len(s.SentTo(chat)), chat, n, s.SentTo(chat))
	}
	return s.SentTo(chat)
}

// Rejections returns the sends the server refused, in order.
func (s *Server) Rejections() []Rejection {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.rejected)
}

// sendMsg accepts a text for a friend or group of the current login. A UserName of another
// login, or of nobody, is refused with 1204, as WeChat refuses a chat it does not know.
func (s *Server) sendMsg(w http.ResponseWriter, body []byte) {
	var req struct {
		BaseRequest baseRequest
		Msg         struct {
			Type                     int
			Content                  string
			FromUserName, ToUserName string
		}
	}
	if !s.decode(body, &req) {
		return
	}
	now := time.Now()
	code := 0
	key := s.byUser[req.Msg.ToUserName]
	switch {
	case !s.live(req.BaseRequest):
		code = 1101
	case req.Msg.FromUserName != s.selfUser || req.Msg.Type != 1:
		code = 1
	case len(key) < 2 || key[1] != ':':
		code = 1204
	case s.tooOften > 0:
		s.tooOften--
		code = 1205
	}
	if code != 0 {
		s.rejected = append(s.rejected, Rejection{ToUserName: req.Msg.ToUserName, Ret: code, At: now})
		s.notify()
		writeJSON(w, map[string]any{"BaseResponse": ret(code)})
		return
	}
	s.sent = append(s.sent, Sent{Chat: key[2:], Group: key[0] == 'g', Text: req.Msg.Content, At: now})
	s.notify()
	writeJSON(w, map[string]any{"BaseResponse": ret(0), "MsgID": randomHex(8), "LocalID": randomHex(8)})
}
