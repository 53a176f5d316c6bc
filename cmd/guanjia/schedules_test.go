package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/flows/schedule"
	"github.com/guanjia/guanjia/storage/mongostore"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// instances opens n stores on one test database, each as its own guanjia process would.
func instances(t *testing.T, n int) []*mongostore.Store {
	t.Helper()
	cfg := testConfig(t)
	stores := make([]*mongostore.Store, n)
	for i := range stores {
		stores[i] = openFeeStore(t, cfg)
	}
	return stores
}

// newSched makes a scheduler on st named instance, with the clock now (nil: the real one).
func newSched(st *mongostore.Store, instance string, now func() time.Time) *schedule.Scheduler {
	return schedule.New(st, st, schedule.Options{Location: shanghai, Now: now, Instance: instance,
		Log: slog.New(slog.DiscardHandler), Backoff: 30 * time.Second, Attempts: 3})
}

// slotCounter counts the runs of a job per slot, across schedulers.
type slotCounter struct {
	mu   sync.Mutex
	runs map[time.Time]int
}

func (c *slotCounter) job(ctx context.Context, at time.Time) (guanjia.JobResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.runs == nil {
		c.runs = map[time.Time]int{}
	}
	c.runs[at.UTC()]++
	var r guanjia.JobResult
	r.Add("notices", 2)
	return r, nil
}

func (c *slotCounter) snapshot() map[time.Time]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[time.Time]int{}
	for k, v := range c.runs {
		m[k] = v
	}
	return m
}

// TestJobSlotClaimedOnceAcrossInstances runs two instances at 60 slots, both at once at each:
// every slot runs once, its outcome is kept, and the loser is shown the winner's run.
func TestJobSlotClaimedOnceAcrossInstances(t *testing.T) {
	stores := instances(t, 2)
	var c slotCounter
	scheds := make([]*schedule.Scheduler, 2)
	for i, st := range stores {
		scheds[i] = newSched(st, fmt.Sprint("instance-", i), nil)
		if err := scheds[i].Add(schedule.Job{Name: "fee-notice", Spec: "0 9 1 * *", Run: c.job}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	first := time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai)
	const slots = 60
	type outcome struct {
		run guanjia.JobRun
		ran bool
	}
	got := make([][2]outcome, slots)
	var wg sync.WaitGroup
	for n := range slots {
		for i, s := range scheds {
			wg.Go(func() {
				run, ran, err := s.RunAt(ctx, "fee-notice", first.AddDate(0, n, 0))
				if err != nil {
					t.Error(err)
				}
				got[n][i] = outcome{run, ran}
			})
		}
	}
	wg.Wait()
	runs := c.snapshot()
	for n := range slots {
		slot := first.AddDate(0, n, 0)
		if runs[slot.UTC()] != 1 {
			t.Errorf("slot %s ran %d times", slot, runs[slot.UTC()])
		}
		a, b := got[n][0], got[n][1]
		if a.ran == b.ran {
			t.Errorf("slot %s: ran by instance 0 %v, by instance 1 %v; want exactly one", slot, a.ran, b.ran)
		}
		if a.run.ID != b.run.ID || a.run.ID != guanjia.JobRunID("fee-notice", slot) {
			t.Errorf("slot %s: runs %s and %s", slot, a.run.ID, b.run.ID)
		}
	}
	rec, err := stores[0].JobRun(ctx, "fee-notice@2026-12-01T09:00+08:00")
	if err != nil || rec.Status != guanjia.JobDone || rec.Counts["notices"] != 2 || rec.Trigger != guanjia.TriggerManual ||
		rec.Finished.Before(rec.Started) || rec.Instance == "" {
		t.Errorf("run record = %+v (%v)", rec, err)
	}
}

// TestCronOnTwoInstances runs one job every second on two instances, each with its own cron
// on the real clock, for a few seconds: they see the same slots, and each slot runs once.
func TestCronOnTwoInstances(t *testing.T) {
	stores := instances(t, 2)
	var c slotCounter
	var scheds []*schedule.Scheduler
	for i, st := range stores {
		s := newSched(st, fmt.Sprint("instance-", i), nil)
		if err := s.Add(schedule.Job{Name: "tick", Spec: "@every 1s", Run: c.job}); err != nil {
			t.Fatal(err)
		}
		s.Start(context.Background())
		scheds = append(scheds, s)
	}
	time.Sleep(3500 * time.Millisecond)
	for _, s := range scheds {
		s.Stop()
	}
	runs := c.snapshot()
	if len(runs) < 3 {
		t.Fatalf("%d slots ran in 3.5 s, want at least 3", len(runs))
	}
	for slot, n := range runs {
		if n != 1 {
			t.Errorf("slot %s ran %d times", slot.In(shanghai).Format("15:04:05"), n)
		}
		if slot.Nanosecond() != 0 {
			t.Errorf("slot %s is not on a second", slot)
		}
	}
}

// TestCatchUpAtStart starts guanjia at 10:30 after it was down since before 06:00: the 09:00
// job, which may run until 11:00, runs once, as of 09:00; the 06:00 job, which may run until
// 08:00, is recorded as skipped and not run; a second instance starting too runs nothing.
func TestCatchUpAtStart(t *testing.T) {
	stores := instances(t, 2)
	now := time.Date(2026, 12, 1, 10, 30, 0, 0, shanghai)
	clock := func() time.Time { return now }
	var notice, early slotCounter
	add := func(s *schedule.Scheduler) {
		for _, j := range []schedule.Job{
			{Name: "notice", Spec: "0 9 * * *", MaxLate: 2 * time.Hour, Run: notice.job},
			{Name: "early", Spec: "0 6 * * *", MaxLate: 2 * time.Hour, Run: early.job},
		} {
			if err := s.Add(j); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx := context.Background()
	for i, st := range stores {
		s := newSched(st, fmt.Sprint("instance-", i), clock)
		add(s)
		s.CatchUp(ctx)
	}
	if runs := notice.snapshot(); len(runs) != 1 || runs[time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)] != 1 {
		t.Errorf("notice runs = %v, want one, as of 09:00 (01:00 UTC)", runs)
	}
	if runs := early.snapshot(); len(runs) != 0 {
		t.Errorf("early ran %v, want skipped", runs)
	}
	run, err := stores[0].JobRun(ctx, "notice@2026-12-01T09:00+08:00")
	if err != nil || run.Trigger != guanjia.TriggerCatchUp || run.Status != guanjia.JobDone {
		t.Errorf("notice run = %+v (%v)", run, err)
	}
	skipped, err := stores[1].JobRun(ctx, "early@2026-12-01T06:00+08:00")
	if err != nil || skipped.Status != guanjia.JobSkipped || !strings.Contains(skipped.Error, "4h30m0s late") {
		t.Errorf("early's record = %+v (%v), want skipped 4h30m late", skipped, err)
	}
}

// TestJobPanicRecorded has a job panic under cron: the panic is recorded as the run's
// failure, and the job runs again at its next slot.
func TestJobPanicRecorded(t *testing.T) {
	st := instances(t, 1)[0]
	s := newSched(st, "instance-0", nil)
	var calls atomic.Int32
	err := s.Add(schedule.Job{Name: "boom", Spec: "@every 1s", Run: func(context.Context, time.Time) (guanjia.JobResult, error) {
		calls.Add(1)
		var m map[string]int
		m["x"]++ // a nil map: a real bug's panic
		return guanjia.JobResult{}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	s.Stop()
	if calls.Load() < 3 {
		t.Fatalf("the job ran %d times in 5 s after panicking; cron did not go on", calls.Load())
	}
	runs, err := st.JobRunsOf(context.Background(), "boom", 0)
	if err != nil || len(runs) < 3 {
		t.Fatalf("%d runs recorded (%v)", len(runs), err)
	}
	for _, r := range runs {
		if r.Status != guanjia.JobFailed || !strings.Contains(r.Error, "panic: assignment to entry in nil map") || r.Finished.IsZero() {
			t.Errorf("run %s = %s %q", r.ID, r.Status, r.Error)
		}
	}
}

// firedLog counts how often each timer fired, across schedulers.
type firedLog struct {
	mu    sync.Mutex
	fired map[string]int
	fail  map[string]int // how many more times a key fails before it works
}

func (f *firedLog) fire(ctx context.Context, t guanjia.Timer) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail[t.Key] > 0 {
		f.fail[t.Key]--
		return errors.New("channel down")
	}
	if f.fired == nil {
		f.fired = map[string]int{}
	}
	f.fired[t.Key]++
	return nil
}

func (f *firedLog) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired[key]
}

// TestTimersSurviveRestartAndFireOnce sets 300 timers on one instance, which then stops
// before any is due; two instances started afterwards sweep at the same time, three times
// each: every due timer fires once, the one not yet due waits.
func TestTimersSurviveRestartAndFireOnce(t *testing.T) {
	cfg := testConfig(t)
	now := time.Date(2026, 11, 27, 18, 0, 0, 0, shanghai)
	first := openFeeStore(t, cfg)
	setter := newSched(first, "before-restart", func() time.Time { return now.Add(-time.Hour) })
	ctx := context.Background()
	const n = 300
	for i := range n {
		if _, err := setter.AddTimer(ctx, "announce", fmt.Sprint("A", i), now.Add(-time.Duration(i)*time.Second), map[string]string{"n": fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := setter.AddTimer(ctx, "announce", "later", now.Add(time.Minute), nil); err != nil {
		t.Fatal(err)
	}
	_ = first.Close(ctx)

	var log firedLog
	var wg sync.WaitGroup
	for i := range 2 {
		s := newSched(openFeeStore(t, cfg), fmt.Sprint("after-restart-", i), func() time.Time { return now })
		if err := s.Handle(schedule.TimerKind{Kind: "announce", Fire: log.fire}); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for range 3 {
				if _, err := s.Sweep(ctx, now); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for i := range n {
		if c := log.count(fmt.Sprint("A", i)); c != 1 {
			t.Errorf("timer A%d fired %d times", i, c)
		}
	}
	if log.count("later") != 0 {
		t.Errorf("a timer due in a minute fired")
	}
	st := openFeeStore(t, cfg)
	pending, err := st.PendingTimers(ctx, 0)
	if err != nil || len(pending) != 1 || pending[0].Key != "later" {
		t.Errorf("pending after the sweeps: %v (%v), want only 'later'", pending, err)
	}
	attempts, err := st.TimerAttempts(ctx, guanjia.TimerID(now, "announce", "A0"))
	if err != nil || len(attempts) != 1 || attempts[0].Status != guanjia.JobDone {
		t.Errorf("A0's attempts: %+v (%v)", attempts, err)
	}
}

// TestTimerRetriesWithBackoff fails a timer twice: each failure is recorded and it is tried
// again after 30 s, then 60 s; one that keeps failing is given up after 3 attempts; one
// found later than its kind allows is skipped; a withdrawn one never fires.
func TestTimerRetriesWithBackoff(t *testing.T) {
	st := instances(t, 1)[0]
	c := newClock()
	s := newSched(st, "instance-0", c.Now)
	log := firedLog{fail: map[string]int{"flaky": 2, "broken": 100}}
	if err := s.Handle(schedule.TimerKind{Kind: "renotify", MaxLate: time.Hour, Fire: log.fire}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start := c.Now()
	for _, k := range []struct {
		key string
		due time.Time
	}{{"flaky", start}, {"broken", start}, {"stale", start.Add(-3 * time.Hour)}, {"withdrawn", start.Add(time.Minute)}} {
		if _, err := s.AddTimer(ctx, "renotify", k.key, k.due, nil); err != nil {
			t.Fatal(err)
		}
	}
	withdrawn := guanjia.TimerID(start.Add(time.Minute), "renotify", "withdrawn")
	if err := s.CancelTimer(ctx, withdrawn); err != nil {
		t.Fatal(err)
	}
	sweep := func(after time.Duration, want string) {
		t.Helper()
		c.Advance(after)
		res, err := s.Sweep(ctx, c.Now())
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(res.Counts); got != want {
			t.Errorf("sweep at +%s counted %s, want %s", c.Now().Sub(start), got, want)
		}
	}
	sweep(0, "map[failed:2 skipped:1]")
	sweep(10*time.Second, "map[waiting:2]")
	sweep(25*time.Second, "map[failed:2]")
	sweep(35*time.Second, "map[waiting:2]")
	sweep(30*time.Second, "map[fired:1 gave_up:1]")
	sweep(5*time.Minute, "map[]")
	if log.count("flaky") != 1 || log.count("broken") != 0 || log.count("stale") != 0 || log.count("withdrawn") != 0 {
		t.Errorf("fired: %v", log.fired)
	}
	attempts, err := st.TimerAttempts(ctx, guanjia.TimerID(start, "renotify", "flaky"))
	if err != nil || len(attempts) != 3 || attempts[0].Error != "channel down" || attempts[2].Status != guanjia.JobDone {
		t.Errorf("flaky's attempts: %+v (%v)", attempts, err)
	}
	attempts, _ = st.TimerAttempts(ctx, guanjia.TimerID(start, "renotify", "broken"))
	if len(attempts) != 3 || attempts[2].Status != guanjia.JobGaveUp {
		t.Errorf("broken's attempts: %+v", attempts)
	}
	if pending, _ := st.PendingTimers(ctx, 0); len(pending) != 0 {
		t.Errorf("left pending: %+v", pending)
	}
	if err := s.CancelTimer(ctx, guanjia.TimerID(start, "renotify", "flaky")); !errors.Is(err, guanjia.ErrNotFound) {
		t.Errorf("cancelling a fired timer: %v", err)
	}
}

// TestGuanjiaFiresTimersAtStart sets a timer that came due while guanjia was down: the next
// start fires it (the catch-up sweep, before any chat), the start after that does not again,
// and guanjia jobs shows the sweep's run.
func TestGuanjiaFiresTimersAtStart(t *testing.T) {
	var log firedLog
	saved := timerKinds
	timerKinds = append(timerKinds, timerLine{Kind: "test-notice",
		Fire: func(_ *jobEnv, ctx context.Context, tm guanjia.Timer) error { return log.fire(ctx, tm) }})
	t.Cleanup(func() { timerKinds = saved })
	cfg, getenv := feeEnv(t)
	st := openFeeStore(t, cfg)
	ctx := context.Background()
	tm, _ := guanjia.NewTimer("test-notice", "N1", time.Now().Add(-time.Minute), nil)
	if err := st.AddTimer(ctx, tm); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		runCmd(t, getenv, "", "console")
	}
	if c := log.count("N1"); c != 1 {
		t.Errorf("the timer fired %d times over two starts, want 1", c)
	}
	out := runCmd(t, getenv, "", "jobs")
	// Columns are aligned to the longest job name: compare the line's words.
	line, _, _ := strings.Cut(out[strings.Index(out, "timers "):], "\n")
	if !strings.HasPrefix(strings.Join(strings.Fields(line), " "), "timers @every 30s 不限 20") {
		t.Errorf("jobs after two starts: the sweep's line is %q", line)
	}
	if !strings.Contains(line, "完成") {
		t.Errorf("the sweep at start is not shown done:\n%s", out)
	}
}

// TestStopWaitsForRunningJob stops the scheduler while a job runs: Stop returns once the job
// is through, and its outcome is recorded.
func TestStopWaitsForRunningJob(t *testing.T) {
	st := instances(t, 1)[0]
	s := newSched(st, "instance-0", nil)
	started := make(chan time.Time, 10)
	err := s.Add(schedule.Job{Name: "slow", Spec: "@every 1s", Run: func(ctx context.Context, at time.Time) (guanjia.JobResult, error) {
		started <- at
		select {
		case <-time.After(700 * time.Millisecond):
		case <-ctx.Done():
			return guanjia.JobResult{}, ctx.Err()
		}
		var r guanjia.JobResult
		r.Add("done", 1)
		return r, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	var slot time.Time
	select {
	case slot = <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the job never started")
	}
	s.Stop()
	run, err := st.JobRun(context.Background(), guanjia.JobRunID("slow", slot.In(shanghai)))
	if err != nil || run.Status != guanjia.JobDone || run.Counts["done"] != 1 {
		t.Errorf("the run cut by Stop: %+v (%v), want done", run, err)
	}
}

// TestTimerHandlerPanic has a timer's handler panic: the attempt is recorded as failed with
// the panic, and the sweep goes on to the next timer.
func TestTimerHandlerPanic(t *testing.T) {
	st := instances(t, 1)[0]
	c := newClock()
	s := newSched(st, "instance-0", c.Now)
	var log firedLog
	err := s.Handle(schedule.TimerKind{Kind: "notice", Fire: func(ctx context.Context, tm guanjia.Timer) error {
		if tm.Key == "bad" {
			panic("template missing")
		}
		return log.fire(ctx, tm)
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, key := range []string{"bad", "good"} {
		if _, err := s.AddTimer(ctx, "notice", key, c.Now(), nil); err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.Sweep(ctx, c.Now())
	if err != nil || res.Counts["failed"] != 1 || res.Counts["fired"] != 1 || log.count("good") != 1 {
		t.Fatalf("sweep: %v %v, good fired %d", res.Counts, err, log.count("good"))
	}
	attempts, _ := st.TimerAttempts(ctx, guanjia.TimerID(c.Now(), "notice", "bad"))
	if len(attempts) != 1 || attempts[0].Status != guanjia.JobFailed || attempts[0].Error != "panic: template missing" {
		t.Errorf("bad's attempts: %+v", attempts)
	}
}
