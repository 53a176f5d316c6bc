package schedule

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/guanjia/guanjia"
)

// Timers keeps one-off timers and the attempts at firing them. Attempts are claimed by
// insert: the one guarantee FerretDB gives across connections. The methods take many at a
// time, because one write of many costs FerretDB little more than one of one.
type Timers interface {
	AddTimer(ctx context.Context, t guanjia.Timer) error
	Timer(ctx context.Context, id string) (guanjia.Timer, error)
	// DueTimers lists timers due at or before until, soonest first, at most limit.
	DueTimers(ctx context.Context, until time.Time, limit int) ([]guanjia.Timer, error)
	RemoveTimers(ctx context.Context, ids []string) error
	// ClaimTimerAttempts inserts attempts; false for each that was claimed before.
	ClaimTimerAttempts(ctx context.Context, attempts []guanjia.TimerAttempt) ([]bool, error)
	FinishTimerAttempts(ctx context.Context, attempts []guanjia.TimerAttempt) error
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
	a := s.attempt(t, len(attempts)+1, guanjia.JobCancelled)
	a.Finished = a.Started
	if ok, err := s.claim(ctx, a); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("schedule: cancel timer %s: taken meanwhile: %w", id, guanjia.ErrConflict)
		}
		return err
	}
	return s.timers.RemoveTimers(ctx, []string{id})
}

// attempt is attempt n at t, starting now in status.
func (s *Scheduler) attempt(t guanjia.Timer, n int, status guanjia.JobStatus) guanjia.TimerAttempt {
	return guanjia.TimerAttempt{ID: guanjia.TimerAttemptID(t.ID, n), Timer: t.ID, Kind: t.Kind, Attempt: n,
		Status: status, Started: s.opts.Now(), Instance: s.opts.Instance}
}

// claim claims one attempt.
func (s *Scheduler) claim(ctx context.Context, a guanjia.TimerAttempt) (bool, error) {
	got, err := s.timers.ClaimTimerAttempts(ctx, []guanjia.TimerAttempt{a})
	return err == nil && got[0], err
}

// sweepMax bounds the timers one sweep takes; more wait for the next sweep.
const sweepMax = 20000

// sweepChunk is how many timers are claimed, fired and recorded together. An instance that
// dies while firing a chunk leaves its attempts unfinished, to be tried again after the
// lease: a small chunk keeps that small.
const sweepChunk = 200

// Sweep fires the timers due at or before at, each once across every instance, several at a
// time. What it counts: fired, failed (to be tried again), gave_up, skipped (too late),
// waiting (for their backoff) and busy (another instance has them).
func (s *Scheduler) Sweep(ctx context.Context, at time.Time) (guanjia.JobResult, error) {
	var res guanjia.JobResult
	// One read: FerretDB reads the whole table for any query but one by _id.
	list, err := s.timers.DueTimers(ctx, at, sweepMax)
	if err != nil {
		return res, err
	}
	if len(list) == sweepMax {
		res.Note = fmt.Sprintf("more than %d due: the rest in the next sweep", sweepMax)
	}
	for len(list) > 0 {
		if ctx.Err() != nil {
			// The rest stays due, for the next sweep on any instance.
			res.Note = errStopped.Error()
			return res, nil
		}
		n := min(sweepChunk, len(list))
		if err := s.sweepChunk(ctx, list[:n], at, &res); err != nil {
			return res, err
		}
		list = list[n:]
	}
	return res, nil
}

// sweepChunk claims the next attempt at each of the timers, fires those it got, and records
// how each went. The error is the store's: a handler's own is recorded on its attempt.
func (s *Scheduler) sweepChunk(ctx context.Context, chunk []guanjia.Timer, at time.Time, res *guanjia.JobResult) error {
	firsts := make([]guanjia.TimerAttempt, len(chunk))
	for i, t := range chunk {
		firsts[i] = s.attempt(t, 1, guanjia.JobRunning)
	}
	got, err := s.timers.ClaimTimerAttempts(ctx, firsts)
	if err != nil {
		return err
	}
	var mine []guanjia.TimerAttempt
	var timers []guanjia.Timer
	for i, t := range chunk {
		if got[i] {
			mine, timers = append(mine, firsts[i]), append(timers, t)
			continue
		}
		next, outcome, err := s.nextAttempt(ctx, t)
		if err != nil {
			return err
		}
		if next == 0 {
			if outcome != "" {
				res.Add(outcome, 1)
			}
			continue
		}
		a := s.attempt(t, next, guanjia.JobRunning)
		if ok, err := s.claim(ctx, a); err != nil {
			return err
		} else if !ok {
			res.Add("busy", 1)
			continue
		}
		mine, timers = append(mine, a), append(timers, t)
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(s.opts.Workers, len(mine)) {
		wg.Go(func() {
			for i := range next {
				s.settle(ctx, timers[i], &mine[i], at)
			}
		})
	}
	for i := range mine {
		next <- i
	}
	close(next)
	wg.Wait()
	// The outcomes are kept even when the sweep was cut off by a shutdown.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := s.timers.FinishTimerAttempts(fctx, mine); err != nil {
		return err
	}
	var done []string
	for _, a := range mine {
		res.Add(outcomes[a.Status], 1)
		if a.Status.Final() {
			done = append(done, a.Timer)
		}
	}
	return s.timers.RemoveTimers(fctx, done)
}

// settle makes the claimed attempt a at t: skipped when t is found later than its kind
// allows, else fired; it sets how the attempt ended.
func (s *Scheduler) settle(ctx context.Context, t guanjia.Timer, a *guanjia.TimerAttempt, at time.Time) {
	log := s.log.With("timer", t.ID, "attempt", a.Attempt)
	defer func() { a.Finished = s.opts.Now() }()
	kind, known := s.kinds[t.Kind]
	if late := at.Sub(t.Due); known && kind.MaxLate > 0 && late > kind.MaxLate {
		a.Status, a.Error = guanjia.JobSkipped, fmt.Sprintf("found %s late, more than the %s it may be", late.Round(time.Second), kind.MaxLate)
		log.Warn("timer skipped", "reason", a.Error)
		return
	}
	err := fmt.Errorf("no handler for timer kind %q", t.Kind)
	switch {
	case ctx.Err() != nil:
		err = errStopped
	case known:
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
		return 0, "", s.timers.RemoveTimers(ctx, []string{t.ID})
	case last.Status == guanjia.JobRunning && now.Sub(last.Started) < s.opts.Lease+time.Minute:
		return 0, "busy", nil
	case last.Status == guanjia.JobFailed && now.Before(last.Finished.Add(s.backoff(last.Attempt))):
		return 0, "waiting", nil
	}
	// Failed and waited long enough, or cut off: try again. Attempts past the limit (it
	// was lowered, or the last one was cut off) are given up at once.
	if last.Attempt >= s.opts.Attempts {
		a := s.attempt(t, last.Attempt+1, guanjia.JobGaveUp)
		a.Finished, a.Error = a.Started, "no attempts left after: "+lastError(last)
		if ok, err := s.claim(ctx, a); err != nil || !ok {
			return 0, "busy", err
		}
		s.log.Error("timer given up", "timer", t.ID, "attempt", a.Attempt, "err", a.Error)
		return 0, "gave_up", s.timers.RemoveTimers(ctx, []string{t.ID})
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
