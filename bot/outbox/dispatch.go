package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// peekWindow is how far down the queue a round looks for a chat that may be sent to, so
// that one slow chat does not hold up the others behind it.
const peekWindow = 256

// dispatcher sends one channel's queue.
type dispatcher struct {
	o      *Outbox
	ch     bot.Channel
	limits Limits
	wake   chan struct{}

	// busy marks chats with a send under way: a chat's next message waits for it.
	busy map[string]bool
}

func (d *dispatcher) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *dispatcher) run(ctx context.Context) {
	name := d.ch.Name()
	log := d.o.opts.Log.With("channel", name)
	if n, err := d.o.q.OutboxRecover(ctx, name); err != nil {
		log.Error("recover claimed messages", "err", err)
	} else if n > 0 {
		log.Warn("messages claimed by a stopped sender queued again", "count", n)
	}
	done := make(chan string, d.limits.Concurrency)
	inflight := 0
	recoverTick := time.NewTicker(d.o.opts.Lease / 2)
	defer recoverTick.Stop()
	for {
		wait := d.round(ctx, done, &inflight)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			for ; inflight > 0; inflight-- {
				delete(d.busy, <-done)
			}
			return
		case chat := <-done:
			inflight--
			delete(d.busy, chat)
		case <-d.wake:
		case <-recoverTick.C:
			if _, err := d.o.q.OutboxRecover(ctx, name); err != nil && ctx.Err() == nil {
				log.Error("recover claimed messages", "err", err)
			}
		case <-timer.C:
		}
		timer.Stop()
	}
}

// round starts every send that the limits allow now and says how long until the next might be.
func (d *dispatcher) round(ctx context.Context, done chan string, inflight *int) time.Duration {
	name := d.ch.Name()
	for drained := false; !drained; {
		select {
		case chat := <-done:
			*inflight--
			delete(d.busy, chat)
		default:
			drained = true
		}
	}
	envs, err := d.o.q.OutboxPeek(ctx, name, peekWindow)
	if err != nil {
		if ctx.Err() == nil {
			d.o.opts.Log.Error("read outbound queue", "channel", name, "err", err)
		}
		return d.o.opts.Poll
	}
	if depth, err := d.o.q.OutboxLen(ctx, name); err == nil {
		d.o.opts.Metrics.QueueDepth(name, depth)
	}
	if len(envs) == 0 {
		return d.o.opts.Poll
	}
	// Each chat once: a busy group's queue would otherwise be asked about once per message.
	chats := make([]string, 0, len(envs))
	listed := map[string]bool{}
	for _, e := range envs {
		if !listed[e.Chat] {
			listed[e.Chat] = true
			chats = append(chats, e.Chat)
		}
	}
	blocked, err := d.o.q.OutboxBlocked(ctx, name, chats)
	if err != nil {
		return d.o.opts.Poll
	}
	next := d.o.opts.Poll
	skip := map[string]bool{}
	for _, env := range envs {
		if skip[env.Chat] || d.busy[env.Chat] {
			skip[env.Chat] = true
			continue
		}
		skip[env.Chat] = true // later messages of this chat wait for this one
		if w, ok := blocked[env.Chat]; ok {
			next = min(next, w)
			continue
		}
		if *inflight >= d.limits.Concurrency {
			return d.o.opts.Poll // a finished send wakes the loop sooner
		}
		rules := d.rules(env)
		w, full, err := d.o.q.RateAcquire(ctx, rules)
		if err != nil {
			return d.o.opts.Poll
		}
		if w > 0 {
			next = min(next, w)
			if full == 0 { // the channel as a whole is at its limit: nobody may send
				break
			}
			continue
		}
		if w, whole, err := d.space(ctx, env); err != nil || w > 0 {
			if err != nil {
				return d.o.opts.Poll
			}
			next = min(next, w)
			if whole {
				break
			}
			continue
		}
		claimed, ok, err := d.o.q.OutboxClaim(ctx, name, env.ID, d.o.opts.Lease)
		if err != nil || !ok {
			continue // another instance took it
		}
		env := claimed
		d.busy[env.Chat] = true
		*inflight++
		go func() {
			defer func() { done <- env.Chat }()
			d.send(env)
		}()
	}
	return next
}

// rules are the pacing rules for one message: the channel's, then the chat's.
func (d *dispatcher) rules(env guanjia.Envelope) []guanjia.RateKey {
	name := d.ch.Name()
	widen := func(r guanjia.Rate) guanjia.Rate {
		if !r.Zero() {
			r.Window += d.limits.Margin
		}
		return r
	}
	// A private chat takes a short burst (a person's question and its follow-up at once)
	// and then the average; groups and the channel keep a strict window.
	chat := guanjia.RateKey{Key: name + ":chat:" + env.Chat, Rate: widen(d.limits.Private), Bucket: true}
	if env.Group {
		chat = guanjia.RateKey{Key: name + ":chat:" + env.Chat, Rate: widen(d.limits.Group)}
	}
	return []guanjia.RateKey{{Key: name + ":all", Rate: widen(d.limits.Global)}, chat}
}

// send delivers one claimed message and settles it. It runs to the end even when the outbox
// is stopping, so that a message the platform accepted is acknowledged and not sent again.
func (d *dispatcher) send(env guanjia.Envelope) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o, name := d.o, d.ch.Name()
	log := o.opts.Log.With("channel", name, "chat_id", env.Chat, "message", env.ID)
	var r bot.Reply
	if err := json.Unmarshal(env.Body, &r); err != nil {
		log.Error("undecodable queued message dropped", "err", err)
		env.LastError = err.Error()
		d.settle(ctx, log, o.q.OutboxDrop(ctx, env), env.ID)
		return
	}
	if r.Unless != "" && o.opts.Stale != nil {
		// Checked at the last moment: a reminder queued before a payment was recorded is not sent.
		stale, err := o.opts.Stale(ctx, r.Unless)
		if err != nil {
			log.Warn("could not check whether a queued message still holds; sending it", "err", err)
		}
		if stale {
			log.Info("queued message no longer holds, not sent")
			d.settle(ctx, log, o.q.OutboxAck(ctx, name, env.ID), env.ID)
			return
		}
	}
	stopRenew := d.renew(log, env)
	err := d.ch.Send(ctx, r)
	stopRenew()
	if err == nil {
		o.opts.Metrics.Sent(name)
		if r.Tag != "" && o.opts.Delivered != nil {
			o.opts.Delivered(ctx, r)
		}
		d.settle(ctx, log, o.q.OutboxAck(ctx, name, env.ID), env.ID)
		return
	}
	se := &bot.SendError{Kind: bot.SendTransient, Err: err}
	errors.As(err, &se)
	o.opts.Metrics.SendFailed(name, se.Kind)
	env.LastError = err.Error()
	switch se.Kind {
	case bot.SendPermanent:
		log.Warn("message given up, chat unreachable", "reason", se.Reason, "err", err)
		d.settle(ctx, log, o.q.OutboxDrop(ctx, env), env.ID)
		if o.opts.Unreachable != nil {
			o.opts.Unreachable(ctx, name, env.Chat, se.Reason)
		}
	case bot.SendRateLimited:
		log.Info("platform asked to wait", "retry_after", se.RetryAfter)
		_ = o.q.OutboxBlock(ctx, name, env.Chat, se.RetryAfter)
		d.retry(ctx, log, env)
	default:
		env.Attempts++
		if env.Attempts >= o.opts.MaxAttempts {
			log.Error("message given up after retries", "attempts", env.Attempts, "err", err)
			d.settle(ctx, log, o.q.OutboxDrop(ctx, env), env.ID)
			return
		}
		wait := min(o.opts.Backoff<<(env.Attempts-1), o.opts.MaxBackoff)
		log.Warn("send failed, will retry", "attempts", env.Attempts, "wait", wait, "err", err)
		_ = o.q.OutboxBlock(ctx, name, env.Chat, wait)
		d.retry(ctx, log, env)
	}
}

// renew keeps the claim on env while it is being sent, so that the lease can be short: a
// slow platform does not make another instance send it again, and after a crash the claim
// lapses soon. The returned func stops renewing and waits for the renewer.
func (d *dispatcher) renew(log interface{ Warn(string, ...any) }, env guanjia.Envelope) func() {
	stop, done := make(chan struct{}), make(chan struct{})
	lease := d.o.opts.Lease
	go func() {
		defer close(done)
		tick := time.NewTicker(lease / 3)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				ctx, cancel := context.WithTimeout(context.Background(), lease/3)
				if err := d.o.q.OutboxRenew(ctx, d.ch.Name(), env.ID, lease); err != nil {
					log.Warn("renew claim", "err", err)
				}
				cancel()
			}
		}
	}()
	return func() {
		close(stop)
		<-done
	}
}

func (d *dispatcher) retry(ctx context.Context, log interface{ Error(string, ...any) }, env guanjia.Envelope) {
	if err := d.o.q.OutboxRetry(ctx, env); err != nil {
		// The claim lapses and OutboxRecover puts it back.
		log.Error("put message back", "err", err)
	}
}

func (d *dispatcher) settle(_ context.Context, log interface{ Error(string, ...any) }, err error, id string) {
	if err != nil {
		log.Error("settle queued message", "err", err)
	}
	d.o.finished(id)
}

// space applies the channel's spacing rules to a message about to be sent: the broadcast gap
// first (it holds back broadcasts only), then the gap between any two sends (it holds back
// the whole channel, which whole reports).
func (d *dispatcher) space(ctx context.Context, env guanjia.Envelope) (wait time.Duration, whole bool, err error) {
	name := d.ch.Name()
	gap, key := d.limits.BroadcastGap, "broadcast"
	if env.Rank == bot.LaneEmergency.Rank() && d.limits.EmergencyGap > 0 {
		// An emergency has a shorter gap of its own: residents must hear of a fire in
		// minutes, not in the hour 20 s a group would take for 200 groups.
		gap, key = d.limits.EmergencyGap, "emergency"
	}
	if gap > 0 && env.Group && env.Rank != bot.LaneReply.Rank() {
		w, err := d.o.q.OutboxSpacing(ctx, name, key, env.Chat, gap)
		if err != nil || w > 0 {
			return w, false, err
		}
	}
	if d.limits.Gap > 0 {
		gap := d.limits.Gap
		if d.limits.GapJitter > 0 {
			gap += time.Duration(rand.Int64N(int64(d.limits.GapJitter)))
		}
		w, err := d.o.q.OutboxSpacing(ctx, name, "gap", "", gap)
		return w, true, err
	}
	return 0, false, nil
}
