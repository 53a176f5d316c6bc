package schedule

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/guanjia/guanjia"
)

// Timers keeps one-off timers and the attempts at firing them. Attempts are claimed by
// insert: the one guarantee FerretDB gives across connections.
type Timers interface {
	AddTimer(ctx context.Context, t guanjia.Timer) error
	Timer(ctx context.Context, id string) (guanjia.Timer, error)
	// DueTimers lists timers due at or before until with ids after after, soonest first.
	DueTimers(ctx context.Context, until time.Time, after string, limit int) ([]guanjia.Timer, error)
	RemoveTimer(ctx context.Context, id string) error
	// ClaimTimerAttempt inserts an attempt; false when that attempt was claimed before.
	ClaimTimerAttempt(ctx context.Context, a guanjia.TimerAttempt) (bool, error)
	FinishTimerAttempt(ctx context.Context, a guanjia.TimerAttempt) error
	// TimerAttempts lists a timer's attempts, first to last.
	TimerAttempts(ctx context.Context, timer string) ([]guanjia.TimerAttempt, error)
}

// TimerKind is how timers of one kind are fired.
type TimerKind struct {
	// Kind is the word timers of this kind carry.
	Kind string
	// MaxLate is how long after its due time a timer still means something; one found later
	// (guanjia was down) is recorded as skipped. 0: however late.
	MaxLate time.Duration
	// Fire does what the timer is for. An error is recorded and the timer tried again later,
	// with backoff, up to the scheduler's Attempts. It may run beside other timers' Fire.
	Fire func(ctx context.Context, t guanjia.Timer) error
}

// Handle makes the scheduler fire timers of k.Kind with k.Fire.
func (s *Scheduler) Handle(k TimerKind) error {
	if _, err := guanjia.NewTimer(k.Kind, "x", time.Unix(0, 0), nil); err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	if _, ok := s.kinds[k.Kind]; ok {
		return fmt.Errorf("schedule: timer kind %s handled twice: %w", k.Kind, guanjia.ErrConflict)
	}
	if k.Fire == nil {
		return fmt.Errorf("schedule: timer kind %s has nothing to fire: %w", k.Kind, guanjia.ErrInvalid)
	}
	s.kinds[k.Kind] = k
	return nil
}

// AddTimer sets a timer of kind for key at due. Setting the same kind, key and due time
// again is the same timer, not a second one.
func (s *Scheduler) AddTimer(ctx context.Context, kind, key string, due time.Time, data map[string]string) (guanjia.Timer, error) {
	t, err := guanjia.NewTimer(kind, key, due, data)
	if err != nil {
		return t, fmt.Errorf("schedule: %w", err)
	}
	t.Created = s.opts.Now()
	if err := s.timers.AddTimer(ctx, t); err != nil {
		return t, err
	}
	return t, nil
}

// CancelTimer withdraws a timer that has not fired. A timer firing or fired is an error
// wrapping guanjia.ErrConflict; an unknown one, guanjia.ErrNotFound.
func (s *Scheduler) CancelTimer(ctx context.Context, id string) error {
	t, err := s.timers.Timer(ctx, id)
	if err != nil {
		return err
	}
	attempts, err := s.timers.TimerAttempts(ctx, id)
	if err != nil {
		return err
	}
	if n := len(attempts); n > 0 && (attempts[n-1].Status == guanjia.JobRunning || attempts[n-1].Status.Final()) {
		return fmt.Errorf("schedule: cancel timer %s: %s: %w", id, attempts[n-1].Status, guanjia.ErrConflict)
	}
	now := s.opts.Now()
	a := guanjia.TimerAttempt{ID: guanjia.TimerAttemptID(id, len(attempts)+1), Timer: id, Kind: t.Kind, Attempt: len(attempts) + 1,
		Status: guanjia.JobCancelled, Started: now, Finished: now, Instance: s.opts.Instance}
	ok, err := s.timers.ClaimTimerAttempt(ctx, a)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("schedule: cancel timer %s: taken meanwhile: %w", id, guanjia.ErrConflict)
	}
	return s.timers.RemoveTimer(ctx, id)
}

// sweepPage is how many due timers a sweep reads at a time.
const sweepPage = 1000

// Sweep fires the timers due at or before at, each once across every instance, several at a
// time. What it counts: fired, failed (to be tried again), gave_up, skipped (too late),
// waiting (for their backoff) and busy (another instance has them).
func (s *Scheduler) Sweep(ctx context.Context, at time.Time) (guanjia.JobResult, error) {
	var (
		res  guanjia.JobResult
		mu   sync.Mutex
		wg   sync.WaitGroup
		work = make(chan guanjia.Timer)
	)
	var fireErr error
	for range s.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				outcome, err := s.fireTimer(ctx, t, at)
				mu.Lock()
				if outcome != "" {
					res.Add(outcome, 1)
				}
				if err != nil && fireErr == nil {
					fireErr = err
				}
				mu.Unlock()
			}
		}()
	}
	var err error
	after := ""
feed:
	for {
		var list []guanjia.Timer
		if list, err = s.timers.DueTimers(ctx, at, after, sweepPage); err != nil {
			break
		}
		for _, t := range list {
			select {
			case work <- t:
			case <-ctx.Done():
				break feed
			}
		}
		if len(list) < sweepPage {
			break
		}
		after = list[len(list)-1].ID
	}
	close(work)
	wg.Wait()
	switch {
	case ctx.Err() != nil:
		// The rest stays due, for the next sweep on any instance.
		res.Note = errStopped.Error()
		return res, nil
	case err != nil:
		return res, err
	}
	return res, fireErr
}

// fireTimer claims the next attempt at t and makes it; it says what became of the timer.
// The error is the store's: the handler's own is recorded on the attempt.
func (s *Scheduler) fireTimer(ctx context.Context, t guanjia.Timer, at time.Time) (string, error) {
	a := guanjia.TimerAttempt{ID: guanjia.TimerAttemptID(t.ID, 1), Timer: t.ID, Kind: t.Kind, Attempt: 1,
		Status: guanjia.JobRunning, Started: s.opts.Now(), Instance: s.opts.Instance}
	ok, err := s.timers.ClaimTimerAttempt(ctx, a)
	if err != nil {
		return "", err
	}
	if !ok {
		next, outcome, err := s.nextAttempt(ctx, t)
		if next == 0 || err != nil {
			return outcome, err
		}
		a.ID, a.Attempt, a.Started = guanjia.TimerAttemptID(t.ID, next), next, s.opts.Now()
		if ok, err = s.timers.ClaimTimerAttempt(ctx, a); err != nil || !ok {
			return "busy", err
		}
	}
	log := s.log.With("timer", t.ID, "attempt", a.Attempt)
	kind, known := s.kinds[t.Kind]
	if late := at.Sub(t.Due); known && kind.MaxLate > 0 && late > kind.MaxLate {
		a.Status, a.Error = guanjia.JobSkipped, fmt.Sprintf("found %s late, more than the %s it may be", late.Round(time.Second), kind.MaxLate)
		log.Warn("timer skipped", "reason", a.Error)
	} else {
		err := fmt.Errorf("no handler for timer kind %q", t.Kind)
		if known {
			err = s.fire(ctx, kind, t)
		}
		switch {
		case err == nil:
			a.Status = guanjia.JobDone
			log.Debug("timer fired")
		case a.Attempt >= s.opts.Attempts:
			a.Status, a.Error = guanjia.JobGaveUp, err.Error()
			log.Error("timer given up", "err", err)
		default:
			a.Status, a.Error = guanjia.JobFailed, err.Error()
			log.Warn("timer failed, will try again", "err", err, "retry_in", s.backoff(a.Attempt))
		}
	}
	a.Finished = s.opts.Now()
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.timers.FinishTimerAttempt(fctx, a); err != nil {
		return "", err
	}
	if a.Status.Final() {
		if err := s.timers.RemoveTimer(fctx, t.ID); err != nil {
			return "", err
		}
	}
	return outcomes[a.Status], nil
}

// outcomes name what a sweep counts for each status an attempt ends in.
var outcomes = map[guanjia.JobStatus]string{
	guanjia.JobDone: "fired", guanjia.JobFailed: "failed", guanjia.JobGaveUp: "gave_up", guanjia.JobSkipped: "skipped",
}

// fire runs the kind's handler within the lease, turning a panic into an error.
func (s *Scheduler) fire(ctx context.Context, k TimerKind, t guanjia.Timer) (err error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Lease)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{value: r}
		}
	}()
	return k.Fire(ctx, t)
}

// backoff is the wait after attempt n failed.
func (s *Scheduler) backoff(n int) time.Duration {
	return s.opts.Backoff << min(n-1, 20)
}

// nextAttempt decides, from the attempts at t so far, whether another is due now: its
// number, or 0 and why not. A timer whose last attempt was final is removed (its instance
// stopped between the two writes).
func (s *Scheduler) nextAttempt(ctx context.Context, t guanjia.Timer) (int, string, error) {
	attempts, err := s.timers.TimerAttempts(ctx, t.ID)
	if err != nil || len(attempts) == 0 {
		return 0, "busy", err
	}
	last := attempts[len(attempts)-1]
	now := s.opts.Now()
	switch {
	case last.Status.Final():
		return 0, "", s.timers.RemoveTimer(ctx, t.ID)
	case last.Status == guanjia.JobRunning && now.Sub(last.Started) < s.opts.Lease+time.Minute:
		return 0, "busy", nil
	case last.Status == guanjia.JobFailed && now.Before(last.Finished.Add(s.backoff(last.Attempt))):
		return 0, "waiting", nil
	}
	// Failed and waited long enough, or cut off: try again. Attempts past the limit (it
	// was lowered, or the last one was cut off) are given up at once.
	if last.Attempt >= s.opts.Attempts {
		a := guanjia.TimerAttempt{ID: guanjia.TimerAttemptID(t.ID, last.Attempt+1), Timer: t.ID, Kind: t.Kind,
			Attempt: last.Attempt + 1, Status: guanjia.JobGaveUp, Started: now, Finished: now,
			Error: "no attempts left after: " + lastError(last), Instance: s.opts.Instance}
		if ok, err := s.timers.ClaimTimerAttempt(ctx, a); err != nil || !ok {
			return 0, "busy", err
		}
		s.log.Error("timer given up", "timer", t.ID, "attempt", a.Attempt, "err", a.Error)
		return 0, "gave_up", s.timers.RemoveTimer(ctx, t.ID)
	}
	return last.Attempt + 1, "", nil
}

// lastError says how an attempt ended badly.
func lastError(a guanjia.TimerAttempt) string {
	if a.Status == guanjia.JobRunning {
		return "attempt cut off (its instance stopped)"
	}
	return a.Error
}
