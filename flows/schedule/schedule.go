// Package schedule runs guanjia's jobs on a clock: each job at the slots of its cron spec,
// in the office's time zone, once per slot however many instances run, caught up at start
// when a slot passed while guanjia was down; and one-off timers, kept in the store and fired
// by a sweep, so that a restart loses none and no instance fires one twice.
//
// A job is a plain method (a Func) that tests call without any clock; the runner adds the
// once-per-slot claim, the record of its outcome and the recovery of panics.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/guanjia/guanjia"
)

// Func is a scheduled job: it does its work as of at, the slot it runs for (the time it was
// due, not the time it happens to start), and reports what it did.
type Func func(ctx context.Context, at time.Time) (guanjia.JobResult, error)

// Off is the spec of a job that runs only when asked (guanjia jobs run).
const Off = "off"

// Job is one line of the table of schedules.
type Job struct {
	// Name is a short word, unique in the table; it names the job's records and config key.
	Name string
	// Spec is when it runs: a cron spec of 5 fields (or 6, seconds first), a descriptor such
	// as @daily, "@every 30s" (aligned to multiples of the interval), or Off.
	Spec string
	// About says what it does, for the office.
	About string
	// MaxLate is how long after its slot a run still means something; a slot found later
	// (guanjia was down) is recorded as skipped. 0: however late.
	MaxLate time.Duration
	// Run does the work.
	Run Func
}

// Runs keeps the runs of jobs; its claim is the once-per-slot guarantee.
type Runs interface {
	// ClaimJobRun inserts run; claimed is false, with the run already recorded, when its
	// slot was claimed before.
	ClaimJobRun(ctx context.Context, run guanjia.JobRun) (prior guanjia.JobRun, claimed bool, err error)
	FinishJobRun(ctx context.Context, run guanjia.JobRun) error
}

// Options configure a Scheduler; zero values take the defaults.
type Options struct {
	// Location is the office's time zone, in which specs are read; default UTC.
	Location *time.Location
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Log receives one line per run and per problem.
	Log *slog.Logger
	// Instance names this process in the records; default host/pid.
	Instance string
	// Attempts is how many times a timer is tried before it is given up; default 5.
	Attempts int
	// Backoff is the wait after a timer's first failure, doubled after each further one;
	// default 30s.
	Backoff time.Duration
	// Lease bounds one attempt at a timer; an attempt started longer ago and never finished
	// was cut off (its instance died) and is tried again. Default 10m.
	Lease time.Duration
	// Workers is how many timers a sweep fires at once; default 4.
	Workers int
	// Grace is how long Stop waits for running jobs before it cancels them; default 10s.
	Grace time.Duration
}

// entry is a job with its parsed schedule (nil when Off).
type entry struct {
	Job
	sched cron.Schedule
}

// Scheduler runs the jobs of the table and fires timers.
type Scheduler struct {
	runs   Runs
	timers Timers
	opts   Options
	log    *slog.Logger

	jobs  []*entry
	kinds map[string]TimerKind

	cron    *cron.Cron
	started bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// New makes a scheduler on the given stores. Jobs and timer kinds are added before Start.
func New(runs Runs, timers Timers, opts Options) *Scheduler {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Instance == "" {
		host, _ := os.Hostname()
		opts.Instance = fmt.Sprintf("%s/%d", host, os.Getpid())
	}
	if opts.Attempts < 1 {
		opts.Attempts = 5
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 30 * time.Second
	}
	if opts.Lease <= 0 {
		opts.Lease = 10 * time.Minute
	}
	if opts.Workers < 1 {
		opts.Workers = 4
	}
	if opts.Grace <= 0 {
		opts.Grace = 10 * time.Second
	}
	log := opts.Log.With("component", "scheduler")
	cl := cronLogger{log}
	return &Scheduler{
		runs: runs, timers: timers, opts: opts, log: log, kinds: map[string]TimerKind{},
		cron: cron.New(cron.WithLocation(opts.Location), cron.WithLogger(cl),
			cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl))),
	}
}

// Add adds a job. Its name must be new and its spec valid.
func (s *Scheduler) Add(j Job) error {
	if j.Name == "" || strings.ContainsAny(j.Name, "@ /") {
		return fmt.Errorf("schedule: job name %q: a word without '@', '/' or spaces: %w", j.Name, guanjia.ErrInvalid)
	}
	if _, ok := s.find(j.Name); ok {
		return fmt.Errorf("schedule: job %s added twice: %w", j.Name, guanjia.ErrConflict)
	}
	if j.Run == nil {
		return fmt.Errorf("schedule: job %s has nothing to run: %w", j.Name, guanjia.ErrInvalid)
	}
	e := &entry{Job: j}
	if j.Spec != Off {
		sched, err := Parse(j.Spec)
		if err != nil {
			return fmt.Errorf("schedule: job %s: %w", j.Name, err)
		}
		e.sched = sched
	}
	s.jobs = append(s.jobs, e)
	return nil
}

// Jobs lists the jobs in the order they were added.
func (s *Scheduler) Jobs() []Job {
	list := make([]Job, len(s.jobs))
	for i, e := range s.jobs {
		list[i] = e.Job
	}
	return list
}

// Next is the job's first slot after t, zero when it is off.
func (s *Scheduler) Next(name string, t time.Time) time.Time {
	e, ok := s.find(name)
	if !ok || e.sched == nil {
		return time.Time{}
	}
	return e.sched.Next(t.In(s.opts.Location))
}

func (s *Scheduler) find(name string) (*entry, bool) {
	for _, e := range s.jobs {
		if e.Name == name {
			return e, true
		}
	}
	return nil, false
}

// Start begins running the jobs on their schedules and, meanwhile, catches up the slots
// missed while guanjia was down. The jobs run until Stop, not until ctx ends, so that a
// shutdown can give them time to finish.
func (s *Scheduler) Start(ctx context.Context) {
	if s.started {
		return
	}
	s.started = true
	base, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	for _, e := range s.jobs {
		if e.sched == nil {
			continue
		}
		s.cron.Schedule(e.sched, cron.FuncJob(func() { s.due(base, e, s.opts.Now(), guanjia.TriggerSchedule) }))
	}
	s.cron.Start()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.CatchUp(base)
	}()
	s.log.Info("scheduler started", "jobs", len(s.jobs), "location", s.opts.Location.String())
}

// Stop stops starting jobs and waits for the running ones, up to the grace period; then it
// cancels what still runs and waits for it to end.
func (s *Scheduler) Stop() {
	if !s.started {
		return
	}
	s.started = false
	done := make(chan struct{})
	go func() {
		<-s.cron.Stop().Done()
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(s.opts.Grace):
		s.log.Warn("scheduler: jobs still running at shutdown, cancelling them", "grace", s.opts.Grace)
		s.cancel()
		<-done
	}
	s.cancel()
}

// CatchUp looks at each scheduled job's latest slot up to now: one that never ran runs now,
// if it is still within the job's MaxLate, and is recorded as skipped otherwise. A slot that
// ran (on any instance) is left alone; slots before the latest are superseded by it.
func (s *Scheduler) CatchUp(ctx context.Context) {
	now := s.opts.Now()
	for _, e := range s.jobs {
		if ctx.Err() != nil {
			return
		}
		if e.sched != nil {
			s.due(ctx, e, now, guanjia.TriggerCatchUp)
		}
	}
}

// due runs the job's latest slot up to now, or records it as skipped when it is too late.
func (s *Scheduler) due(ctx context.Context, e *entry, now time.Time, trigger guanjia.JobTrigger) {
	slot := Prev(e.sched, now.In(s.opts.Location))
	if slot.IsZero() {
		return
	}
	if late := now.Sub(slot); e.MaxLate > 0 && late > e.MaxLate {
		s.skip(ctx, e, slot, trigger, fmt.Sprintf("found %s late, more than the %s it may be", late.Round(time.Second), e.MaxLate))
		return
	}
	if _, _, err := s.run(ctx, e, slot, trigger); err != nil {
		s.log.Error("job run not recorded", "job", e.Name, "slot", slot, "err", err)
	}
}

// skip records a slot as skipped, unless it was claimed before.
func (s *Scheduler) skip(ctx context.Context, e *entry, slot time.Time, trigger guanjia.JobTrigger, why string) {
	now := s.opts.Now()
	run := guanjia.JobRun{ID: guanjia.JobRunID(e.Name, slot), Job: e.Name, Slot: slot, Trigger: trigger,
		Status: guanjia.JobSkipped, Started: now, Finished: now, Error: why, Instance: s.opts.Instance}
	_, claimed, err := s.runs.ClaimJobRun(ctx, run)
	switch {
	case err != nil:
		s.log.Error("job skip not recorded", "job", e.Name, "slot", slot, "err", err)
	case claimed:
		s.log.Info("job slot skipped", "job", e.Name, "slot", slot, "reason", why)
	}
}

// RunAt runs a job by hand as of at, in its slot at (to the second); a slot that already
// ran is not run again, and its run is returned with ran false.
func (s *Scheduler) RunAt(ctx context.Context, name string, at time.Time) (run guanjia.JobRun, ran bool, err error) {
	e, ok := s.find(name)
	if !ok {
		return run, false, fmt.Errorf("schedule: job %s: %w", name, guanjia.ErrNotFound)
	}
	return s.run(ctx, e, at.In(s.opts.Location).Truncate(time.Second), guanjia.TriggerManual)
}

// run claims the job's slot and, if it got it, runs the job and records how it went.
func (s *Scheduler) run(ctx context.Context, e *entry, slot time.Time, trigger guanjia.JobTrigger) (guanjia.JobRun, bool, error) {
	run := guanjia.JobRun{ID: guanjia.JobRunID(e.Name, slot), Job: e.Name, Slot: slot, Trigger: trigger,
		Status: guanjia.JobRunning, Started: s.opts.Now(), Instance: s.opts.Instance}
	prior, claimed, err := s.runs.ClaimJobRun(ctx, run)
	if err != nil || !claimed {
		return prior, false, err
	}
	res, err := call(context.WithValue(ctx, triggerKey{}, trigger), e.Run, slot)
	run.JobResult, run.Finished, run.Status = res, s.opts.Now(), guanjia.JobDone
	if err != nil {
		run.Status, run.Error = guanjia.JobFailed, err.Error()
	}
	log := s.log.With("job", e.Name, "slot", slot, "trigger", string(trigger), "took", run.Finished.Sub(run.Started).Round(time.Millisecond))
	var p *panicError
	switch {
	case errors.As(err, &p):
		log.Error("job panicked", "err", err, "stack", string(p.stack))
	case err != nil:
		log.Error("job failed", "err", err)
	case len(res.Counts) == 0 && res.Note == "":
		log.Debug("job done") // a sweep with nothing due, twice a minute
	default:
		if res.Note != "" {
			log = log.With("note", res.Note)
		}
		log.Info("job done", "counts", res.Counts)
	}
	// The outcome is kept even when the job was cut off by a shutdown.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.runs.FinishJobRun(fctx, run); err != nil {
		return run, true, err
	}
	return run, true, nil
}

// call runs a job, turning a panic into its error, so that it is recorded like any failure.
// triggerKey is the context key of why a job runs.
type triggerKey struct{}

// TriggerOf tells a job why it runs: on schedule, caught up at start, or by hand.
func TriggerOf(ctx context.Context) (guanjia.JobTrigger, bool) {
	t, ok := ctx.Value(triggerKey{}).(guanjia.JobTrigger)
	return t, ok
}

func call(ctx context.Context, f Func, at time.Time) (res guanjia.JobResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{value: r, stack: debug.Stack()}
		}
	}()
	return f(ctx, at)
}

// panicError is a job's panic, with the stack for the log.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// cronLogger hands cron's messages to slog: its routine chatter at debug, its errors (a
// recovered panic) at error.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}

// errStopped is what a sweep notes when a shutdown stops it before it is through.
var errStopped = errors.New("stopped by shutdown")
