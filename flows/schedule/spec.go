package schedule

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/guanjia/guanjia"
)

// Prev is the latest slot of sched at or before t, zero when there is none in about four years
// before t.
func Prev(sched cron.Schedule, t time.Time) time.Time {
	for back := time.Minute; back < 5*366*24*time.Hour; back *= 2 {
		slot := sched.Next(t.Add(-back))
		if slot.IsZero() {
			return slot
		}
		if slot.After(t) {
			continue
		}
		for {
			next := sched.Next(slot)
			if next.IsZero() || next.After(t) {
				return slot
			}
			slot = next
		}
	}
	return time.Time{}
}

// parser reads 5-field specs, 6-field ones with seconds first, and descriptors (@daily).
var parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Parse reads a job's spec. "@every <duration>" slots are multiples of the duration (from
// 00:00 UTC), the same on every instance; cron's own @every counts from when it starts,
// which would give each instance slots of its own.
func Parse(spec string) (cron.Schedule, error) {
	spec = strings.TrimSpace(spec)
	if d, ok := strings.CutPrefix(spec, "@every "); ok {
		every, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil || every < time.Second || every%time.Second != 0 {
			return nil, fmt.Errorf("spec %q: @every wants whole seconds, at least 1s: %w", spec, guanjia.ErrInvalid)
		}
		return aligned(every), nil
	}
	sched, err := parser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("spec %q: %v: %w", spec, err, guanjia.ErrInvalid)
	}
	return sched, nil
}

// aligned is a schedule every so long, at multiples of it.
type aligned time.Duration

// Next is the first multiple of the interval after t.
func (a aligned) Next(t time.Time) time.Time {
	d := time.Duration(a)
	return t.Truncate(d).Add(d)
}
