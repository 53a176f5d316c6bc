package guanjia

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Activity is a community event residents sign up for (社区活动), numbered A….
type Activity struct {
	// ID is TicketID(Community, No).
	ID          string `bson:"_id" json:"id"`
	Community   string `bson:"community" json:"community"`
	No          string `bson:"no" json:"no"`
	Title       string `bson:"title" json:"title"`
	Place       string `bson:"place" json:"place"`
	Description string `bson:"description,omitempty" json:"description,omitempty"`
	// Start is when it begins; Deadline is when sign-ups close (at Start at the latest).
	Start    time.Time `bson:"start" json:"start"`
	Deadline time.Time `bson:"deadline" json:"deadline"`
	// Capacity is how many people (not homes) may come.
	Capacity int `bson:"capacity" json:"capacity"`
	// Buildings is the audience; empty is the whole community.
	Buildings []int `bson:"buildings,omitempty" json:"buildings,omitempty"`
	// InviteAt is when the invitation goes to the audience's groups.
	InviteAt time.Time `bson:"invite_at" json:"invite_at"`
	// GroupRecap also posts a short recap (numbers, no names) to the audience's groups.
	GroupRecap bool `bson:"group_recap,omitempty" json:"group_recap,omitempty"`
	// Survey is the survey whose winning option seeded the event, if any.
	Survey    string    `bson:"survey,omitempty" json:"survey,omitempty"`
	CreatedBy string    `bson:"created_by" json:"created_by"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	// Submission names the confirmed form that made it: confirmed twice, it is made once.
	Submission string `bson:"submission,omitempty" json:"-"`
	// Cancelled says why the event was called off; empty while it stands.
	Cancelled   string    `bson:"cancelled,omitempty" json:"cancelled,omitempty"`
	CancelledAt time.Time `bson:"cancelled_at,omitempty" json:"cancelled_at,omitempty"`
}

// Activity limits.
const (
	// MaxEventCapacity is the most people an event may take.
	MaxEventCapacity = 2000
	// MaxHeads is the most people one home may sign up.
	MaxHeads = 10
)

// Validate checks an event as created at now.
func (e Activity) Validate(now time.Time) error {
	switch {
	case strings.TrimSpace(e.Title) == "" || strings.TrimSpace(e.Place) == "":
		return fmt.Errorf("event: title and place: %w", ErrInvalid)
	case e.Capacity < 1 || e.Capacity > MaxEventCapacity:
		return fmt.Errorf("event: capacity %d: %w", e.Capacity, ErrInvalid)
	case !e.Start.After(now):
		return fmt.Errorf("event: start in the past: %w", ErrInvalid)
	case e.Deadline.After(e.Start) || !e.Deadline.After(now):
		return fmt.Errorf("event: deadline: %w", ErrInvalid)
	}
	return nil
}

// For reports whether a household of building b is in the event's audience.
func (e Activity) For(building int) bool {
	return inAudience(e.Buildings, building)
}

// Open reports whether sign-ups are taken at now.
func (e Activity) Open(now time.Time) bool { return e.Cancelled == "" && now.Before(e.Deadline) }

// SignUp is one home's sign-up for an event. Its _id is SignUpID, so a home signs up once.
type SignUp struct {
	ID        string `bson:"_id" json:"id"`
	Community string `bson:"community" json:"community"`
	Event     string `bson:"event" json:"event"`
	Household string `bson:"household" json:"household"`
	// Person is who signed up; the home's other residents see it as theirs too.
	Person string `bson:"person" json:"person"`
	Heads  int    `bson:"heads" json:"heads"`
	// At and Seq order the waitlist: the order of arrival.
	At  time.Time `bson:"at" json:"at"`
	Seq int64     `bson:"seq" json:"seq"`
	// Confirmed is worked out from the seats held, not stored.
	Confirmed bool `bson:"-" json:"confirmed"`
	// Attended and Rating are filled in from the check-in and feedback records.
	Attended bool   `bson:"-" json:"attended"`
	Rating   int    `bson:"-" json:"rating,omitempty"`
	Comment  string `bson:"-" json:"comment,omitempty"`
}

// SignUpID is the storage key of a home's sign-up.
func SignUpID(community, event, household string) string {
	return community + "/" + event + "/h/" + household
}

// Survey is a question put to residents (问卷), numbered S….
type Survey struct {
	ID        string   `bson:"_id" json:"id"`
	Community string   `bson:"community" json:"community"`
	No        string   `bson:"no" json:"no"`
	Question  string   `bson:"question" json:"question"`
	Options   []string `bson:"options" json:"options"`
	// Multiple lets an answer pick several options.
	Multiple  bool      `bson:"multiple" json:"multiple"`
	Buildings []int     `bson:"buildings,omitempty" json:"buildings,omitempty"`
	Closes    time.Time `bson:"closes" json:"closes"`
	// Private also asks the audience's bound residents in their private chats.
	Private   bool      `bson:"private" json:"private"`
	CreatedBy string    `bson:"created_by" json:"created_by"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	// Submission names the confirmed form that made it: confirmed twice, it is made once.
	Submission string `bson:"submission,omitempty" json:"-"`
}

// Survey limits.
const (
	MinSurveyOptions = 2
	MaxSurveyOptions = 9
)

// Validate checks a survey as created at now.
func (s Survey) Validate(now time.Time) error {
	switch {
	case strings.TrimSpace(s.Question) == "":
		return fmt.Errorf("survey: no question: %w", ErrInvalid)
	case len(s.Options) < MinSurveyOptions || len(s.Options) > MaxSurveyOptions:
		return fmt.Errorf("survey: %d options: %w", len(s.Options), ErrInvalid)
	case !s.Closes.After(now):
		return fmt.Errorf("survey: closes in the past: %w", ErrInvalid)
	}
	for _, o := range s.Options {
		if strings.TrimSpace(o) == "" {
			return fmt.Errorf("survey: empty option: %w", ErrInvalid)
		}
	}
	return nil
}

// For reports whether a household of building b is asked.
func (s Survey) For(building int) bool {
	return inAudience(s.Buildings, building)
}

// Answer is one resident's answer to a survey; its _id is AnswerID, so answering again
// replaces it.
type Answer struct {
	ID        string    `bson:"_id" json:"id"`
	Survey    string    `bson:"survey" json:"survey"`
	Person    string    `bson:"person" json:"person"`
	Household string    `bson:"household" json:"household"`
	Picks     []int     `bson:"picks" json:"picks"`
	At        time.Time `bson:"at" json:"at"`
}

// AnswerID is the storage key of a person's answer.
func AnswerID(community, survey, person string) string {
	return community + "/" + survey + "/a/" + person
}

// Counts are the answers per option (index 0 is option 1), and how many answered.
func Counts(s Survey, answers []Answer) ([]int, int) {
	counts := make([]int, len(s.Options))
	for _, a := range answers {
		for _, p := range a.Picks {
			if p >= 1 && p <= len(counts) {
				counts[p-1]++
			}
		}
	}
	return counts, len(answers)
}

var recordNo = regexp.MustCompile(`(?i)\b([AS])(\d{8})-(\d{4,})\b`)

// FindRecordNo finds an event (A…) or survey (S…) number of the kind letter in a text.
func FindRecordNo(letter, text string) (string, bool) {
	for _, m := range recordNo.FindAllStringSubmatch(text, -1) {
		if strings.EqualFold(m[1], letter) {
			return strings.ToUpper(m[0]), true
		}
	}
	return "", false
}
