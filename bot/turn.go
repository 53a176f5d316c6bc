package bot

import (
	"context"
	"sync"

	"github.com/guanjia/guanjia"
)

// Turn collects what handling one message decided besides its replies: the conversations it
// saved or ended. The mux commits them together with the replies and the mark that the message
// was handled, in one step, so that a crash leaves either all of it or none: a message cut
// short is handled again against the conversation as it was, and a committed one never again.
type Turn struct {
	mu      sync.Mutex
	changes []SessionChange
	failed  error
}

// SessionChange is one conversation saved (Session set) or ended (Session nil).
type SessionChange struct {
	Key     guanjia.SessionKey
	Session *guanjia.Session
}

type turnKey struct{}

// WithTurn returns ctx carrying t, for the handler to record its changes in.
func WithTurn(ctx context.Context, t *Turn) context.Context {
	return context.WithValue(ctx, turnKey{}, t)
}

// TurnFrom returns the turn ctx carries; false when the changes are to be made at once.
func TurnFrom(ctx context.Context) (*Turn, bool) {
	t, ok := ctx.Value(turnKey{}).(*Turn)
	return t, ok && t != nil
}

// SaveSession records that s is to be stored.
func (t *Turn) SaveSession(s guanjia.Session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.changes = append(t.changes, SessionChange{Key: s.Key, Session: &s})
}

// DeleteSession records that the conversation under key ends.
func (t *Turn) DeleteSession(key guanjia.SessionKey) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.changes = append(t.changes, SessionChange{Key: key})
}

// Session returns the latest change recorded for key, if any: a turn reads what it wrote.
func (t *Turn) Session(key guanjia.SessionKey) (SessionChange, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.changes) - 1; i >= 0; i-- {
		if t.changes[i].Key == key {
			return t.changes[i], true
		}
	}
	return SessionChange{}, false
}

// Changes returns the recorded changes in the order they were made.
func (t *Turn) Changes() []SessionChange {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]SessionChange(nil), t.changes...)
}

// Fail marks the turn as failed: its changes are dropped, the person gets the replies (an
// apology), and the message counts as not handled, so that it is tried again.
func (t *Turn) Fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.changes = nil
	if t.failed == nil {
		t.failed = err
	}
}

// Err is why the turn failed; nil when it did not.
func (t *Turn) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}
