// Package bottest provides a recording channel for tests of anything that sends chat messages.
package bottest

import (
	"context"
	"sync"

	"github.com/guanjia/guanjia/bot"
)

// Recorder is a bot.Channel that remembers every reply it is asked to send and delivers
// the messages a test injects with Say.
type Recorder struct {
	name string

	mu      sync.Mutex
	sent    []bot.Reply
	inbox   bot.Inbox
	started chan struct{}
	once    sync.Once
}

// NewRecorder returns a recording channel called name.
func NewRecorder(name string) *Recorder {
	return &Recorder{name: name, started: make(chan struct{})}
}

// Name implements bot.Channel.
func (r *Recorder) Name() string { return r.name }

// Run implements bot.Channel: it keeps the inbox for Say and waits for ctx.
func (r *Recorder) Run(ctx context.Context, in bot.Inbox) error {
	r.mu.Lock()
	r.inbox = in
	r.mu.Unlock()
	r.once.Do(func() { close(r.started) })
	<-ctx.Done()
	return ctx.Err()
}

// Say delivers m as if a person sent it and returns when it is handled.
func (r *Recorder) Say(ctx context.Context, m bot.Message) {
	<-r.started
	r.mu.Lock()
	in := r.inbox
	r.mu.Unlock()
	m.Channel = r.name
	<-in.Deliver(ctx, m)
}

// Send implements bot.Channel by recording the reply.
func (r *Recorder) Send(_ context.Context, rep bot.Reply) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, rep)
	return nil
}

// Sent returns the replies recorded so far.
func (r *Recorder) Sent() []bot.Reply {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Reply(nil), r.sent...)
}
