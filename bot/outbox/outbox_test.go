package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/outbox"
	"github.com/guanjia/guanjia/storage/redisstate"
	"github.com/guanjia/guanjia/storage/redisstate/redistest"
)

// fakeChannel records what it sends and fails on demand.
type fakeChannel struct {
	name string
	mu   sync.Mutex
	sent []sent
	// fail maps a chat to the errors its next sends return, in order.
	fail map[string][]error
}

type sent struct {
	chat, text string
	at         time.Time
}

func newFake(name string) *fakeChannel { return &fakeChannel{name: name, fail: map[string][]error{}} }

func (f *fakeChannel) Name() string                               { return f.name }
func (f *fakeChannel) Run(ctx context.Context, _ bot.Inbox) error { <-ctx.Done(); return nil }

func (f *fakeChannel) Send(_ context.Context, r bot.Reply) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if errs := f.fail[r.ChatID]; len(errs) > 0 {
		f.fail[r.ChatID] = errs[1:]
		return errs[0]
	}
	f.sent = append(f.sent, sent{chat: r.ChatID, text: r.Text, at: time.Now()})
	return nil
}

func (f *fakeChannel) failNext(chat string, errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[chat] = append(f.fail[chat], errs...)
}

func (f *fakeChannel) texts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, s := range f.sent {
		out = append(out, s.chat+":"+s.text)
	}
	return out
}

func (f *fakeChannel) sentTo(chat string) []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []sent
	for _, s := range f.sent {
		if s.chat == chat {
			out = append(out, s)
		}
	}
	return out
}

// queue returns a Redis-backed queue with a key prefix of its own on the real server.
func queue(t *testing.T) (*redisstate.Store, func() *redisstate.Store) {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	another := func() *redisstate.Store { return redisstate.New(rdb, redisstate.Options{Prefix: prefix}) }
	return another(), another
}

// running starts an outbox with ch registered and stops it at the end of the test.
func running(t *testing.T, q outbox.Queue, ch bot.Channel, l outbox.Limits, opts outbox.Options) *outbox.Outbox {
	t.Helper()
	opts.Log = slog.New(slog.DiscardHandler)
	o := outbox.New(q, opts)
	o.Register(ch, l)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = o.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return o
}

func reply(ch, chat, text string, lane bot.Lane) bot.Reply {
	return bot.Reply{Channel: ch, ChatID: chat, Text: text, Lane: lane}
}

func wait(t *testing.T, c <-chan struct{}, d time.Duration) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(d):
		t.Fatalf("not delivered within %v", d)
	}
}

func TestLanesAndPerChatOrder(t *testing.T) {
	q, _ := queue(t)
	ch := newFake("t")
	ctx := context.Background()
	// Queued while nothing sends, as after a restart.
	idle := outbox.New(q, outbox.Options{})
	idle.Register(ch, outbox.ConsoleLimits())
	var replies []bot.Reply
	for i := range 3 {
		replies = append(replies, reply("t", "a", fmt.Sprint("notice", i), bot.LaneNotice))
		replies = append(replies, reply("t", "a", fmt.Sprint("reply", i), bot.LaneReply))
	}
	replies = append(replies, reply("t", "b", "emergency", bot.LaneEmergency))
	if _, err := idle.Enqueue(ctx, replies); err != nil {
		t.Fatal(err)
	}
	o := running(t, q, ch, outbox.ConsoleLimits(), outbox.Options{})
	done, _ := o.Enqueue(ctx, []bot.Reply{reply("t", "a", "last", bot.LaneNotice)})
	wait(t, done, 5*time.Second)
	want := "b:emergency a:reply0 a:reply1 a:reply2 a:notice0 a:notice1 a:notice2 a:last"
	if got := strings.Join(ch.texts(), " "); got != want {
		t.Errorf("sent %s\nwant %s", got, want)
	}
}

func TestRateLimitedChatWaitsAndOthersGoOn(t *testing.T) {
	q, _ := queue(t)
	ch := newFake("t")
	ch.failNext("slow", &bot.SendError{Kind: bot.SendRateLimited, RetryAfter: 1500 * time.Millisecond, Err: errors.New("429")})
	l := outbox.Limits{Concurrency: 4}
	o := running(t, q, ch, l, outbox.Options{})
	start := time.Now()
	done, err := o.Enqueue(context.Background(), []bot.Reply{
		reply("t", "slow", "first", bot.LaneReply), reply("t", "slow", "second", bot.LaneReply),
		reply("t", "fast", "1", bot.LaneReply), reply("t", "fast", "2", bot.LaneReply),
	})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, done, 10*time.Second)
	fast, slow := ch.sentTo("fast"), ch.sentTo("slow")
	if len(fast) != 2 || fast[1].at.Sub(start) > time.Second {
		t.Errorf("the other chat was held up: %+v", fast)
	}
	if len(slow) != 2 || slow[0].text != "first" || slow[1].text != "second" {
		t.Fatalf("the limited chat got %+v, want first then second, once each", slow)
	}
	if d := slow[0].at.Sub(start); d < 1400*time.Millisecond {
		t.Errorf("retried after %v, before retry_after", d)
	}
}

func TestPermanentFailureGivesUpAndMarksChat(t *testing.T) {
	q, _ := queue(t)
	ch := newFake("t")
	ch.failNext("gone", &bot.SendError{Kind: bot.SendPermanent, Reason: "forbidden", Err: errors.New("403")})
	var mu sync.Mutex
	var marked []string
	o := running(t, q, ch, outbox.ConsoleLimits(), outbox.Options{
		Unreachable: func(_ context.Context, channel, chat, reason string) {
			mu.Lock()
			defer mu.Unlock()
			marked = append(marked, channel+"/"+chat+"/"+reason)
		}})
	done, _ := o.Enqueue(context.Background(), []bot.Reply{reply("t", "gone", "hello", bot.LaneReply), reply("t", "ok", "hi", bot.LaneReply)})
	wait(t, done, 5*time.Second)
	if got := ch.texts(); len(got) != 1 || got[0] != "ok:hi" {
		t.Errorf("sent %v, want only ok:hi", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(marked) != 1 || marked[0] != "t/gone/forbidden" {
		t.Errorf("unreachable calls %v", marked)
	}
	dead, err := q.OutboxDead(context.Background(), "t", 10)
	if err != nil || len(dead) != 1 || dead[0].Chat != "gone" || dead[0].LastError == "" {
		t.Errorf("dead list %+v, %v", dead, err)
	}
	if n, _ := q.OutboxLen(context.Background(), "t"); n != 0 {
		t.Errorf("%d messages left in the queue", n)
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	q, _ := queue(t)
	ch := newFake("t")
	ch.failNext("a", errors.New("connection reset"), &bot.SendError{Kind: bot.SendTransient, Err: errors.New("502")})
	o := running(t, q, ch, outbox.ConsoleLimits(), outbox.Options{Backoff: 100 * time.Millisecond})
	done, _ := o.Enqueue(context.Background(), []bot.Reply{reply("t", "a", "x", bot.LaneReply)})
	wait(t, done, 5*time.Second)
	if got := ch.texts(); len(got) != 1 {
		t.Errorf("sent %v, want once", got)
	}
}

func TestRestartSendsQueuedOnceAcrossInstances(t *testing.T) {
	q, another := queue(t)
	ctx := context.Background()
	idle := outbox.New(q, outbox.Options{})
	idle.Register(newFake("t"), outbox.ConsoleLimits())
	var replies []bot.Reply
	for i := range 60 {
		replies = append(replies, reply("t", fmt.Sprint("chat", i%6), fmt.Sprint(i), bot.LaneReply))
	}
	if _, err := idle.Enqueue(ctx, replies); err != nil {
		t.Fatal(err)
	}
	// Two instances start on the same queue and drain it together.
	a, b := newFake("t"), newFake("t")
	running(t, another(), a, outbox.Limits{Concurrency: 3}, outbox.Options{})
	running(t, another(), b, outbox.Limits{Concurrency: 3}, outbox.Options{})
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := q.OutboxLen(ctx, "t")
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still queued", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	seen := map[string]int{}
	for _, s := range append(a.texts(), b.texts()...) {
		seen[s]++
	}
	if len(seen) != 60 {
		t.Errorf("%d distinct messages sent, want 60", len(seen))
	}
	for s, n := range seen {
		if n != 1 {
			t.Errorf("%s sent %d times", s, n)
		}
	}
}

func TestLimitsHoldAcrossInstances(t *testing.T) {
	q, another := queue(t)
	// The margin, as in production, absorbs the varying time between taking a slot and the
	// platform receiving the message, which the fake measures.
	l := outbox.Limits{Global: guanjia.Rate{Max: 10, Window: time.Second}, Group: guanjia.Rate{Max: 4, Window: time.Second},
		Concurrency: 4, Margin: 50 * time.Millisecond}
	a, b := newFake("t"), newFake("t")
	oa := running(t, q, a, l, outbox.Options{})
	running(t, another(), b, l, outbox.Options{})
	var replies []bot.Reply
	for i := range 30 {
		r := reply("t", fmt.Sprint("group", i%3), fmt.Sprint(i), bot.LaneReply)
		r.Group = true
		replies = append(replies, r)
	}
	start := time.Now()
	if _, err := oa.Enqueue(context.Background(), replies); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(a.texts())+len(b.texts()) < 30 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	var all []sent
	for _, f := range []*fakeChannel{a, b} {
		f.mu.Lock()
		all = append(all, f.sent...)
		f.mu.Unlock()
	}
	if len(all) != 30 {
		t.Fatalf("%d sent, want 30", len(all))
	}
	// Group limit 4/s over 3 groups binds before the global 10/s: 30 messages need > 2 s.
	if d := time.Since(start); d < 2*time.Second {
		t.Errorf("30 messages out in %v; the shared limits were not kept", d)
	}
	for i, s := range all {
		n := 0
		for _, o := range all {
			if d := o.at.Sub(s.at); d >= 0 && d < time.Second {
				n++
			}
		}
		if n > 10 {
			t.Fatalf("%d messages within 1 s from message %d (limit 10)", n, i)
		}
	}
}

func TestSplitKeepsEveryLine(t *testing.T) {
	var lines []string
	for i := range 50 {
		lines = append(lines, fmt.Sprintf("第%d行：物业费账单明细", i))
	}
	text := strings.Join(lines, "\n")
	r := bot.Reply{Text: text, Choices: []bot.Choice{{Label: "ok", Value: "ok"}}}
	parts := outbox.Split(r, 100)
	if len(parts) < 2 {
		t.Fatalf("not split: %d parts", len(parts))
	}
	var joined []string
	for i, p := range parts {
		if n := len([]rune(p.Text)); n > 100 {
			t.Errorf("part %d has %d characters", i, n)
		}
		if (len(p.Choices) > 0) != (i == len(parts)-1) {
			t.Errorf("choices should ride on the last part only (part %d)", i)
		}
		joined = append(joined, p.Text)
	}
	if strings.Join(joined, "\n") != text {
		t.Error("split lost or changed text")
	}
	long := strings.Repeat("长", 250)
	parts = outbox.Split(bot.Reply{Text: long}, 100)
	if len(parts) != 3 || parts[0].Text+parts[1].Text+parts[2].Text != long {
		t.Errorf("an over-long line must be broken, not cut: %d parts", len(parts))
	}
}

func TestGapsBetweenSendsAndBroadcasts(t *testing.T) {
	q, _ := queue(t)
	ch := newFake("t")
	l := outbox.Limits{Concurrency: 1, Gap: 200 * time.Millisecond, GapJitter: 100 * time.Millisecond, BroadcastGap: 700 * time.Millisecond}
	o := running(t, q, ch, l, outbox.Options{})
	var replies []bot.Reply
	for i := range 3 {
		replies = append(replies, reply("t", "private", fmt.Sprint("r", i), bot.LaneReply))
	}
	for _, g := range []string{"g1", "g1", "g2"} {
		r := reply("t", g, "notice", bot.LaneNotice)
		r.Group = true
		replies = append(replies, r)
	}
	done, _ := o.Enqueue(context.Background(), replies)
	wait(t, done, 10*time.Second)
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if len(ch.sent) != 6 {
		t.Fatalf("sent %d, want 6", len(ch.sent))
	}
	var lastBroadcast sent
	for i, s := range ch.sent {
		if i > 0 {
			if gap := s.at.Sub(ch.sent[i-1].at); gap < 190*time.Millisecond {
				t.Errorf("send %d only %v after the one before (gap 200ms+)", i, gap)
			}
		}
		if strings.HasPrefix(s.chat, "g") {
			if lastBroadcast.chat != "" && lastBroadcast.chat != s.chat && s.at.Sub(lastBroadcast.at) < 690*time.Millisecond {
				t.Errorf("broadcasts to %s and %s only %v apart", lastBroadcast.chat, s.chat, s.at.Sub(lastBroadcast.at))
			}
			lastBroadcast = s
		}
	}
}

// An emergency to many groups keeps its own, shorter gap between groups; notices keep theirs.
func TestEmergencyGapBetweenGroups(t *testing.T) {
	q, _ := queue(t)
	ch := newFake("t")
	l := outbox.Limits{Concurrency: 1, BroadcastGap: 900 * time.Millisecond, EmergencyGap: 150 * time.Millisecond}
	o := running(t, q, ch, l, outbox.Options{})
	var replies []bot.Reply
	for _, g := range []string{"g1", "g2", "g3", "g4"} {
		r := reply("t", g, "emergency", bot.LaneEmergency)
		r.Group = true
		replies = append(replies, r)
	}
	start := time.Now()
	done, _ := o.Enqueue(context.Background(), replies)
	wait(t, done, 10*time.Second)
	took := time.Since(start)
	ch.mu.Lock()
	sent := append([]sent(nil), ch.sent...)
	ch.mu.Unlock()
	if len(sent) != 4 {
		t.Fatalf("sent %d, want 4", len(sent))
	}
	for i := 1; i < len(sent); i++ {
		if gap := sent[i].at.Sub(sent[i-1].at); gap < 140*time.Millisecond {
			t.Errorf("emergency %d only %v after the one before (gap 150ms)", i, gap)
		}
	}
	if took > 2*time.Second {
		t.Errorf("4 emergency messages took %v: the notice gap (900ms) held them back", took)
	}
	var notices []bot.Reply
	for _, g := range []string{"g5", "g6"} {
		r := reply("t", g, "notice", bot.LaneNotice)
		r.Group = true
		notices = append(notices, r)
	}
	done, _ = o.Enqueue(context.Background(), notices)
	wait(t, done, 10*time.Second)
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if n := len(ch.sent); n != 6 {
		t.Fatalf("sent %d, want 6", n)
	}
	if gap := ch.sent[5].at.Sub(ch.sent[4].at); gap < 890*time.Millisecond {
		t.Errorf("notices to two groups only %v apart, want the notice gap 900ms", gap)
	}
}

// A tagged message the platform accepted is reported, once, with its tag, before it is
// settled; untagged messages are not.
func TestDeliveredHook(t *testing.T) {
	q, _ := queue(t)
	ch := newFake("t")
	var mu sync.Mutex
	var got []string
	o := running(t, q, ch, outbox.Limits{Concurrency: 2}, outbox.Options{Delivered: func(_ context.Context, r bot.Reply) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, r.Tag+"@"+r.ChatID)
	}})
	tagged := reply("t", "g1", "emergency", bot.LaneEmergency)
	tagged.Tag = "bcast:sample/E20261126-0001"
	done, _ := o.Enqueue(context.Background(), []bot.Reply{tagged, reply("t", "g2", "plain", bot.LaneReply)})
	wait(t, done, 5*time.Second)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != "bcast:sample/E20261126-0001@g1" {
		t.Errorf("delivered = %q, want the tagged message once", got)
	}
}
