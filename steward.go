package guanjia

import (
	"fmt"
	"regexp"
	"sort"
	"time"
)

// DefaultShiftStart is when a steward's shift starts unless their record says otherwise.
const DefaultShiftStart = "08:30"

var shiftStart = regexp.MustCompile(`^([01]\d|2[0-3]):([0-5]\d)$`)

// ParseShiftStart reads a shift start such as "08:30" as minutes after midnight.
func ParseShiftStart(s string) (int, error) {
	if s == "" {
		s = DefaultShiftStart
	}
	m := shiftStart.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("shift start %q: %w", s, ErrInvalid)
	}
	var h, min int
	fmt.Sscanf(m[1]+" "+m[2], "%d %d", &h, &min)
	return h*60 + min, nil
}

// Stage is the part of a ticket's life that has a due time.
type Stage string

// Stages with a due time.
const (
	StageNone    Stage = ""
	StageAccept  Stage = "accept"
	StageResolve Stage = "resolve"
	StageReply   Stage = "reply"
)

// DueTimes are how long each stage of a ticket may take, by kind and urgency (SPEC 5).
type DueTimes struct {
	// Accept and AcceptUrgent: a repair or hazard accepted within.
	Accept       time.Duration `yaml:"accept"`
	AcceptUrgent time.Duration `yaml:"accept_urgent"`
	// Resolve and ResolveUrgent: an accepted repair or hazard resolved within;
	// ResolveByCategory overrides Resolve for a category (repair "elevator", hazard "found_fire_lane").
	Resolve           time.Duration            `yaml:"resolve"`
	ResolveUrgent     time.Duration            `yaml:"resolve_urgent"`
	ResolveByCategory map[string]time.Duration `yaml:"resolve_by_category"`
	// Reply: a complaint or question answered within (the reply time residents are promised).
	Reply time.Duration `yaml:"reply"`
	// RemindBefore: the one holding a ticket is reminded this long before its due time (for a
	// stage shorter than twice this, halfway through).
	RemindBefore time.Duration `yaml:"remind_before"`
	// Handover: an incoming steward confirms a handover within; the supervisors are told when
	// twice this has passed.
	Handover time.Duration `yaml:"handover"`
}

// DefaultDueTimes are SPEC 5's defaults.
func DefaultDueTimes() DueTimes {
	return DueTimes{Accept: 15 * time.Minute, AcceptUrgent: 5 * time.Minute, Resolve: 48 * time.Hour,
		ResolveUrgent: 4 * time.Hour, Reply: 24 * time.Hour, RemindBefore: 10 * time.Minute, Handover: 30 * time.Minute}
}

// Problems lists the due times that make no sense (zero or negative, an urgent one longer than
// the normal one).
func (d DueTimes) Problems() []string {
	var p []string
	for _, f := range []struct {
		name string
		v    time.Duration
	}{{"accept", d.Accept}, {"accept_urgent", d.AcceptUrgent}, {"resolve", d.Resolve},
		{"resolve_urgent", d.ResolveUrgent}, {"reply", d.Reply}, {"remind_before", d.RemindBefore}, {"handover", d.Handover}} {
		if f.v <= 0 {
			p = append(p, fmt.Sprintf("sla %s must be more than 0, not %s", f.name, f.v))
		}
	}
	cats := make([]string, 0, len(d.ResolveByCategory))
	for c := range d.ResolveByCategory {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	for _, c := range cats {
		if d.ResolveByCategory[c] <= 0 {
			p = append(p, fmt.Sprintf("sla resolve_by_category %s must be more than 0, not %s", c, d.ResolveByCategory[c]))
		}
	}
	if d.AcceptUrgent > d.Accept && d.Accept > 0 {
		p = append(p, fmt.Sprintf("sla accept_urgent (%s) must not be longer than accept (%s)", d.AcceptUrgent, d.Accept))
	}
	if d.ResolveUrgent > d.Resolve && d.Resolve > 0 {
		p = append(p, fmt.Sprintf("sla resolve_urgent (%s) must not be longer than resolve (%s)", d.ResolveUrgent, d.Resolve))
	}
	return p
}

// StageOf is the stage a ticket is in: a repair or hazard waits to be accepted, then to be
// resolved; a complaint or question waits for its reply.
func StageOf(tk Ticket) Stage {
	if !tk.Open() {
		return StageNone
	}
	switch tk.Kind {
	case KindComplaint, KindInquiry:
		for _, ev := range tk.Timeline {
			if ev.Action == ActReply {
				return StageNone
			}
		}
		return StageReply
	}
	if tk.Status == StatusSubmitted || tk.Status == StatusReopened {
		return StageAccept
	}
	return StageResolve
}

// For is how long stage s of the ticket may take.
func (d DueTimes) For(tk Ticket, s Stage) time.Duration {
	urgent := tk.Urgency == UrgencyUrgent
	switch s {
	case StageAccept:
		if urgent {
			return d.AcceptUrgent
		}
		return d.Accept
	case StageResolve:
		if urgent {
			return d.ResolveUrgent
		}
		if v, ok := d.ResolveByCategory[tk.Category]; ok {
			return v
		}
		return d.Resolve
	case StageReply:
		return d.Reply
	}
	return 0
}

// Overdue reports whether the ticket's current stage is past its due time at now.
func Overdue(tk Ticket, now time.Time) bool {
	return StageOf(tk) != StageNone && !tk.DueAt.IsZero() && !now.Before(tk.DueAt)
}

// Handover is a steward's end of shift: what was done, what is left with a reason each, and a
// note, for the incoming steward to confirm item by item (交接班).
type Handover struct {
	// ID is TicketID(Community, No).
	ID        string `bson:"_id" json:"id"`
	No        string `bson:"no" json:"no"`
	Community string `bson:"community" json:"community"`
	From      string `bson:"from" json:"from"`
	FromName  string `bson:"from_name" json:"from_name"`
	To        string `bson:"to" json:"to"`
	ToName    string `bson:"to_name" json:"to_name"`
	// At is when the outgoing steward handed over: their confirmation.
	At    time.Time      `bson:"at" json:"at"`
	Done  []string       `bson:"done,omitempty" json:"done,omitempty"`
	Items []HandoverItem `bson:"items,omitempty" json:"items,omitempty"`
	Note  string         `bson:"note,omitempty" json:"note,omitempty"`
	// ConfirmedAt is when the incoming steward had confirmed every item: their confirmation.
	ConfirmedAt time.Time `bson:"confirmed_at,omitempty" json:"confirmed_at,omitempty"`
}

// HandoverItem is one thing left open at a handover.
type HandoverItem struct {
	Ticket      string    `bson:"ticket" json:"ticket"`
	Summary     string    `bson:"summary" json:"summary"`
	Reason      string    `bson:"reason" json:"reason"`
	ConfirmedAt time.Time `bson:"confirmed_at,omitempty" json:"confirmed_at,omitempty"`
}

// Confirmed reports whether the incoming steward confirmed the handover.
func (h Handover) Confirmed() bool { return !h.ConfirmedAt.IsZero() }

// Patrol is a steward's round of a route's check points (巡查).
type Patrol struct {
	// ID is TicketID(Community, No).
	ID          string        `bson:"_id" json:"id"`
	No          string        `bson:"no" json:"no"`
	Community   string        `bson:"community" json:"community"`
	Steward     string        `bson:"steward" json:"steward"`
	StewardName string        `bson:"steward_name" json:"steward_name"`
	Route       string        `bson:"route" json:"route"`
	Points      []PatrolPoint `bson:"points" json:"points"`
	// Hazards are the numbers of the H… tickets reported on the patrol.
	Hazards   []string  `bson:"hazards,omitempty" json:"hazards,omitempty"`
	StartedAt time.Time `bson:"started_at" json:"started_at"`
	EndedAt   time.Time `bson:"ended_at,omitempty" json:"ended_at,omitempty"`
}

// PatrolPoint is one check point of a patrol.
type PatrolPoint struct {
	Name      string    `bson:"name" json:"name"`
	CheckedAt time.Time `bson:"checked_at,omitempty" json:"checked_at,omitempty"`
	// Hazard is the H… ticket reported at the point.
	Hazard string `bson:"hazard,omitempty" json:"hazard,omitempty"`
}

// Route is a patrol route of a community and its check points.
type Route struct {
	Name   string   `bson:"name" json:"name"`
	Points []string `bson:"points" json:"points"`
}

// Priority is a steward's own priority for a day (今日重点).
type Priority struct {
	ID     string    `bson:"_id" json:"id"`
	Person string    `bson:"person" json:"person"`
	Day    string    `bson:"day" json:"day"`
	Text   string    `bson:"text" json:"text"`
	At     time.Time `bson:"at" json:"at"`
}
