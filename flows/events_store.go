package flows

import (
	"context"
	"time"

	"github.com/guanjia/guanjia"
)

// Activities keeps community events (A…), their sign-ups, and surveys (S…). Places are
// decided by the store with unique inserts: JoinEvent never gives more places than the
// capacity, however many homes sign up at once.
type Activities interface {
	CreateEvent(ctx context.Context, ev *guanjia.Activity) error
	Event(ctx context.Context, community, no string) (guanjia.Activity, error)
	// Events lists a community's events ("" for all), oldest first.
	Events(ctx context.Context, community string) ([]guanjia.Activity, error)
	// CancelEvent calls an event off; guanjia.ErrConflict when it was already.
	CancelEvent(ctx context.Context, community, no, reason string, at time.Time) error
	// JoinEvent signs a home up, confirmed or waiting, and returns the other homes it gave
	// places to (seats it tried and gave back); guanjia.ErrConflict (with the existing
	// sign-up) when it has signed up already. hint names the next seat to try.
	JoinEvent(ctx context.Context, ev guanjia.Activity, su guanjia.SignUp, hint func(context.Context) (int64, error)) (guanjia.SignUp, []guanjia.SignUp, error)
	// SignUps lists the sign-ups in order of arrival.
	SignUps(ctx context.Context, ev guanjia.Activity) ([]guanjia.SignUp, error)
	// LeaveEvent takes a home's sign-up back; guanjia.ErrNotFound when there is none.
	LeaveEvent(ctx context.Context, ev guanjia.Activity, household string) (guanjia.SignUp, error)
	// PromoteWaiting gives freed places to the first homes waiting and returns them.
	PromoteWaiting(ctx context.Context, ev guanjia.Activity) ([]guanjia.SignUp, error)
	// CheckIn marks a home as come; guanjia.ErrConflict when it was already.
	CheckIn(ctx context.Context, ev guanjia.Activity, household string, at time.Time) error
	PutFeedback(ctx context.Context, ev guanjia.Activity, household string, rating int, comment string, at time.Time) error

	CreateSurvey(ctx context.Context, sv *guanjia.Survey) error
	Survey(ctx context.Context, community, no string) (guanjia.Survey, error)
	Surveys(ctx context.Context, community string) ([]guanjia.Survey, error)
	PutAnswer(ctx context.Context, sv guanjia.Survey, a guanjia.Answer) error
	Answers(ctx context.Context, sv guanjia.Survey) ([]guanjia.Answer, error)
}
