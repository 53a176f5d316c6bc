package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/console"
	"github.com/guanjia/guanjia/bot/outbox"
	"github.com/guanjia/guanjia/storage/mongostore"
	"github.com/guanjia/guanjia/storage/redisstate"
)

// TestConfirmationHandledTwiceFilesOnce confirms a repair a second time from the same point
// of the conversation — as after a crash between saving the ticket and ending the
// conversation, when the message is handled again — and gets the same ticket, not a new one.
func TestConfirmationHandledTwiceFilesOnce(t *testing.T) {
	clk := newClock()
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), clk, &out)
	defer app.Close()
	ctx := context.Background()
	app.say(t, "张三: 报修", "张三: 1", "张三: 1", "张三: 厨房水龙头一直滴水", "张三: 跳过", "张三: 1")
	key := guanjia.SessionKey{Channel: "console", Chat: "张三", Person: "张三"}
	asked, err := app.State.Load(ctx, key)
	if err != nil || asked.Step != "confirm" {
		t.Fatalf("conversation before the confirmation: %+v, %v\n%s", asked, err, out.String())
	}
	app.say(t, "张三: 1")
	// The crash: the conversation is as it was when the confirmation came.
	if err := app.State.Save(ctx, asked); err != nil {
		t.Fatal(err)
	}
	app.say(t, "张三: 1")

	var nos []string
	for _, m := range ticketNoRe.FindAllStringSubmatch(out.String(), -1) {
		nos = append(nos, m[1])
	}
	if len(nos) != 2 || nos[0] != nos[1] {
		t.Errorf("ticket numbers told: %v; want the same one twice\n%s", nos, out.String())
	}
	list, err := app.Store.TicketsByReporter(ctx, mongostore.SampleCommunity, "p-zhangsan", 0)
	if err != nil || len(list) != 1 {
		t.Errorf("张三's tickets: %d, %v; want 1", len(list), err)
	}
}

// errCrash stands for the process dying at that point: nothing after it happens.
var errCrash = errors.New("killed")

// crashTickets cuts the submit path before or after the ticket is filed.
type crashTickets struct {
	*mongostore.Store
	mu            sync.Mutex
	before, after int
}

func (c *crashTickets) CreateTicket(ctx context.Context, t *guanjia.Ticket) error {
	c.mu.Lock()
	before, after := c.before > 0, c.after > 0
	if before {
		c.before--
	} else if after {
		c.after--
	}
	c.mu.Unlock()
	if before {
		return errCrash
	}
	if err := c.Store.CreateTicket(ctx, t); err != nil {
		return err
	}
	if after {
		return errCrash
	}
	return nil
}

// crashQueue cuts the commit of a handled message (Redis gone in that moment).
type crashQueue struct {
	*redisstate.Store
	mu      sync.Mutex
	commits int
}

func (q *crashQueue) OutboxCommit(ctx context.Context, envs []*guanjia.Envelope, s map[guanjia.SessionKey]*guanjia.Session, channel, id string) error {
	q.mu.Lock()
	fail := q.commits > 0
	if fail {
		q.commits--
	}
	q.mu.Unlock()
	if fail {
		return errCrash
	}
	return q.Store.OutboxCommit(ctx, envs, s, channel, id)
}

// crashWorld is guanjia on the console with the crash points in its stores; the outbound
// queue runs only while started, so that a crash between the commit and the send can be had.
type crashWorld struct {
	*App
	con     *console.Console
	out     *bytes.Buffer
	tickets *crashTickets
	queue   *crashQueue
	stop    context.CancelFunc
	stopped chan struct{}
}

func openCrashWorld(t *testing.T) *crashWorld {
	t.Helper()
	ctx := context.Background()
	clk := newClock()
	log := slog.New(slog.DiscardHandler)
	a, err := Open(ctx, testConfig(t), log, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Store.SeedAt(ctx, clk.Now()); err != nil {
		t.Fatal(err)
	}
	w := &crashWorld{App: a, out: &bytes.Buffer{}, tickets: &crashTickets{Store: a.Store}, queue: &crashQueue{Store: a.State}}
	a.Engine.Tickets = w.tickets
	a.Outbox = outbox.New(w.queue, outbox.Options{Log: log})
	a.Mux = bot.NewMux(a.Engine, a.State, a.Outbox, log, a.Metrics)
	// A killed process retries nothing; the message comes again after the restart.
	a.Mux.Retry = nil
	w.con = console.New(nil, w.out, clk.Now)
	a.Attach(w.con, outbox.ConsoleLimits())
	w.startOutbox()
	t.Cleanup(func() {
		w.stopOutbox()
		_ = a.Close()
	})
	return w
}

func (w *crashWorld) startOutbox() {
	var ctx context.Context
	ctx, w.stop = context.WithCancel(context.Background())
	w.stopped = make(chan struct{})
	go func() {
		defer close(w.stopped)
		_ = w.Outbox.Run(ctx)
	}()
}

func (w *crashWorld) stopOutbox() {
	if w.stop != nil {
		w.stop()
		<-w.stopped
		w.stop = nil
	}
}

func (w *crashWorld) say(t *testing.T, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if err := w.con.Line(context.Background(), w.Mux, l); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSubmitKilledAtEveryPoint kills the submission of a repair at each point of its path —
// before the ticket is filed, after it is filed, at the commit of the conversation, replies
// and handled mark, and after that commit before anything was sent — and delivers the
// confirmation again, as the journal does after a restart. Every time: one ticket, the
// resident told its number once, the staff group shown one card, the conversation ended.
func TestSubmitKilledAtEveryPoint(t *testing.T) {
	points := []struct {
		name string
		arm  func(w *crashWorld)
		// sent is whether the replies of the confirmation may be out before the restart.
		afterCommit bool
	}{
		{name: "before filing", arm: func(w *crashWorld) { w.tickets.before = 1 }},
		{name: "after filing", arm: func(w *crashWorld) { w.tickets.after = 1 }},
		{name: "at the commit", arm: func(w *crashWorld) { w.queue.commits = 1 }},
		{name: "after the commit before sending", arm: func(w *crashWorld) { w.stopOutbox() }, afterCommit: true},
	}
	for _, p := range points {
		t.Run(p.name, func(t *testing.T) {
			w := openCrashWorld(t)
			ctx := context.Background()
			w.say(t, "张三: 报修", "张三: 1", "张三: 1", "张三: 厨房水龙头一直滴水", "张三: 跳过", "张三: 1")
			if !strings.Contains(w.out.String(), "请确认报修信息") {
				t.Fatalf("no confirmation asked:\n%s", w.out.String())
			}
			confirm := bot.Message{Channel: console.Name, ID: "confirm-1", ChatID: "张三", ChatName: "张三",
				SenderID: "张三", SenderName: "张三", Text: "1", Choice: "confirm:submit", At: time.Now()}
			p.arm(w)
			first := w.Mux.Deliver(ctx, confirm)
			if p.afterCommit {
				// Killed with the replies committed and nothing sent: the restarted outbox sends them.
				waitFor(t, func() bool {
					_, err := w.State.Load(ctx, guanjia.SessionKey{Channel: "console", Chat: "张三", Person: "张三"})
					return errors.Is(err, guanjia.ErrNotFound)
				})
				w.startOutbox()
			}
			<-first
			// The restart: the journal delivers the confirmation again.
			<-w.Mux.Deliver(ctx, confirm)

			text := w.out.String()
			list, err := w.Store.TicketsByReporter(ctx, mongostore.SampleCommunity, "p-zhangsan", 0)
			if err != nil || len(list) != 1 {
				t.Fatalf("张三's tickets: %d, %v; want 1\n%s", len(list), err, text)
			}
			no := list[0].No
			if n := strings.Count(text, "[张三] 报修已提交，工单号 "+no); n != 1 {
				t.Errorf("张三 told his number %d times, want once:\n%s", n, text)
			}
			if n := strings.Count(text, "【新报修】"+no); n != 1 {
				t.Errorf("staff shown the card %d times, want once:\n%s", n, text)
			}
			if n := len(ticketNoRe.FindAllString(text, -1)); n != 1 {
				t.Errorf("%d ticket numbers told, want 1:\n%s", n, text)
			}
			if _, err := w.State.Load(ctx, guanjia.SessionKey{Channel: "console", Chat: "张三", Person: "张三"}); !errors.Is(err, guanjia.ErrNotFound) {
				t.Errorf("the conversation after the submission: %v, want ended", err)
			}
			// The next message is answered as a new one, not as an answer to the summary.
			w.say(t, "张三: 进度")
			if last := w.out.String()[len(text):]; !strings.Contains(last, no) {
				t.Errorf("progress after the restart does not list %s:\n%s", no, last)
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
