package guanjia

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// TicketKind is the kind of a ticket; it is also the first letter of its number.
type TicketKind string

// Ticket kinds.
const (
	KindRepair    TicketKind = "R"
	KindComplaint TicketKind = "C"
	KindInquiry   TicketKind = "Q"
	KindHazard    TicketKind = "H"
)

// Status is where a ticket is in its life.
type Status string

// Ticket statuses.
const (
	StatusSubmitted  Status = "submitted"
	StatusAccepted   Status = "accepted"
	StatusAssigned   Status = "assigned"
	StatusInProgress Status = "in_progress"
	StatusResolved   Status = "resolved"
	StatusClosed     Status = "closed"
	StatusReopened   Status = "reopened"
	StatusCancelled  Status = "cancelled"
)

// Statuses lists every status, in life order.
var Statuses = []Status{StatusSubmitted, StatusAccepted, StatusAssigned, StatusInProgress,
	StatusResolved, StatusClosed, StatusReopened, StatusCancelled}

// Urgency of a repair.
type Urgency string

// Urgencies.
const (
	UrgencyNormal Urgency = "normal"
	UrgencyUrgent Urgency = "urgent"
)

// Action is a step on a ticket's timeline.
type Action string

// Timeline actions.
const (
	ActSubmit   Action = "submit"
	ActAccept   Action = "accept"
	ActAssign   Action = "assign"
	ActProgress Action = "progress"
	ActResolve  Action = "resolve"
	ActClose    Action = "close"
	ActReopen   Action = "reopen"
	ActCancel   Action = "cancel"
	ActRate     Action = "rate"
	ActComment  Action = "comment"
	ActReply    Action = "reply"
	// ActEscalate: a due time passed; the supervisors were told.
	ActEscalate Action = "escalate"
	// ActNote: a note for staff only; residents never see it.
	ActNote Action = "note"
	// ActCallBackDue: the resident did not answer the follow-up; someone is to call them.
	ActCallBackDue Action = "callback_due"
	// ActCallBack: the call-back was made, with its outcome.
	ActCallBack Action = "callback"
)

// Event is one entry of a ticket's timeline: who did what, when.
type Event struct {
	At        time.Time `bson:"at" json:"at"`
	Action    Action    `bson:"action" json:"action"`
	Actor     string    `bson:"actor" json:"actor"`
	ActorName string    `bson:"actor_name" json:"actor_name"`
	Note      string    `bson:"note,omitempty" json:"note,omitempty"`
	// Supervisors marks a note only supervisors may read: what a resident said about a staff
	// member, kept on the ticket of a repair that staff groups follow.
	Supervisors bool `bson:"supervisors,omitempty" json:"supervisors,omitempty"`
	// Staff marks a note for staff only (备注): residents never read it.
	Staff bool `bson:"staff,omitempty" json:"staff,omitempty"`
	// Due is the due time an escalation was about.
	Due time.Time `bson:"due,omitempty" json:"due,omitempty"`
}

// Origin is where a ticket was reported, so that the reporter can be told of its progress.
type Origin struct {
	Channel string `bson:"channel" json:"channel"`
	// Chat is the platform's chat id.
	Chat string `bson:"chat" json:"chat"`
	// User is the reporter's platform user id, so that a follow-up question finds them.
	User string `bson:"user" json:"user"`
}

// Ticket is a repair, complaint, inquiry or hazard record.
type Ticket struct {
	// ID is TicketID(Community, No).
	ID        string     `bson:"_id" json:"id"`
	No        string     `bson:"no" json:"no"`
	Kind      TicketKind `bson:"kind" json:"kind"`
	Community string     `bson:"community" json:"community"`
	Status    Status     `bson:"status" json:"status"`
	// Reporter is the person id of whoever filed it.
	Reporter     string `bson:"reporter" json:"reporter"`
	ReporterName string `bson:"reporter_name" json:"reporter_name"`
	Origin       Origin `bson:"origin" json:"origin"`
	// Submission identifies the conversation that filed the ticket: the same conversation
	// submitted again (a message handled twice after a crash) finds this ticket instead of
	// filing a second one.
	Submission string `bson:"submission,omitempty" json:"submission,omitempty"`
	// Confidential marks a complaint about a staff member: only supervisors see it and act on
	// it, and only in private.
	Confidential bool     `bson:"confidential,omitempty" json:"confidential,omitempty"`
	Household    string   `bson:"household,omitempty" json:"household,omitempty"`
	Address      string   `bson:"address" json:"address"`
	Building     int      `bson:"building,omitempty" json:"building,omitempty"`
	Category     string   `bson:"category" json:"category"`
	Description  string   `bson:"description" json:"description"`
	Photos       []string `bson:"photos,omitempty" json:"photos,omitempty"`
	Urgency      Urgency  `bson:"urgency" json:"urgency"`
	// Assignee is the person id of the worker the job is assigned to.
	Assignee     string `bson:"assignee,omitempty" json:"assignee,omitempty"`
	AssigneeName string `bson:"assignee_name,omitempty" json:"assignee_name,omitempty"`
	Rating       int    `bson:"rating,omitempty" json:"rating,omitempty"`
	// CallBack is true when the resident asked to be called back (complaints).
	CallBack  bool      `bson:"call_back,omitempty" json:"call_back,omitempty"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt time.Time `bson:"updated_at" json:"updated_at"`
	// Department is who a hazard found on patrol is routed to (安全部, 工程部 …).
	Department string `bson:"department,omitempty" json:"department,omitempty"`
	// DueAt is when the current stage must be done (SLA).
	DueAt    time.Time `bson:"due_at,omitempty" json:"due_at,omitempty"`
	Timeline []Event   `bson:"timeline" json:"timeline"`
	// Version grows by one with every update; writes check it (optimistic locking).
	Version int `bson:"version" json:"version"`
}

// TicketID is the storage key of a ticket: numbers are unique per community.
func TicketID(community, no string) string { return community + "/" + no }

// TicketNo formats a ticket number: kind, date, and the day's sequence, e.g. R20261126-0007.
func TicketNo(kind TicketKind, day time.Time, seq int) string {
	return fmt.Sprintf("%s%s-%04d", kind, day.Format("20060102"), seq)
}

var ticketNo = regexp.MustCompile(`^([RCQH])(\d{8})-(\d{4,})$`)

// ParseTicketNo normalises a typed ticket number ("r20261126-0007" → "R20261126-0007").
func ParseTicketNo(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if !ticketNo.MatchString(s) {
		return "", false
	}
	return s, true
}

var ticketNoInText = regexp.MustCompile(`(?i)\b[RCQH]\d{8}-\d{4,}\b`)

// FindTicketNo returns the first ticket number in a longer text (a ticket card), upper case.
func FindTicketNo(text string) (string, bool) {
	no := ticketNoInText.FindString(text)
	return strings.ToUpper(no), no != ""
}

// transitions says which actions are allowed from which statuses.
var transitions = map[Action]struct {
	from []Status
	to   Status
}{
	ActAccept:   {[]Status{StatusSubmitted, StatusReopened}, StatusAccepted},
	ActAssign:   {[]Status{StatusSubmitted, StatusAccepted, StatusAssigned, StatusInProgress, StatusReopened}, StatusAssigned},
	ActProgress: {[]Status{StatusAccepted, StatusAssigned, StatusInProgress, StatusReopened}, StatusInProgress},
	ActResolve:  {[]Status{StatusSubmitted, StatusAccepted, StatusAssigned, StatusInProgress, StatusReopened}, StatusResolved},
	ActClose:    {[]Status{StatusResolved, StatusSubmitted, StatusAccepted, StatusAssigned, StatusInProgress, StatusReopened}, StatusClosed},
	ActReopen:   {[]Status{StatusResolved, StatusClosed}, StatusReopened},
	ActCancel:   {[]Status{StatusSubmitted, StatusAccepted, StatusAssigned, StatusReopened}, StatusCancelled},
}

// Apply performs action a on the ticket, appending ev to its timeline. It returns ErrConflict
// wrapped with the current status when the action is not allowed from it.
func (t *Ticket) Apply(a Action, ev Event) error {
	ev.Action = a
	if tr, ok := transitions[a]; ok {
		allowed := false
		for _, s := range tr.from {
			if s == t.Status {
				allowed = true
				break
			}
		}
		if !allowed {
			return fmt.Errorf("ticket %s: %s while %s: %w", t.No, a, t.Status, ErrConflict)
		}
		t.Status = tr.to
	}
	t.Timeline = append(t.Timeline, ev)
	t.UpdatedAt = ev.At
	return nil
}

// Open reports whether work on the ticket is still expected.
func (t Ticket) Open() bool {
	return t.Status != StatusResolved && t.Status != StatusClosed && t.Status != StatusCancelled
}
