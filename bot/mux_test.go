package bot_test

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/bottest"
)

// echo answers every message with its text, slowly, and records the order it saw them in.
type echo struct {
	mu      sync.Mutex
	seen    map[string][]string
	active  map[string]int
	overlap bool
	maxPar  int
	par     int
	delay   time.Duration // how long each message takes; 2 ms when zero
}

func (h *echo) Handle(_ context.Context, m bot.Message) []bot.Reply {
	conv := m.ChatID + "/" + m.SenderID
	h.mu.Lock()
	h.active[conv]++
	if h.active[conv] > 1 {
		h.overlap = true
	}
	h.par++
	h.maxPar = max(h.maxPar, h.par)
	h.mu.Unlock()
	time.Sleep(cmp.Or(h.delay, 2*time.Millisecond))
	h.mu.Lock()
	h.seen[conv] = append(h.seen[conv], m.Text)
	h.active[conv]--
	h.par--
	h.mu.Unlock()
	return []bot.Reply{{Channel: m.Channel, ChatID: m.ChatID, Text: m.Text}}
}

type memSeen struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (d *memSeen) Handled(_ context.Context, ch, id string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.seen[ch+id], nil
}

func (d *memSeen) MarkHandled(_ context.Context, ch, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seen[ch+id] = true
	return nil
}

func TestMuxOrdersEachConversationAndRunsOthersInParallel(t *testing.T) {
	h := &echo{seen: map[string][]string{}, active: map[string]int{}}
	mux := bot.NewMux(h, &memSeen{seen: map[string]bool{}}, nil, slog.New(slog.DiscardHandler), nil)
	rec := bottest.NewRecorder("test")
	mux.Add(rec)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- mux.Run(ctx) }()
	rec.Say(ctx, bot.Message{ID: "warmup", ChatID: "c0", SenderID: "p0", Text: "hi"})

	var dones []<-chan struct{}
	for i := range 20 {
		for p := range 5 {
			m := bot.Message{Channel: "test", ID: fmt.Sprintf("%d-%d", p, i), ChatID: "group", SenderID: fmt.Sprint("p", p), Text: fmt.Sprint(i)}
			dones = append(dones, mux.Deliver(ctx, m))
		}
	}
	// A redelivered message is handled once.
	dones = append(dones, mux.Deliver(ctx, bot.Message{Channel: "test", ID: "0-0", ChatID: "group", SenderID: "p0", Text: "again"}))
	for _, d := range dones {
		<-d
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if h.overlap {
		t.Error("two messages of one conversation were handled at the same time")
	}
	if h.maxPar < 2 {
		t.Errorf("conversations never ran in parallel (max %d at once)", h.maxPar)
	}
	for p := range 5 {
		got := h.seen[fmt.Sprint("group/p", p)]
		if len(got) != 20 {
			t.Fatalf("p%d: %d messages handled, want 20 (duplicate skipped): %v", p, len(got), got)
		}
		for i, text := range got {
			if text != fmt.Sprint(i) {
				t.Fatalf("p%d: out of order: %v", p, got)
			}
		}
	}
	if n := len(rec.Sent()); n != 101 {
		t.Errorf("%d replies sent, want 101", n)
	}
}

// A burst — fifty residents pressing 确认提交 at the same moment — is handled a few at a
// time in arrival order: the first to arrive are answered first, instead of every one
// taking as long as the whole burst.
func TestMuxHandlesABurstAFewAtATimeInOrder(t *testing.T) {
	// Slow enough that every message of the burst is waiting before the first is done, even
	// on a busy machine.
	h := &echo{seen: map[string][]string{}, active: map[string]int{}, delay: 10 * time.Millisecond}
	mux := bot.NewMux(h, &memSeen{seen: map[string]bool{}}, nil, slog.New(slog.DiscardHandler), nil)
	rec := bottest.NewRecorder("test")
	mux.Add(rec)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = mux.Run(ctx) }()
	const burst = 60
	finished := make(chan int, burst)
	var wg sync.WaitGroup
	for i := range burst {
		done := mux.Deliver(ctx, bot.Message{Channel: "test", ID: fmt.Sprint("b", i), ChatID: fmt.Sprint("chat-", i),
			SenderID: fmt.Sprint("p", i), Text: "确认提交"})
		wg.Go(func() { <-done; finished <- i })
	}
	wg.Wait()
	close(finished)
	if h.maxPar > bot.DefaultParallel() || h.maxPar < 2 {
		t.Errorf("%d messages handled at once; want between 2 and %d", h.maxPar, bot.DefaultParallel())
	}
	var order []int
	for i := range finished {
		order = append(order, i)
	}
	// The first quarter to arrive are all done before the last quarter's first one.
	firstLate := len(order)
	for pos, i := range order {
		if i >= burst*3/4 {
			firstLate = pos
			break
		}
	}
	for pos, i := range order {
		if i < burst/4 && pos > firstLate {
			t.Fatalf("message %d of the burst finished after message %d of its last quarter: %v", i, order[firstLate], order)
		}
	}
}

// fragile panics on "boom" and answers everything else; it apologizes as the engine does.
type fragile struct{}

func (fragile) Handle(_ context.Context, m bot.Message) []bot.Reply {
	if m.Text == "boom" {
		var data map[string]string
		data["step"] = "x" // a nil map written to, as a bug would
	}
	return []bot.Reply{{Channel: m.Channel, ChatID: m.ChatID, Text: "re: " + m.Text}}
}

func (fragile) Apology(m bot.Message) []bot.Reply {
	return []bot.Reply{{Channel: m.Channel, ChatID: m.ChatID, Text: "抱歉，系统暂时出了点问题"}}
}

// A handler that panics on a message does not take the process down: the person is told,
// the message counts as handled (a redelivery does not crash it again), and the next message
// of the conversation is answered.
func TestMuxSurvivesAPanickingHandler(t *testing.T) {
	seen := &memSeen{seen: map[string]bool{}}
	mux := bot.NewMux(fragile{}, seen, nil, slog.New(slog.DiscardHandler), nil)
	rec := bottest.NewRecorder("test")
	mux.Add(rec)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = mux.Run(ctx) }()
	<-mux.Deliver(ctx, bot.Message{Channel: "test", ID: "1", ChatID: "c", SenderID: "p", Text: "boom"})
	<-mux.Deliver(ctx, bot.Message{Channel: "test", ID: "1", ChatID: "c", SenderID: "p", Text: "boom"})
	<-mux.Deliver(ctx, bot.Message{Channel: "test", ID: "2", ChatID: "c", SenderID: "p", Text: "hello"})
	var texts []string
	for _, r := range rec.Sent() {
		texts = append(texts, r.Text)
	}
	if want := []string{"抱歉，系统暂时出了点问题", "re: hello"}; fmt.Sprint(texts) != fmt.Sprint(want) {
		t.Errorf("sent %q, want %q", texts, want)
	}
}
