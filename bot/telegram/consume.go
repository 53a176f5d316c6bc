package telegram

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/guanjia/guanjia/bot"
)

// inbound is an update recorded in the journal and waiting to be delivered.
type inbound struct {
	id  int64
	raw []byte
}

// feed hands journaled updates from the receivers (poller, webhook) to the consumer without
// ever blocking a receiver on a slow handler. The poller waits for the consumer to have
// dispatched what it took before asking Telegram again, so that under load one getUpdates
// brings many updates instead of one call per update.
type feed struct {
	mu     sync.Mutex
	items  []inbound
	taking bool
	kick   chan struct{}
	idle   chan struct{}
}

func newFeed() *feed { return &feed{kick: make(chan struct{}, 1), idle: make(chan struct{}, 1)} }

func (f *feed) push(items ...inbound) {
	f.mu.Lock()
	f.items = append(f.items, items...)
	f.mu.Unlock()
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// take returns what is waiting, by update id; settled says when it was dispatched.
func (f *feed) take() []inbound {
	f.mu.Lock()
	items := f.items
	f.items = nil
	f.taking = len(items) > 0
	f.mu.Unlock()
	slices.SortFunc(items, func(a, b inbound) int { return cmp.Compare(a.id, b.id) })
	return items
}

// settled tells the poller that what was taken is dispatched.
func (f *feed) settled() {
	f.mu.Lock()
	f.taking = false
	f.mu.Unlock()
	select {
	case f.idle <- struct{}{}:
	default:
	}
}

// idleWait bounds how long the poller waits for a busy consumer: Telegram is then told of
// what is journaled anyway, and what arrived meanwhile is journaled too.
const idleWait = time.Second

// waitIdle waits until everything pushed was dispatched, at most idleWait, or ctx is done.
func (f *feed) waitIdle(ctx context.Context) {
	limit := time.NewTimer(idleWait)
	defer limit.Stop()
	for {
		f.mu.Lock()
		idle := len(f.items) == 0 && !f.taking
		f.mu.Unlock()
		if idle {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-limit.C:
			return
		case <-f.idle:
		}
	}
}

// seenKept is how many handled update ids are remembered to skip a redelivery cheaply; older
// redeliveries are caught by the mux's dedupe.
const seenKept = 4096

// seen tracks the updates of this run: in flight (delivered, not yet handled) or handled.
// Update ids are not always increasing, so it is a set, never a high-water mark.
type seen struct {
	mu       sync.Mutex
	inFlight map[int64]bool
	handled  map[int64]bool
	order    []int64
}

func newSeen() *seen { return &seen{inFlight: map[int64]bool{}, handled: map[int64]bool{}} }

func (s *seen) state(id int64) (inFlight, handled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight[id], s.handled[id]
}

func (s *seen) start(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight[id] = true
}

func (s *seen) finish(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inFlight, id)
	if s.handled[id] {
		return
	}
	s.handled[id] = true
	s.order = append(s.order, id)
	if len(s.order) > seenKept {
		delete(s.handled, s.order[0])
		s.order = s.order[1:]
	}
}

// consume delivers journaled updates in update-id order and removes each from the journal
// once it is handled. It returns when ctx is done, after its waiters have stopped; what was
// not handled by then stays in the journal for the next run.
func (c *Channel) consume(ctx context.Context, in bot.Inbox) {
	var wg sync.WaitGroup
	defer wg.Wait()
	s := newSeen()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.feed.kick:
		}
		for _, u := range c.feed.take() {
			if ctx.Err() != nil {
				return
			}
			c.dispatch(ctx, in, u, s, &wg)
		}
		c.feed.settled()
	}
}

func (c *Channel) dispatch(ctx context.Context, in bot.Inbox, u inbound, s *seen, wg *sync.WaitGroup) {
	inFlight, handled := s.state(u.id)
	switch {
	case inFlight:
		// Its handling ends by removing the journal entry the redelivery wrote again.
		return
	case handled:
		c.forget(ctx, u.id)
		return
	}
	if done, err := c.journal.Handled(ctx, Name, itoa(u.id)); err == nil && done {
		// Handled before a crash took its journal entry's removal with it.
		s.finish(u.id)
		c.forget(ctx, u.id)
		return
	}
	var upd models.Update
	if err := json.Unmarshal(u.raw, &upd); err != nil {
		c.log.Error("telegram update undecodable", "update_id", u.id, "err", err)
		c.forget(ctx, u.id)
		return
	}
	msg, ok := c.toMessage(ctx, &upd)
	if ctx.Err() != nil {
		// Stopping: leave the update in the journal for the next run.
		return
	}
	if !ok {
		s.finish(u.id)
		c.forget(ctx, u.id)
		return
	}
	s.start(u.id)
	done := in.Deliver(ctx, msg)
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-done:
		case <-ctx.Done():
			select {
			case <-done:
			default:
				return
			}
		}
		s.finish(u.id)
		c.forget(ctx, u.id)
	}()
}

// forget removes a handled update from the journal, even while stopping: handling it again
// after a restart would only be caught by the dedupe.
func (c *Channel) forget(ctx context.Context, id int64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := c.journal.JournalRemove(ctx, Name, id); err != nil {
		c.log.Warn("telegram journal remove failed", "update_id", id, "err", err)
	}
}

// toMessage turns an update into the message to deliver; false means nothing to deliver
// (an update of another kind, a command for another bot, a refused button press).
func (c *Channel) toMessage(ctx context.Context, upd *models.Update) (bot.Message, bool) {
	switch {
	case upd.Message != nil:
		return c.message(upd.ID, upd.Message)
	case upd.CallbackQuery != nil:
		return c.callback(ctx, upd.ID, upd.CallbackQuery)
	}
	return bot.Message{}, false
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
