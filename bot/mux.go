package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/guanjia/guanjia"
)

// Deduper remembers platform message ids, so that a message delivered twice is handled once.
// The mux asks before handling; the mark is made with the outcome (see Committer), or after
// the replies are queued when the outbound queue cannot commit: a message whose handling a
// crash cut short is handled again when it is delivered again.
type Deduper interface {
	Handled(ctx context.Context, channel, messageID string) (bool, error)
	MarkHandled(ctx context.Context, channel, messageID string) error
}

// Outbound takes the replies a message caused, for delivery. The returned channel is
// closed once every reply was delivered or given up on.
type Outbound interface {
	Enqueue(ctx context.Context, replies []Reply) (<-chan struct{}, error)
}

// Committer is an Outbound that commits what handling a message decided — the conversations
// saved or ended, the replies, and the mark that the message was handled — in one atomic step.
// It returns an error wrapping guanjia.ErrConflict when the message was marked handled
// meanwhile (by another instance); nothing is committed then.
type Committer interface {
	Commit(ctx context.Context, c Commit) (<-chan struct{}, error)
}

// Commit is one handled message's outcome.
type Commit struct {
	// Channel and MessageID name the message; an empty MessageID marks nothing.
	Channel, MessageID string
	// Sessions are the conversations as the message left them: nil for one that ended.
	Sessions map[guanjia.SessionKey]*guanjia.Session
	Replies  []Reply
}

// Apologizer gives the polite words for a message that could not be handled because the
// state store failed after the handler had answered.
type Apologizer interface {
	Apology(msg Message) []Reply
}

// DefaultRetry are the waits before a message whose handling failed is tried again: about a
// minute and a quarter in all, enough for a store to come back from a restart or failover.
var DefaultRetry = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
	15 * time.Second, 15 * time.Second, 15 * time.Second, 15 * time.Second}

// DefaultParallel is how many messages a mux handles at the same moment: four per CPU, at
// least eight. Handling is short and mostly waits on the stores, so a few per CPU keep them
// busy; beyond that, a burst (fifty residents pressing 确认提交 together) would be handled all
// at once, each taking as long as the whole burst, where taken in arrival order the first
// ones are answered while the last are still waiting.
func DefaultParallel() int {
	return max(8, 4*runtime.GOMAXPROCS(0))
}

// Synchronous is implemented by channels whose person waits for the answer before typing
// again (a terminal): their messages count as handled only once the replies are out.
type Synchronous interface {
	Synchronous() bool
}

// Mux runs channels, routes replies to the channel they belong to, and handles each
// conversation (channel, chat, sender) strictly in order while different conversations
// proceed in parallel.
type Mux struct {
	handler Handler
	dedupe  Deduper
	out     Outbound
	log     *slog.Logger
	metrics *Metrics

	// Retry are the waits before a failed message is handled again (default DefaultRetry).
	// Set before Run.
	Retry []time.Duration

	// gate bounds how many messages are handled at the same moment (see DefaultParallel).
	gate *gate

	mu       sync.Mutex
	channels map[string]Channel
	queues   map[string]*queue
	arrived  uint64
	workers  sync.WaitGroup
	quit     chan struct{}
	stopOnce sync.Once
}

type item struct {
	ctx  context.Context
	msg  Message
	seq  uint64 // arrival order, across conversations
	done chan struct{}
}

type queue struct{ items []item }

// NewMux returns a mux that hands messages to h, skipping those d has seen before, and
// passes the replies to out (nil: each channel's Send, directly).
func NewMux(h Handler, d Deduper, out Outbound, log *slog.Logger, m *Metrics) *Mux {
	return &Mux{handler: h, dedupe: d, out: out, log: log, metrics: m, Retry: DefaultRetry,
		gate:     newGate(DefaultParallel()),
		channels: map[string]Channel{}, queues: map[string]*queue{}, quit: make(chan struct{})}
}

// Add registers a channel. Channels must be added before Run.
func (m *Mux) Add(ch Channel) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.channels[ch.Name()] = ch
}

// Run runs every channel until ctx is done or all of them return, then waits for the
// messages in flight. A channel that fails stops the others.
func (m *Mux) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m.mu.Lock()
	chans := make([]Channel, 0, len(m.channels))
	for _, ch := range m.channels {
		chans = append(chans, ch)
	}
	m.mu.Unlock()
	if len(chans) == 0 {
		return errors.New("bot: no channel configured")
	}
	errs := make(chan error, len(chans))
	for _, ch := range chans {
		go func() {
			err := ch.Run(ctx, m)
			if err != nil && !errors.Is(err, context.Canceled) {
				m.log.Error("channel stopped", "channel", ch.Name(), "err", err)
				cancel()
				errs <- fmt.Errorf("bot: channel %s: %w", ch.Name(), err)
				return
			}
			errs <- nil
		}()
	}
	var first error
	for range chans {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	// Messages waiting to be tried again stay unhandled: their platform or journal delivers
	// them again after the restart.
	m.stopOnce.Do(func() { close(m.quit) })
	m.Wait()
	return first
}

// Wait blocks until no message is being handled.
func (m *Mux) Wait() { m.workers.Wait() }

// Deliver queues m behind the earlier messages of its conversation. The returned channel is
// closed once m is handled (or skipped as a duplicate) and its replies are sent.
func (m *Mux) Deliver(ctx context.Context, msg Message) <-chan struct{} {
	done := make(chan struct{})
	key := msg.Channel + "\x00" + msg.ChatID + "\x00" + msg.SenderID
	m.mu.Lock()
	q, running := m.queues[key]
	if !running {
		q = &queue{}
		m.queues[key] = q
	}
	m.arrived++
	q.items = append(q.items, item{ctx: context.WithoutCancel(ctx), msg: msg, seq: m.arrived, done: done})
	if !running {
		m.workers.Add(1)
		go m.work(key, q)
	}
	m.mu.Unlock()
	return done
}

// work drains one conversation's queue and exits when it is empty, so idle conversations
// cost no goroutine.
func (m *Mux) work(key string, q *queue) {
	defer m.workers.Done()
	for {
		m.mu.Lock()
		if len(q.items) == 0 {
			delete(m.queues, key)
			m.mu.Unlock()
			return
		}
		it := q.items[0]
		q.items = q.items[1:]
		m.mu.Unlock()
		m.handle(it.ctx, it.msg, it.seq)
		close(it.done)
	}
}

func (m *Mux) handle(ctx context.Context, msg Message, seq uint64) {
	if msg.ID != "" && m.dedupe != nil {
		seen, err := m.dedupe.Handled(ctx, msg.Channel, msg.ID)
		if err != nil {
			// Handling twice is better than dropping a resident's message.
			m.log.Warn("dedupe check failed", "channel", msg.Channel, "message_id", msg.ID, "err", err)
		} else if seen {
			m.log.Info("duplicate message skipped", "channel", msg.Channel, "message_id", msg.ID)
			return
		}
	}
	m.metrics.received(msg.Channel)
	for attempt := 0; ; attempt++ {
		err := m.handleOnce(ctx, msg, seq, attempt == 0)
		if err == nil {
			return
		}
		if attempt >= len(m.Retry) {
			m.log.Error("message given up after retries", "channel", msg.Channel, "message_id", msg.ID, "attempts", attempt+1, "err", err)
			return
		}
		wait := m.Retry[attempt]
		m.log.Warn("message not handled, will retry", "channel", msg.Channel, "message_id", msg.ID, "wait", wait, "err", err)
		select {
		case <-time.After(wait):
		case <-m.quit:
			return
		}
	}
}

// handleOnce handles msg and commits the outcome. An error means nothing was committed and the
// message is to be tried again; the person was told (apologize) on the first failure.
func (m *Mux) handleOnce(ctx context.Context, msg Message, seq uint64, apologize bool) error {
	m.gate.enter(seq)
	held := true
	release := func() {
		if held {
			held = false
			m.gate.leave()
		}
	}
	defer release()
	c, atomic := m.out.(Committer)
	if !atomic {
		replies, crashed := m.call(ctx, msg)
		if crashed {
			replies = m.apology(msg)
		}
		release()
		m.deliver(ctx, msg.Channel, replies)
		if msg.ID != "" && m.dedupe != nil {
			if err := m.dedupe.MarkHandled(ctx, msg.Channel, msg.ID); err != nil {
				m.log.Warn("dedupe mark failed", "channel", msg.Channel, "message_id", msg.ID, "err", err)
			}
		}
		return nil
	}
	turn := &Turn{}
	replies, crashed := m.call(WithTurn(ctx, turn), msg)
	if crashed {
		// Handling it again would fail the same way: the person is told, the message
		// counts as handled, and their conversation stays where it was.
		turn = &Turn{}
		replies = m.apology(msg)
	}
	if err := turn.Err(); err != nil {
		release()
		if apologize {
			m.apologize(ctx, msg.Channel, replies)
		}
		return err
	}
	commit := Commit{Channel: msg.Channel, Replies: replies}
	if m.dedupe != nil {
		commit.MessageID = msg.ID
	}
	for _, ch := range turn.Changes() {
		if commit.Sessions == nil {
			commit.Sessions = map[guanjia.SessionKey]*guanjia.Session{}
		}
		commit.Sessions[ch.Key] = ch.Session
	}
	sent, err := c.Commit(ctx, commit)
	switch {
	case errors.Is(err, guanjia.ErrConflict):
		m.log.Info("message handled elsewhere meanwhile", "channel", msg.Channel, "message_id", msg.ID)
		return nil
	case err != nil:
		release()
		if a, ok := m.handler.(Apologizer); ok && apologize {
			m.apologize(ctx, msg.Channel, a.Apology(msg))
		}
		return fmt.Errorf("bot: commit: %w", err)
	}
	release()
	m.wait(ctx, msg.Channel, sent)
	return nil
}

// call runs the handler on msg; a handler that panics is logged with its stack and reported
// as crashed, instead of taking the process (and every conversation in it) down, and down
// again on each redelivery of the message.
func (m *Mux) call(ctx context.Context, msg Message) (replies []Reply, crashed bool) {
	defer func() {
		if r := recover(); r != nil {
			m.log.Error("message handler panicked", "channel", msg.Channel, "message_id", msg.ID,
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			replies, crashed = nil, true
		}
	}()
	return m.handler.Handle(ctx, msg), false
}

// apology is what the person hears when their message could not be handled.
func (m *Mux) apology(msg Message) []Reply {
	if a, ok := m.handler.(Apologizer); ok {
		return a.Apology(msg)
	}
	return nil
}

// apologize sends replies through the queue, or straight through the channel when the queue
// cannot take them: the person hears something either way.
func (m *Mux) apologize(ctx context.Context, from string, replies []Reply) {
	if len(replies) == 0 {
		return
	}
	if m.out != nil {
		sent, err := m.out.Enqueue(ctx, replies)
		if err == nil {
			m.wait(ctx, from, sent)
			return
		}
		m.log.Warn("queue apology failed, sending it directly", "channel", from, "err", err)
	}
	for _, r := range replies {
		m.Send(ctx, r)
	}
}

// deliver queues the replies; for a synchronous channel it waits until they are out.
func (m *Mux) deliver(ctx context.Context, from string, replies []Reply) {
	if len(replies) == 0 {
		return
	}
	if m.out == nil {
		for _, r := range replies {
			m.Send(ctx, r)
		}
		return
	}
	sent, err := m.out.Enqueue(ctx, replies)
	if err != nil {
		m.log.Error("queue replies failed", "channel", from, "replies", len(replies), "err", err)
		return
	}
	m.wait(ctx, from, sent)
}

// wait waits for sent when the channel's person waits for the answer before typing again.
func (m *Mux) wait(ctx context.Context, from string, sent <-chan struct{}) {
	m.mu.Lock()
	ch := m.channels[from]
	m.mu.Unlock()
	if s, ok := ch.(Synchronous); ok && s.Synchronous() {
		select {
		case <-sent:
		case <-ctx.Done():
		}
	}
}

// Send delivers r through its channel directly, logging a failure.
func (m *Mux) Send(ctx context.Context, r Reply) {
	m.mu.Lock()
	ch, ok := m.channels[r.Channel]
	m.mu.Unlock()
	if !ok {
		m.log.Warn("reply to a channel that is not running", "channel", r.Channel, "chat_id", r.ChatID)
		return
	}
	if err := ch.Send(ctx, r); err != nil {
		m.log.Error("send failed", "channel", r.Channel, "chat_id", r.ChatID, "err", err)
	}
}
