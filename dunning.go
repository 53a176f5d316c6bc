package guanjia

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FeeMessage is one day of a household's fee messages, claimed for one purpose: a monthly
// notice ("notice:2026-11"), a step of the dunning ladder ("step:2026-11:1"), a reminder a
// steward asked for ("manual"), or the reminder after a promise lapsed ("promise:<action>").
type FeeMessage struct {
	// ID is community/household/day.
	ID        string    `bson:"_id" json:"id"`
	Community string    `bson:"community" json:"community"`
	Household string    `bson:"household" json:"household"`
	Day       string    `bson:"day" json:"day"` // YYYY-MM-DD in the office's time zone
	Purpose   string    `bson:"purpose" json:"purpose"`
	At        time.Time `bson:"at" json:"at"`
	// By is the person who asked for it, empty for the jobs.
	By string `bson:"by,omitempty" json:"by,omitempty"`
	// Ref is the message that asked for it (a steward's 催缴), so that the same message
	// handled again after a failure finds its own claim.
	Ref string `bson:"ref,omitempty" json:"ref,omitempty"`
}

// Kinds of DunningAction.
const (
	DunningPause    = "pause"    // a steward paused the reminders (暂停催缴), with a reason
	DunningResume   = "resume"   // a steward resumed them (恢复催缴)
	DunningPromise  = "promise"  // the resident promised to pay by Until (15号缴)
	DunningClaim    = "claim"    // the resident says it is paid (已缴): the steward checks
	DunningHardship = "hardship" // the resident cannot pay now (困难): the steward decides
	DunningRefusal  = "refusal"  // a steward marked the household as refusing (拒缴)
)

// DunningAction is something done about a household's reminders, by whom and when.
type DunningAction struct {
	ID        string    `bson:"_id" json:"id"`
	Community string    `bson:"community" json:"community"`
	Household string    `bson:"household" json:"household"`
	Kind      string    `bson:"kind" json:"kind"`
	By        string    `bson:"by" json:"by"`
	At        time.Time `bson:"at" json:"at"`
	// Until is when a promise or a claim stops holding the reminders.
	Until  time.Time `bson:"until,omitempty" json:"until,omitempty"`
	Reason string    `bson:"reason,omitempty" json:"reason,omitempty"`
}

// Holds reports whether the action keeps reminders from going out at now: a pause, hardship
// or a refusal until someone resumes them, a promise or a claim until its day has passed.
func (a DunningAction) Holds(now time.Time) bool {
	switch a.Kind {
	case DunningPause, DunningHardship, DunningRefusal:
		return true
	case DunningPromise, DunningClaim:
		return now.Before(a.Until)
	}
	return false
}

// DefaultDunningSteps are the days after the due date on which reminders go out: on the due
// date, a week later, after a fortnight, and after a month, when the steward calls or visits.
var DefaultDunningSteps = []int{0, 7, 15, 30}

// ParseDunningSteps reads a ladder written "0,7,15,30": rising days after the due date, at most
// a year, two steps at least.
func ParseDunningSteps(s string) ([]int, error) {
	var steps []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 || n > 365 || (len(steps) > 0 && n <= steps[len(steps)-1]) {
			return nil, fmt.Errorf("dunning steps %q: want rising days after the due date such as 0,7,15,30: %w", s, ErrInvalid)
		}
		steps = append(steps, n)
	}
	if len(steps) < 2 {
		return nil, fmt.Errorf("dunning steps %q: want at least two steps: %w", s, ErrInvalid)
	}
	return steps, nil
}

// DunningStep is the step of the ladder a debt due at due has reached at now, in loc: the
// last step whose day has come, or -1 before the due date. Days count calendar days.
func DunningStep(steps []int, due, now time.Time, loc *time.Location) int {
	days := DaysOverdue(due, now, loc)
	step := -1
	for i, d := range steps {
		if days >= d {
			step = i
		}
	}
	return step
}

// DaysOverdue counts the calendar days in loc from the due date to now; negative before it.
func DaysOverdue(due, now time.Time, loc *time.Location) int {
	y, m, d := due.In(loc).Date()
	dueDay := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	y, m, d = now.In(loc).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return int(today.Sub(dueDay).Hours() / 24)
}

// StepPurpose names the fee message of a ladder step.
func StepPurpose(period string, step int) string { return "step:" + period + ":" + strconv.Itoa(step) }

// NoticePurpose names the fee message of a month's notice.
func NoticePurpose(period string) string { return "notice:" + period }

// LatestAction is the latest of a household's actions, if any.
func LatestAction(actions []DunningAction) (DunningAction, bool) {
	if len(actions) == 0 {
		return DunningAction{}, false
	}
	return slices.MaxFunc(actions, func(a, b DunningAction) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	}), true
}
