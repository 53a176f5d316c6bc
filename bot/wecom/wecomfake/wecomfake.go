// Package wecomfake is a fake WeCom group-robot webhook for tests: it takes text messages
// posted to /cgi-bin/webhook/send?key=<key>, answers errcode 45009 beyond 20 messages a minute
// per robot (or whenever told to), 93000 for an unknown key, and records what it took.
package wecomfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/guanjia/guanjia/bot/bottest"
)

// Message is one message a robot took.
type Message struct {
	Key, Text string
	At        time.Time
}

// Server is a running fake webhook. Its methods are safe for concurrent use.
type Server struct {
	t   testing.TB
	srv *httptest.Server

	mu      sync.Mutex
	changes bottest.Changes
	keys    map[string]bool
	got     []Message
	recent  map[string][]time.Time
	busy    int
	refused []int
	perMin  int
	tooLong int
}

// New starts a server with robots of these keys, stopped when the test ends.
func New(t testing.TB, keys ...string) *Server {
	s := &Server{t: t, keys: map[string]bool{}, recent: map[string][]time.Time{}, perMin: 20}
	for _, k := range keys {
		s.keys[k] = true
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the webhook URL of a robot key.
func (s *Server) URL(key string) string { return s.srv.URL + "/cgi-bin/webhook/send?key=" + key }

// TooOften makes the next n posts answer 45009, as WeCom does to a robot over its limit.
func (s *Server) TooOften(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy = n
}

// Messages returns what a robot took, in order.
func (s *Server) Messages(key string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.got {
		if m.Key == key {
			out = append(out, m)
		}
	}
	return out
}

// Refused returns the error codes answered, in order.
func (s *Server) Refused() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.refused)
}

// Wait waits up to timeout for cond and reports whether it held.
func (s *Server) Wait(timeout time.Duration, cond func() bool) bool {
	return s.changes.Wait(timeout, cond)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	var req struct {
		MsgType string `json:"msgtype"`
		Text    struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.changes.Notify()
	key := r.URL.Query().Get("key")
	answer := func(code int, msg string) {
		if code != 0 {
			s.refused = append(s.refused, code)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"errcode": code, "errmsg": msg})
	}
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/cgi-bin/webhook/send":
		http.NotFound(w, r)
		return
	case !s.keys[key]:
		answer(93000, "invalid webhook url")
		return
	case json.Unmarshal(body, &req) != nil || req.MsgType != "text":
		answer(40008, "invalid message type")
		return
	case len(req.Text.Content) > 2048 || !utf8.ValidString(req.Text.Content):
		answer(40058, "content exceed max length 2048 bytes")
		return
	}
	now := time.Now()
	var kept []time.Time
	for _, at := range s.recent[key] {
		if now.Sub(at) < time.Minute {
			kept = append(kept, at)
		}
	}
	s.recent[key] = kept
	if s.busy > 0 || len(kept) >= s.perMin {
		if s.busy > 0 {
			s.busy--
		}
		answer(45009, "api freq out of limit")
		return
	}
	s.recent[key] = append(kept, now)
	s.got = append(s.got, Message{Key: key, Text: req.Text.Content, At: now})
	answer(0, "ok")
}
