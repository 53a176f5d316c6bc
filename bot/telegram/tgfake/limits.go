package tgfake

import (
	"fmt"
	"math"
	"net/http"
	"time"
)

// Limits are Telegram's send limits as the server measures them. A send that breaks one is a
// violation; with Enforce it is also refused with 429 and retry_after, as Telegram does.
type Limits struct {
	// PrivateBurst is how many messages a private chat may get at once; after that, one per
	// PrivateInterval (a bucket of PrivateBurst tokens refilled at that pace).
	PrivateBurst    int
	PrivateInterval time.Duration
	// GroupMax is how many messages a group may get in any GroupWindow.
	GroupMax    int
	GroupWindow time.Duration
	// GlobalMax is how many messages all chats together may get in any GlobalWindow.
	GlobalMax    int
	GlobalWindow time.Duration
	// Slack forgives timing jitter: a send at most this much too early is not a violation.
	Slack time.Duration
	// Enforce refuses violating sends with 429 instead of only counting them.
	Enforce bool
}

// TelegramLimits are the limits Telegram documents: about one message a second per private
// chat (bursts of 3 allowed), 20 a minute per group, 30 a second overall. They are measured,
// not enforced.
func TelegramLimits() Limits {
	return Limits{
		PrivateBurst: 3, PrivateInterval: time.Second,
		GroupMax: 20, GroupWindow: time.Minute,
		GlobalMax: 30, GlobalWindow: time.Second,
		Slack: 20 * time.Millisecond,
	}
}

// Violation is a send that broke a limit.
type Violation struct {
	// Rule is "private", "group" or "global".
	Rule   string
	ChatID int64
	At     time.Time
}

// String describes the violation for a test failure.
func (v Violation) String() string {
	return fmt.Sprintf("%s limit broken in chat %d at %s", v.Rule, v.ChatID, v.At.Format("15:04:05.000"))
}

type bucket struct {
	tokens float64
	at     time.Time
}

// limiter is the state of the limits; its fields are guarded by Server.mu.
type limiter struct {
	limits     Limits
	buckets    map[int64]bucket
	groupLog   map[int64][]time.Time
	globalLog  []time.Time
	violations []Violation
}

func (l *limiter) init(limits Limits) {
	l.limits = limits
	l.buckets = map[int64]bucket{}
	l.groupLog = map[int64][]time.Time{}
	l.globalLog = nil
	l.violations = nil
}

// SetLimits replaces the limits and forgets the sends measured so far.
func (s *Server) SetLimits(limits Limits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limiter.init(limits)
}

// Violations returns the sends that broke a limit, in order.
func (s *Server) Violations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Violation(nil), s.violations...)
}

// admit counts a send to chat against the limits; callers hold s.mu. It returns the 429 to
// answer when a limit is broken and enforced.
func (s *Server) admit(chat int64, group bool, now time.Time) *apiError {
	l := &s.limiter
	lim := l.limits
	var (
		wait   time.Duration
		broken bool
	)
	broke := func(rule string, w time.Duration) {
		l.violations = append(l.violations, Violation{Rule: rule, ChatID: chat, At: now})
		wait, broken = max(wait, w), true
	}
	var tokens float64
	if !group && lim.PrivateBurst > 0 && lim.PrivateInterval > 0 {
		b, ok := l.buckets[chat]
		if !ok {
			b = bucket{tokens: float64(lim.PrivateBurst), at: now}
		}
		refill := func(d time.Duration) float64 {
			return math.Min(float64(lim.PrivateBurst), b.tokens+float64(d)/float64(lim.PrivateInterval))
		}
		tokens = refill(now.Sub(b.at))
		if refill(now.Sub(b.at)+lim.Slack) < 1 {
			broke("private", time.Duration((1-tokens)*float64(lim.PrivateInterval)))
		}
	}
	var groupLog []time.Time
	if group && lim.GroupMax > 0 {
		groupLog = recent(l.groupLog[chat], now, lim.GroupWindow)
		if w, over := full(groupLog, now, lim.GroupMax, lim.GroupWindow, lim.Slack); over {
			broke("group", w)
		}
	}
	globalLog := recent(l.globalLog, now, lim.GlobalWindow)
	if w, over := full(globalLog, now, lim.GlobalMax, lim.GlobalWindow, lim.Slack); over {
		broke("global", w)
	}
	if broken && lim.Enforce {
		secs := max(1, int(math.Ceil(wait.Seconds())))
		return &apiError{code: http.StatusTooManyRequests, desc: fmt.Sprintf("Too Many Requests: retry after %d", secs), retryAfter: secs}
	}
	if !group && lim.PrivateBurst > 0 {
		l.buckets[chat] = bucket{tokens: tokens - 1, at: now}
	}
	if group {
		l.groupLog[chat] = append(groupLog, now)
	}
	l.globalLog = append(globalLog, now)
	return nil
}

// recent keeps the send times within window before now.
func recent(log []time.Time, now time.Time, window time.Duration) []time.Time {
	i := 0
	for i < len(log) && !log[i].After(now.Add(-window)) {
		i++
	}
	return log[i:]
}

// full reports whether limit sends already happened in the window (shortened by slack)
// before now, and how long until one of them leaves it.
func full(log []time.Time, now time.Time, limit int, window, slack time.Duration) (time.Duration, bool) {
	n := 0
	for _, t := range log {
		if t.After(now.Add(-(window - slack))) {
			n++
		}
	}
	if limit <= 0 || n < limit {
		return 0, false
	}
	first := log[len(log)-limit]
	return first.Add(window).Sub(now), true
}
