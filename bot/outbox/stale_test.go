package outbox_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/outbox"
)

// A message queued with a condition is checked just before it is sent: one that no longer
// holds (a reminder of a bill paid while it waited) is dropped, the others go, and messages
// without a condition are never checked.
func TestStaleMessagesAreDroppedAtSending(t *testing.T) {
	q, _ := queue(t)
	ch := newFake("t")
	ctx := context.Background()
	var paid atomic.Bool
	var asked atomic.Int64
	stale := func(_ context.Context, unless string) (bool, error) {
		asked.Add(1)
		return unless == "paid|a" && paid.Load(), nil
	}
	idle := outbox.New(q, outbox.Options{})
	idle.Register(ch, outbox.ConsoleLimits())
	remind := func(chat string) bot.Reply {
		r := reply("t", chat, "please pay", bot.LaneNotice)
		r.Unless = "paid|" + chat
		return r
	}
	if _, err := idle.Enqueue(ctx, []bot.Reply{remind("a"), remind("b"), reply("t", "c", "hello", bot.LaneNotice)}); err != nil {
		t.Fatal(err)
	}
	paid.Store(true) // paid while the reminder waited in the queue
	o := running(t, q, ch, outbox.ConsoleLimits(), outbox.Options{Stale: stale})
	done, _ := o.Enqueue(ctx, []bot.Reply{reply("t", "c", "last", bot.LaneNotice)})
	wait(t, done, 5*time.Second)
	if got, want := strings.Join(ch.texts(), " "), "b:please pay c:hello c:last"; got != want {
		t.Errorf("sent %s\nwant %s", got, want)
	}
	if n := asked.Load(); n != 2 {
		t.Errorf("asked %d times, want twice (only the messages with a condition)", n)
	}
	if depth, err := o.Depth(ctx, "t"); err != nil || depth != 0 {
		t.Errorf("depth %d, %v: the dropped message must leave the queue", depth, err)
	}
}
