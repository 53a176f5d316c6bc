package telegram_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/telegram"
	"github.com/guanjia/guanjia/bot/telegram/tgfake"
)

// TestLongPollBlocks counts getUpdates: an idle bot waits in each call for the poll timeout
// instead of asking again at once, and a seven-message conversation costs one call a message
// at most.
func TestLongPollBlocks(t *testing.T) {
	fake := tgfake.New(t)
	r := start(t, fake, newStore(t), newInbox(false), func(c *telegram.Config) { c.PollTimeout = time.Second })
	private := tgfake.Private(zhang)
	fake.PushText(private, zhang, "hello")
	r.in.NextText(t, "hello")
	idle := fake.Calls("getUpdates")
	time.Sleep(2500 * time.Millisecond)
	if n := fake.Calls("getUpdates") - idle; n > 3 {
		t.Errorf("%d getUpdates in 2.5 s idle with a 1 s poll timeout, want at most 3", n)
	}
	if got := fake.PollTimeout(); got != 1 {
		t.Errorf("poll timeout seen by the server = %d s, want 1", got)
	}
	before := fake.Calls("getUpdates")
	for i := range 7 {
		text := fmt.Sprint("step ", i)
		fake.PushText(private, zhang, text)
		r.in.NextText(t, text)
	}
	if n := fake.Calls("getUpdates") - before; n > 8 {
		t.Errorf("%d getUpdates for a 7-message conversation, want at most 8", n)
	}
}

// TestPollWaitsForBusyConsumer: while the consumer is busy (here: a press on a message whose
// buttons are not on record yet, which it waits for), the poller does not ask Telegram again
// for every update that arrives; the next call brings them together, and none is lost.
func TestPollWaitsForBusyConsumer(t *testing.T) {
	fake := tgfake.New(t)
	r := start(t, fake, newStore(t), newInbox(false), func(c *telegram.Config) { c.PollTimeout = 5 * time.Second })
	private := tgfake.Private(zhang)
	fake.PushText(private, zhang, "hello")
	r.in.NextText(t, "hello")
	// A message just sent, without buttons on record: a press on it is waited on.
	if err := r.ch.Send(t.Context(), bot.Reply{Channel: "telegram", ChatID: "4711", Text: "请稍候"}); err != nil {
		t.Fatal(err)
	}
	plain := fake.WaitSentTo(private.ID, 1)[0]
	before := fake.Calls("getUpdates")
	fake.PushCallback(private, zhang, plain.MessageID, "c:0")
	time.Sleep(200 * time.Millisecond)
	for i := range 5 {
		fake.PushText(private, zhang, fmt.Sprint("text ", i))
		time.Sleep(100 * time.Millisecond)
	}
	for i := range 5 {
		r.in.NextText(t, fmt.Sprint("text ", i))
	}
	if n := fake.Calls("getUpdates") - before; n > 3 {
		t.Errorf("%d getUpdates for 6 updates arriving while the consumer was busy, want at most 3", n)
	}
}

// TestPollGathersUnderLoad: with updates arriving steadily (residents answering while others
// are being answered), a gather window makes one getUpdates bring several of them, while the
// first update to a quiet bot is still handed on at once and none is lost.
func TestPollGathersUnderLoad(t *testing.T) {
	calls := func(gather time.Duration) (int, time.Duration) {
		fake := tgfake.New(t)
		r := start(t, fake, newStore(t), newInbox(false), func(c *telegram.Config) {
			c.PollTimeout = 5 * time.Second
			c.PollGather = gather
		})
		private := tgfake.Private(zhang)
		fake.PushText(private, zhang, "hello")
		r.in.NextText(t, "hello")
		time.Sleep(300 * time.Millisecond) // quiet: the poller is waiting in a long poll
		quiet := time.Now()
		fake.PushText(private, zhang, "first")
		r.in.NextText(t, "first")
		firstTook := time.Since(quiet)
		before := fake.Calls("getUpdates")
		const n = 40
		for i := range n {
			fake.PushText(private, zhang, fmt.Sprint("load ", i))
			time.Sleep(20 * time.Millisecond)
		}
		for i := range n {
			r.in.NextText(t, fmt.Sprint("load ", i))
		}
		return fake.Calls("getUpdates") - before, firstTook
	}
	without, _ := calls(0)
	with, first := calls(250 * time.Millisecond)
	t.Logf("getUpdates: %d with the window, %d without; first update %v", with, without, first)
	if with > 6 || with >= without {
		t.Errorf("getUpdates for 40 updates over 0.8 s: %d with a 250 ms gather window, %d without; want at most 6 and fewer", with, without)
	}
	if first > 200*time.Millisecond {
		t.Errorf("the first update to a quiet bot took %v to be handed on; want it at once", first)
	}
}
