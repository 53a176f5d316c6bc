package flows

import (
	"testing"
	"time"
)

// Promises are read as residents say them; a day past, a day that does not exist, or one more
// than MaxPromise ahead is refused with the reason.
func TestPromiseDate(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 12, 23, 10, 0, 0, 0, loc) // a Wednesday
	e := &Engine{Deps: Deps{Now: func() time.Time { return now }, Config: Config{Location: loc}}}
	for _, c := range []struct {
		text, want, reason string
	}{
		{"28号缴", "2026-12-29", ""},
		{"我12月28号前交", "2026-12-29", ""},
		{"23号缴", "2026-12-24", ""}, // today
		{"5号缴", "2027-01-06", ""},  // the 5th of next month
		{"2027年1月20日缴", "2027-01-21", ""},
		{"下周缴", "2027-01-04", ""}, // by Sunday of next week
		{"下个月缴", "2027-02-01", ""},
		{"11月3号缴", "", "dunning.promise_past"},
		{"2027年12月1号缴", "", "dunning.promise_far"},
		{"2月30号缴", "", "dunning.promise_bad"},
		{"32号缴", "", "dunning.promise_bad"},
	} {
		if !promiseDay.MatchString(c.text) && !promiseWeek.MatchString(c.text) {
			t.Errorf("%q is not read as a promise", c.text)
			continue
		}
		until, reason := e.promiseDate(c.text)
		got := ""
		if !until.IsZero() {
			got = until.Format("2006-01-02")
		}
		if got != c.want || reason != c.reason {
			t.Errorf("%q: until %q, reason %q; want %q, %q", c.text, got, reason, c.want, c.reason)
		}
	}
}

// The tone rises gently with the steps of the ladder.
func TestReminderTone(t *testing.T) {
	for _, c := range []struct {
		step, steps int
		want        string
	}{{0, 4, "due"}, {1, 4, "overdue"}, {2, 4, "firm"}, {3, 4, "firm"}, {1, 2, "overdue"}, {1, 5, "overdue"}, {2, 5, "overdue"}, {3, 5, "firm"}} {
		if got := reminderTone(c.step, c.steps); got != c.want {
			t.Errorf("step %d of %d: %s, want %s", c.step, c.steps, got, c.want)
		}
	}
}
