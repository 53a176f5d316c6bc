package telegram_test

import (
	"fmt"
	"testing"
	"time"

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
