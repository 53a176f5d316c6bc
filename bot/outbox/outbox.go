// Package outbox is the outbound delivery queue every channel sends through: each message is
// queued in Redis before it is sent and removed only once the platform accepted it, paced to
// the platform's limits (held in Redis, so several instances keep them together), ordered by
// lane (emergency, reply, notice) and, within a chat, by the order it was queued.
package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// Queue is the durable store of waiting messages and of the pacing counters.
type Queue interface {
	OutboxPush(ctx context.Context, env *guanjia.Envelope) error
	// OutboxCommit queues envs, stores or ends the sessions (nil: ended) and marks the message
	// handled, all at once; guanjia.ErrConflict when it was marked handled meanwhile.
	OutboxCommit(ctx context.Context, envs []*guanjia.Envelope, sessions map[guanjia.SessionKey]*guanjia.Session, channel, messageID string) error
	// OutboxRenew extends the claim on a message being sent to lease from now.
	OutboxRenew(ctx context.Context, channel, id string, lease time.Duration) error
	// OutboxPeek lists waiting messages in sending order; their Attempts may be behind.
	OutboxPeek(ctx context.Context, channel string, n int) ([]guanjia.Envelope, error)
	// OutboxClaim takes a waiting message for sending and returns it as stored; false when
	// another sender took it first.
	OutboxClaim(ctx context.Context, channel, id string, lease time.Duration) (guanjia.Envelope, bool, error)
	OutboxAck(ctx context.Context, channel, id string) error
	OutboxRetry(ctx context.Context, env guanjia.Envelope) error
	OutboxDrop(ctx context.Context, env guanjia.Envelope) error
	OutboxRecover(ctx context.Context, channel string) (int, error)
	OutboxLen(ctx context.Context, channel string) (int64, error)
	OutboxBlock(ctx context.Context, channel, chat string, d time.Duration) error
	OutboxBlocked(ctx context.Context, channel string, chats []string) (map[string]time.Duration, error)
	RateAcquire(ctx context.Context, rules []guanjia.RateKey) (time.Duration, int, error)
	OutboxSpacing(ctx context.Context, channel, key, holder string, d time.Duration) (time.Duration, error)
}

// Limits are one channel's pacing and size rules.
type Limits struct {
	// Private applies to each private chat, as a token bucket: Max at once, then Max per
	// Window on average. Group applies to each group and Global to the channel as a whole, as
	// sliding windows: at most Max in any Window.
	Private, Group, Global guanjia.Rate
	// Margin widens every window a little, so that network jitter between our clock and the
	// platform's never makes a paced burst look too fast on arrival.
	Margin time.Duration
	// MaxText is the longest text the platform takes; longer ones are split (0: no limit).
	MaxText int
	// Concurrency is how many sends may be under way at once (different chats only).
	Concurrency int
	// Gap keeps consecutive sends apart by at least Gap plus a random part of GapJitter,
	// the slow, uneven pace a personal WeChat account needs not to be flagged.
	Gap, GapJitter time.Duration
	// BroadcastGap keeps two broadcasts (notices) to different groups apart.
	BroadcastGap time.Duration
	// EmergencyGap keeps two emergency messages to different groups apart instead of
	// BroadcastGap (0: BroadcastGap applies to them too).
	EmergencyGap time.Duration
}

// WeChatLimits pace a personal WeChat account: one message at a time, 2–5 s apart, 20 s
// between notices to different groups and 3 s between emergency messages to different groups.
func WeChatLimits() Limits {
	return Limits{Concurrency: 1, Gap: 2 * time.Second, GapJitter: 3 * time.Second,
		BroadcastGap: 20 * time.Second, EmergencyGap: 3 * time.Second, MaxText: 2000}
}

// TelegramLimits are Telegram's published limits: about 1 message a second per chat (short
// bursts allowed), 20 a minute per group, 30 a second overall.
func TelegramLimits() Limits {
	return Limits{
		Private: guanjia.Rate{Max: 3, Window: 3 * time.Second},
		Group:   guanjia.Rate{Max: 20, Window: time.Minute},
		Global:  guanjia.Rate{Max: 30, Window: time.Second},
		Margin:  50 * time.Millisecond, MaxText: 4096, Concurrency: 8,
	}
}

// ConsoleLimits send one message at a time in order, unpaced: a person reads the terminal.
func ConsoleLimits() Limits { return Limits{Concurrency: 1} }

// Options tune an Outbox.
type Options struct {
	Log     *slog.Logger
	Metrics *bot.Metrics
	// Unreachable is told of a chat that can no longer be reached (bot removed, user blocked it).
	Unreachable func(ctx context.Context, channel, chat, reason string)
	// Delivered is told of each tagged message the platform accepted, before it is settled:
	// after a crash in between it may be told twice.
	Delivered func(ctx context.Context, r bot.Reply)
	// Stale reports whether a message queued with Reply.Unless is pointless now; asked just
	// before sending it. nil sends every message.
	Stale func(ctx context.Context, unless string) (bool, error)
	// Lease is how long a claimed message stays claimed if its sender dies (default
	// DefaultLease); it is renewed while the send is under way. It bounds the time after a
	// crash within which a message the platform accepted unacknowledged is sent again.
	Lease time.Duration
	// MaxAttempts bounds retries of transient failures (default 20, about a day of backoff).
	MaxAttempts int
	// Backoff is the first wait after a transient failure, doubling up to MaxBackoff.
	Backoff, MaxBackoff time.Duration
	// Poll is how often an idle channel looks for messages queued by other instances.
	Poll time.Duration
}

// DefaultLease is how long a claim outlives its sender: a message accepted by the platform in
// the moment before a crash, not yet acknowledged, is sent again within this time.
const DefaultLease = 10 * time.Second

// remoteMaxText is the length replies to a channel that runs on another instance are split to:
// the shortest limit of the platforms (WeChat's), as this instance does not know which one.
const remoteMaxText = 2000

// Outbox queues replies and runs one dispatcher per registered channel.
type Outbox struct {
	q    Queue
	opts Options

	mu      sync.Mutex
	chans   map[string]*dispatcher
	waiters map[string]*waiter
}

type waiter struct {
	left int
	done chan struct{}
}

// New returns an outbox on q.
func New(q Queue, opts Options) *Outbox {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 20
	}
	if opts.Backoff <= 0 {
		opts.Backoff = time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 2 * time.Hour
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	return &Outbox{q: q, opts: opts, chans: map[string]*dispatcher{}, waiters: map[string]*waiter{}}
}

// Register adds a channel to send through, with its limits. Call it before Run.
func (o *Outbox) Register(ch bot.Channel, l Limits) {
	if l.MaxText == 0 {
		if tl, ok := ch.(bot.TextLimiter); ok {
			l.MaxText = tl.MaxText()
		}
	}
	if l.Concurrency <= 0 {
		l.Concurrency = 1
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.chans[ch.Name()] = &dispatcher{o: o, ch: ch, limits: l, wake: make(chan struct{}, 1), busy: map[string]bool{}}
}

// Enqueue queues replies (split to the platform's length) and returns a channel closed once
// all of those this instance sends were delivered or given up on. A reply to a channel that
// runs on another instance (WeChat runs on one only) is queued in Redis for that instance.
func (o *Outbox) Enqueue(ctx context.Context, replies []bot.Reply) (<-chan struct{}, error) {
	w, envs, local, errs := o.prepare(replies)
	for i, env := range envs {
		if err := o.q.OutboxPush(ctx, env); err != nil {
			errs = append(errs, err)
			o.finished(env.ID)
			continue
		}
		if local[i] != nil {
			local[i].poke()
		}
	}
	o.release(w)
	return w.done, errors.Join(errs...)
}

// Commit implements bot.Committer: the replies are queued together with the sessions and the
// handled mark, in one step.
func (o *Outbox) Commit(ctx context.Context, c bot.Commit) (<-chan struct{}, error) {
	w, envs, local, errs := o.prepare(c.Replies)
	if err := errors.Join(errs...); err != nil {
		o.abandon(w, envs)
		return w.done, err
	}
	if err := o.q.OutboxCommit(ctx, envs, c.Sessions, c.Channel, c.MessageID); err != nil {
		o.abandon(w, envs)
		return w.done, err
	}
	for _, d := range local {
		if d != nil {
			d.poke()
		}
	}
	o.release(w)
	return w.done, nil
}

// prepare splits replies into envelopes, with a waiter counting those this instance sends
// (local[i] is the dispatcher of envs[i], nil for another instance's channel).
func (o *Outbox) prepare(replies []bot.Reply) (*waiter, []*guanjia.Envelope, []*dispatcher, []error) {
	// left starts at one for the caller, so that a quick send cannot close done early.
	w := &waiter{left: 1, done: make(chan struct{})}
	var (
		envs  []*guanjia.Envelope
		local []*dispatcher
		errs  []error
	)
	for _, r := range replies {
		o.mu.Lock()
		d, ok := o.chans[r.Channel]
		o.mu.Unlock()
		maxText := remoteMaxText
		if ok {
			maxText = d.limits.MaxText
		}
		for _, part := range Split(r, maxText) {
			body, err := json.Marshal(part)
			if err != nil {
				errs = append(errs, fmt.Errorf("outbox: encode: %w", err))
				continue
			}
			env := &guanjia.Envelope{ID: newID(), Channel: part.Channel, Chat: part.ChatID, Group: part.Group,
				Rank: part.Lane.Rank(), Body: body}
			if ok {
				// The waiter is in place before the push: a running dispatcher may send at once.
				o.mu.Lock()
				w.left++
				o.waiters[env.ID] = w
				o.mu.Unlock()
			} else {
				o.opts.Log.Debug("reply queued for the instance that runs its channel", "channel", r.Channel, "chat_id", r.ChatID)
			}
			envs = append(envs, env)
			local = append(local, d)
		}
	}
	return w, envs, local, errs
}

// abandon forgets the waits of envelopes that were not queued.
func (o *Outbox) abandon(w *waiter, envs []*guanjia.Envelope) {
	for _, env := range envs {
		o.finished(env.ID)
	}
	o.release(w)
}

// release drops the caller's own count on w.
func (o *Outbox) release(w *waiter) {
	o.mu.Lock()
	defer o.mu.Unlock()
	w.left--
	if w.left == 0 {
		close(w.done)
	}
}

// finished tells a local waiter that one of its messages is out (or given up on).
func (o *Outbox) finished(id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	w, ok := o.waiters[id]
	if !ok {
		return
	}
	delete(o.waiters, id)
	w.left--
	if w.left == 0 {
		close(w.done)
	}
}

// Run dispatches every registered channel until ctx is done, then lets the sends under way
// finish (so an accepted message is not sent again) and releases everyone still waiting.
func (o *Outbox) Run(ctx context.Context) error {
	o.mu.Lock()
	ds := make([]*dispatcher, 0, len(o.chans))
	for _, d := range o.chans {
		ds = append(ds, d)
	}
	o.mu.Unlock()
	var wg sync.WaitGroup
	for _, d := range ds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.run(ctx)
		}()
	}
	wg.Wait()
	o.mu.Lock()
	for id, w := range o.waiters {
		delete(o.waiters, id)
		if w.left > 0 {
			w.left = 0
			close(w.done)
		}
	}
	// A waiter whose Enqueue is still under way keeps its guard and closes itself.
	o.mu.Unlock()
	return nil
}

// Depth is how many messages wait for channel, for health and metrics.
func (o *Outbox) Depth(ctx context.Context, channel string) (int64, error) {
	return o.q.OutboxLen(ctx, channel)
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
