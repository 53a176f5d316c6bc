package tgfake

import (
	"time"

	"github.com/go-telegram/bot/models"
)

// WaitTimeout is how long the Wait… helpers wait before failing the test.
const WaitTimeout = 5 * time.Second

// Sent returns every message the bot sent, in the order the server accepted them.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// SentTo returns the messages the bot sent to chat, in order.
func (s *Server) SentTo(chat int64) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Sent
	for _, m := range s.sent {
		if m.ChatID == chat {
			out = append(out, m)
		}
	}
	return out
}

// WaitSentTo waits until the bot sent at least n messages to chat and returns them all. It
// fails the test after WaitTimeout (call it from the test's goroutine).
func (s *Server) WaitSentTo(chat int64, n int) []Sent {
	s.t.Helper()
	if !s.Wait(WaitTimeout, func() bool { return len(s.SentTo(chat)) >= n }) {
		s.t.Fatalf("tgfake: %d messages sent to chat %d, want %d: %+v", len(s.SentTo(chat)), chat, n, s.SentTo(chat))
	}
	return s.SentTo(chat)
}

// Keyboard returns the inline keyboard a sent message shows now, after edits; nil if none.
func (s *Server) Keyboard(chat int64, messageID int) *models.InlineKeyboardMarkup {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.markups[msgKey{chat, messageID}]
}

// Edits returns the edits (keyboards, texts) the server accepted, in order.
func (s *Server) Edits() []Edit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Edit(nil), s.edits...)
}

// Answered returns the callback query answers, in order.
func (s *Server) Answered() []Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Answer(nil), s.answers...)
}

// WaitAnswered waits until the callback query id is answered and returns the answer. It fails
// the test after WaitTimeout (call it from the test's goroutine).
func (s *Server) WaitAnswered(queryID string) Answer {
	s.t.Helper()
	var got Answer
	ok := s.Wait(WaitTimeout, func() bool {
		for _, a := range s.Answered() {
			if a.QueryID == queryID {
				got = a
				return true
			}
		}
		return false
	})
	if !ok {
		s.t.Fatalf("tgfake: callback query %s not answered", queryID)
	}
	return got
}

// Unanswered returns the ids of the callback queries pushed and not answered yet.
func (s *Server) Unanswered() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id, answered := range s.queries {
		if !answered {
			out = append(out, id)
		}
	}
	return out
}

// Rejections returns the sends the server refused, in order.
func (s *Server) Rejections() []Rejection {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Rejection(nil), s.rejected...)
}
