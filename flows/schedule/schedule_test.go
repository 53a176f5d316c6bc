package schedule

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// TestParseAndSlots reads specs as the office writes them and finds their slots before and
// after a time, in the office's zone.
func TestParseAndSlots(t *testing.T) {
	at := time.Date(2026, 11, 27, 15, 20, 17, 0, shanghai)
	for _, c := range []struct {
		spec       string
		prev, next string
	}{
		{"@every 30s", "2026-11-27 15:20:00", "2026-11-27 15:20:30"},
		{"@every 1m", "2026-11-27 15:20:00", "2026-11-27 15:21:00"},
		{"30 4 * * *", "2026-11-27 04:30:00", "2026-11-28 04:30:00"},
		{"0 9 1 * *", "2026-11-01 09:00:00", "2026-12-01 09:00:00"},
		{"*/15 * * * * *", "2026-11-27 15:20:15", "2026-11-27 15:20:30"},
		{"@daily", "2026-11-27 00:00:00", "2026-11-28 00:00:00"},
		{"0 0 29 2 *", "2024-02-29 00:00:00", "2028-02-29 00:00:00"},
	} {
		sched, err := Parse(c.spec)
		if err != nil {
			t.Errorf("%s: %v", c.spec, err)
			continue
		}
		const layout = "2006-01-02 15:04:05"
		if got := Prev(sched, at).In(shanghai).Format(layout); got != c.prev {
			t.Errorf("%s: slot before %s = %s, want %s", c.spec, at.Format(layout), got, c.prev)
		}
		if got := sched.Next(at).In(shanghai).Format(layout); got != c.next {
			t.Errorf("%s: slot after %s = %s, want %s", c.spec, at.Format(layout), got, c.next)
		}
	}
	// A time on a slot is its own slot.
	sched, _ := Parse("30 4 * * *")
	on := time.Date(2026, 11, 27, 4, 30, 0, 0, shanghai)
	if got := Prev(sched, on); !got.Equal(on) {
		t.Errorf("slot at 04:30:00 = %s", got)
	}
	for _, bad := range []string{"", "hello", "61 * * * *", "@every 1.5s", "@every 0s", "@every soon", "* * *"} {
		if _, err := Parse(bad); !errors.Is(err, guanjia.ErrInvalid) {
			t.Errorf("%q parsed: %v", bad, err)
		}
	}
}

// TestAddRefusesBadJobs keeps the table honest: names unique and usable in ids, specs valid.
func TestAddRefusesBadJobs(t *testing.T) {
	s := New(nil, nil, Options{Location: shanghai})
	run := func(context.Context, time.Time) (guanjia.JobResult, error) { return guanjia.JobResult{}, nil }
	if err := s.Add(Job{Name: "cleanup", Spec: "30 4 * * *", Run: run}); err != nil {
		t.Fatal(err)
	}
	for _, j := range []Job{
		{Name: "cleanup", Spec: "0 5 * * *", Run: run},
		{Name: "a@b", Spec: "0 5 * * *", Run: run},
		{Name: "x", Spec: "every day", Run: run},
		{Name: "y", Spec: "0 5 * * *"},
	} {
		if err := s.Add(j); err == nil {
			t.Errorf("added %+v", j)
		}
	}
	if err := s.Add(Job{Name: "manual", Spec: Off, Run: run}); err != nil {
		t.Fatal(err)
	}
	if next := s.Next("manual", time.Now()); !next.IsZero() {
		t.Errorf("a job that is off has a next run: %s", next)
	}
	if err := s.Handle(TimerKind{Kind: "bad/kind", Fire: func(context.Context, guanjia.Timer) error { return nil }}); err == nil {
		t.Errorf("a timer kind with '/' was accepted")
	}
}
