package bottest

import (
	"context"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot"
)

// Inbox is a bot.Inbox that records what a channel delivers, for tests of the channel alone.
// A blocking inbox never finishes a message, like a handler still at work when the channel
// stops.
type Inbox struct {
	msgs  chan bot.Message
	block bool
}

// NewInbox returns an inbox; block makes it hold every message until the channel stops.
func NewInbox(block bool) *Inbox { return &Inbox{msgs: make(chan bot.Message, 100), block: block} }

// Deliver implements bot.Inbox.
func (in *Inbox) Deliver(ctx context.Context, m bot.Message) <-chan struct{} {
	in.msgs <- m
	done := make(chan struct{})
	if in.block {
		<-ctx.Done()
		return done
	}
	close(done)
	return done
}

// Next returns the next delivered message, failing the test if none comes within 5 s.
func (in *Inbox) Next(t testing.TB) bot.Message {
	t.Helper()
	select {
	case m := <-in.msgs:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no message delivered")
		return bot.Message{}
	}
}

// NextText fails unless the next delivered message has this text. Tests push a marker after
// something that must not be delivered and expect the marker next.
func (in *Inbox) NextText(t testing.TB, text string) bot.Message {
	t.Helper()
	m := in.Next(t)
	if m.Text != text {
		t.Fatalf("delivered %q (%+v), want %q", m.Text, m, text)
	}
	return m
}
