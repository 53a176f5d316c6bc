package outbox_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/outbox"
)

// TestReplyForAChannelOnAnotherInstance queues a reply for WeChat on an instance that runs
// only the console: it is kept in Redis, not dropped, the console's caller is not kept
// waiting for it, and the instance that runs WeChat sends it.
func TestReplyForAChannelOnAnotherInstance(t *testing.T) {
	q, another := queue(t)
	con := newFake("console")
	here := running(t, q, con, outbox.ConsoleLimits(), outbox.Options{})
	done, err := here.Enqueue(context.Background(), []bot.Reply{
		reply("console", "张三", "报修已提交", bot.LaneReply),
		reply("wechat", "员工群", "【新报修】R20261126-0001", bot.LaneReply),
	})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, done, 5*time.Second)
	wx := newFake("wechat")
	running(t, another(), wx, outbox.ConsoleLimits(), outbox.Options{})
	deadline := time.Now().Add(5 * time.Second)
	for len(wx.texts()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := strings.Join(wx.texts(), " "); got != "员工群:【新报修】R20261126-0001" {
		t.Errorf("WeChat instance sent %q, want the staff card", got)
	}
}

// slowChannel takes its time to send, as a platform does under load.
type slowChannel struct {
	*fakeChannel
	delay time.Duration
}

func (s *slowChannel) Send(ctx context.Context, r bot.Reply) error {
	time.Sleep(s.delay)
	return s.fakeChannel.Send(ctx, r)
}

// TestShortLeaseRenewedWhileSending: a claim lasts a short lease, so a message whose sender
// died is sent again soon; while a send is under way its claim is renewed, so another
// instance does not send it too however long the platform takes.
func TestShortLeaseRenewedWhileSending(t *testing.T) {
	q, another := queue(t)
	ctx := context.Background()
	lease := 300 * time.Millisecond
	slow := &slowChannel{fakeChannel: newFake("t"), delay: 4 * lease}
	// Two instances send the same channel; the message goes to whichever claims it.
	a := running(t, q, slow, outbox.ConsoleLimits(), outbox.Options{Lease: lease, Poll: 50 * time.Millisecond})
	running(t, another(), slow, outbox.ConsoleLimits(), outbox.Options{Lease: lease, Poll: 50 * time.Millisecond})
	if _, err := a.Enqueue(ctx, []bot.Reply{reply("t", "a", "once", bot.LaneReply)}); err != nil {
		t.Fatal(err)
	}
	// Whichever instance sends it, it is out after one slow send; then time for a second.
	deadline := time.Now().Add(5 * time.Second)
	for len(slow.texts()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(6 * lease)
	if got := slow.texts(); len(got) != 1 {
		t.Errorf("sent %v, want once: the claim lapsed while sending", got)
	}

	// A sender killed after claiming: the message is sent again within the lease and a
	// recovery round, not minutes later.
	dead := outbox.New(another(), outbox.Options{Lease: lease})
	fresh := newFake("u")
	dead.Register(fresh, outbox.ConsoleLimits())
	if _, err := dead.Enqueue(ctx, []bot.Reply{reply("u", "a", "again", bot.LaneReply)}); err != nil {
		t.Fatal(err)
	}
	envs, err := q.OutboxPeek(ctx, "u", 1)
	if err != nil || len(envs) != 1 {
		t.Fatalf("queued: %v, %v", envs, err)
	}
	if _, ok, err := q.OutboxClaim(ctx, "u", envs[0].ID, lease); !ok || err != nil {
		t.Fatalf("claim: %v, %v", ok, err)
	}
	killed := time.Now()
	running(t, another(), fresh, outbox.ConsoleLimits(), outbox.Options{Lease: lease, Poll: 50 * time.Millisecond})
	for {
		if len(fresh.texts()) > 0 {
			break
		}
		if time.Since(killed) > 5*lease {
			t.Fatalf("not sent again within %v of the kill", 5*lease)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPrivateChatBurst: a person's seven replies in quick succession go out three at once and
// then one a second — the 4th after about a second, not three — while the average holds.
func TestPrivateChatBurst(t *testing.T) {
	q, _ := queue(t)
	ch := newFake("t")
	limits := outbox.TelegramLimits()
	o := running(t, q, ch, limits, outbox.Options{Poll: 50 * time.Millisecond})
	var replies []bot.Reply
	for i := range 7 {
		replies = append(replies, reply("t", "42", fmt.Sprint("reply ", i), bot.LaneReply))
	}
	start := time.Now()
	done, err := o.Enqueue(context.Background(), replies)
	if err != nil {
		t.Fatal(err)
	}
	wait(t, done, 10*time.Second)
	sent := ch.sentTo("42")
	if len(sent) != 7 {
		t.Fatalf("sent %d, want 7", len(sent))
	}
	if d := sent[3].at.Sub(start); d > 1500*time.Millisecond {
		t.Errorf("4th reply after %v, want about a second", d.Round(time.Millisecond))
	}
	if d := sent[6].at.Sub(start); d > 4800*time.Millisecond {
		t.Errorf("7th reply after %v, want about four seconds", d.Round(time.Millisecond))
	}
	// The average: after the burst of three, one a second at most.
	for i := 3; i < 7; i++ {
		if d := sent[i].at.Sub(sent[0].at); d < time.Duration(i-2)*time.Second-50*time.Millisecond {
			t.Errorf("reply %d after %v, faster than one a second after the burst", i+1, d.Round(time.Millisecond))
		}
	}
}
