package guanjia

import (
	"fmt"
	"strings"
	"time"
)

// JobStatus is where one run of a scheduled job, or one attempt at a timer, is.
type JobStatus string

// Job and timer statuses.
const (
	// JobRunning: claimed and started; an instance that died meanwhile leaves it so.
	JobRunning JobStatus = "running"
	// JobDone: finished without error.
	JobDone JobStatus = "done"
	// JobFailed: finished with an error (a timer is tried again later).
	JobFailed JobStatus = "failed"
	// JobSkipped: not run, because it was found too late to still mean anything.
	JobSkipped JobStatus = "skipped"
	// JobGaveUp: a timer that failed its last allowed attempt; it is not tried again.
	JobGaveUp JobStatus = "gave_up"
	// JobCancelled: a timer withdrawn before it fired.
	JobCancelled JobStatus = "cancelled"
)

// Final reports whether nothing more will happen to the run or timer.
func (s JobStatus) Final() bool {
	return s == JobDone || s == JobSkipped || s == JobGaveUp || s == JobCancelled
}

// JobTrigger says why a job ran.
type JobTrigger string

// Job triggers.
const (
	TriggerSchedule JobTrigger = "schedule" // its slot came while guanjia ran
	TriggerCatchUp  JobTrigger = "catch-up" // its slot passed while guanjia was down
	TriggerManual   JobTrigger = "manual"   // guanjia jobs run
)

// JobResult is what a job reports of its work: counts by what they count, and a note.
type JobResult struct {
	Counts map[string]int `bson:"counts,omitempty" json:"counts,omitempty"`
	Note   string         `bson:"note,omitempty" json:"note,omitempty"`
}

// Add counts n more of what.
func (r *JobResult) Add(what string, n int) {
	if r.Counts == nil {
		r.Counts = map[string]int{}
	}
	r.Counts[what] += n
}

// JobRun is one run of a scheduled job for one slot (the time it was due). Its ID is made of
// both, so that a slot runs once however many instances see it come.
type JobRun struct {
	ID        string     `bson:"_id" json:"id"`
	Job       string     `bson:"job" json:"job"`
	Slot      time.Time  `bson:"slot" json:"slot"`
	Trigger   JobTrigger `bson:"trigger" json:"trigger"`
	Status    JobStatus  `bson:"status" json:"status"`
	Started   time.Time  `bson:"started" json:"started"`
	Finished  time.Time  `bson:"finished,omitempty" json:"finished,omitempty"`
	JobResult `bson:",inline"`
	// Error is why the run failed or was skipped, for operators.
	Error string `bson:"error,omitempty" json:"error,omitempty"`
	// Instance names the process that ran it (host and pid).
	Instance string `bson:"instance,omitempty" json:"instance,omitempty"`
}

// JobRunID is the id of a job's run for a slot, the slot in its own time zone to the
// minute (and second, when it has one): "fee-notice@2026-12-01T09:00+08:00". Ids of one job
// sort as their slots in a zone without daylight saving.
func JobRunID(job string, slot time.Time) string {
	if slot.Second() != 0 {
		return job + "@" + slot.Format("2006-01-02T15:04:05Z07:00")
	}
	return job + "@" + slot.Format("2006-01-02T15:04Z07:00")
}

// Timer is a one-off action due at a time: an announcement at 18:00, a reminder in ten
// minutes. It waits in the store until a sweep fires it, so a restart loses none.
type Timer struct {
	// ID is TimerID(Due, Kind, Key): timers sort by due time by their ids alone.
	ID   string    `bson:"_id" json:"id"`
	Kind string    `bson:"kind" json:"kind"`
	Key  string    `bson:"key" json:"key"`
	Due  time.Time `bson:"due" json:"due"`
	// Data is what the kind's handler needs besides the key.
	Data    map[string]string `bson:"data,omitempty" json:"data,omitempty"`
	Created time.Time         `bson:"created" json:"created"`
}

// dueLayout writes due times at a fixed width, so that they sort as text.
const dueLayout = "2006-01-02T15:04:05.000Z"

// DuePrefix is the start of the id of every timer due at t: ids below DuePrefix(t) are of
// timers due before t.
func DuePrefix(t time.Time) string { return t.UTC().Format(dueLayout) }

// TimerID is a timer's id: "<due, UTC, to the millisecond>/<kind>/<key>".
func TimerID(due time.Time, kind, key string) string {
	return DuePrefix(due) + "/" + kind + "/" + key
}

// NewTimer makes a timer of kind for key, due at due. A kind is a plain word without "/";
// a key names the thing the timer is about (an announcement's number), and adding the same
// kind, key and due time again is the same timer.
func NewTimer(kind, key string, due time.Time, data map[string]string) (Timer, error) {
	switch {
	case kind == "" || strings.ContainsAny(kind, "/# "):
		return Timer{}, fmt.Errorf("timer kind %q: a word without '/', '#' or spaces: %w", kind, ErrInvalid)
	case key == "" || strings.Contains(key, "#"):
		return Timer{}, fmt.Errorf("timer key %q: not empty, without '#': %w", key, ErrInvalid)
	case due.IsZero():
		return Timer{}, fmt.Errorf("timer %s/%s: no due time: %w", kind, key, ErrInvalid)
	}
	due = due.UTC().Truncate(time.Millisecond)
	return Timer{ID: TimerID(due, kind, key), Kind: kind, Key: key, Due: due, Data: data}, nil
}

// TimerAttempt is one try at firing a timer. The first to insert attempt n of a timer makes
// it; everyone else leaves it alone.
type TimerAttempt struct {
	// ID is TimerAttemptID(Timer, Attempt).
	ID       string    `bson:"_id" json:"id"`
	Timer    string    `bson:"timer" json:"timer"`
	Kind     string    `bson:"kind" json:"kind"`
	Attempt  int       `bson:"attempt" json:"attempt"`
	Status   JobStatus `bson:"status" json:"status"`
	Started  time.Time `bson:"started" json:"started"`
	Finished time.Time `bson:"finished,omitempty" json:"finished,omitempty"`
	Error    string    `bson:"error,omitempty" json:"error,omitempty"`
	Instance string    `bson:"instance,omitempty" json:"instance,omitempty"`
}

// TimerAttemptID is the id of attempt n (from 1) of the timer with id timer.
func TimerAttemptID(timer string, n int) string { return fmt.Sprintf("%s#%02d", timer, n) }
