package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
)

// Deduper remembers platform message ids, so that a message delivered twice is handled once.
type Deduper interface {
	FirstSeen(ctx context.Context, channel, messageID string) (bool, error)
}

// Mux runs channels, routes replies to the channel they belong to, and handles each
// conversation (channel, chat, sender) strictly in order while different conversations
// proceed in parallel.
type Mux struct {
	handler Handler
	dedupe  Deduper
	log     *slog.Logger

	mu       sync.Mutex
	channels map[string]Channel
	queues   map[string]*queue
	workers  sync.WaitGroup
}

type item struct {
	ctx  context.Context
	msg  Message
	done chan struct{}
}

type queue struct{ items []item }

// NewMux returns a mux that hands messages to h, skipping those d has seen before.
func NewMux(h Handler, d Deduper, log *slog.Logger) *Mux {
	return &Mux{handler: h, dedupe: d, log: log, channels: map[string]Channel{}, queues: map[string]*queue{}}
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
	q.items = append(q.items, item{ctx: context.WithoutCancel(ctx), msg: msg, done: done})
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
		m.handle(it.ctx, it.msg)
		close(it.done)
	}
}

func (m *Mux) handle(ctx context.Context, msg Message) {
	if msg.ID != "" && m.dedupe != nil {
		first, err := m.dedupe.FirstSeen(ctx, msg.Channel, msg.ID)
		if err != nil {
			// Handling twice is better than dropping a resident's message.
			m.log.Warn("dedupe check failed", "channel", msg.Channel, "message_id", msg.ID, "err", err)
		} else if !first {
			m.log.Info("duplicate message skipped", "channel", msg.Channel, "message_id", msg.ID)
			return
		}
	}
	for _, r := range m.handler.Handle(ctx, msg) {
		m.Send(ctx, r)
	}
}

// Send delivers r through its channel, logging a failure.
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
