package flows

import (
	"context"
	"time"

	"github.com/guanjia/guanjia"
)

// Directory looks up the people, places and chats a conversation involves.
// Lookups of absent records return an error wrapping guanjia.ErrNotFound.
type Directory interface {
	Community(ctx context.Context, id string) (guanjia.Community, error)
	Household(ctx context.Context, community, code string) (guanjia.Household, error)
	// HouseholdsInBuilding lists a community's households in one building; none is an empty list.
	HouseholdsInBuilding(ctx context.Context, community string, building int) ([]guanjia.Household, error)
	// Communities lists every community.
	Communities(ctx context.Context) ([]guanjia.Community, error)
	Person(ctx context.Context, id string) (guanjia.Person, error)
	// PersonByName finds a person of a community by name (e.g. a worker named in 派单).
	PersonByName(ctx context.Context, community, name string) (guanjia.Person, error)
	// PersonByIdentity finds the person bound to a platform account.
	PersonByIdentity(ctx context.Context, channel, platformID string) (guanjia.Person, error)
	// Chat finds a chat by channel and the platform's chat id.
	Chat(ctx context.Context, channel, platformID string) (guanjia.Chat, error)
	// ChatsByRole lists a community's chats of one role (e.g. its staff groups).
	ChatsByRole(ctx context.Context, community string, role guanjia.ChatRole) ([]guanjia.Chat, error)
	// PrivateChats lists the private chats of a person on every channel.
	PrivateChats(ctx context.Context, person string) ([]guanjia.Chat, error)
	// PeopleByRole lists a community's people with a role (e.g. its supervisors).
	PeopleByRole(ctx context.Context, community string, role guanjia.Role) ([]guanjia.Person, error)
	// PeopleByName lists the people of every community with a name.
	PeopleByName(ctx context.Context, name string) ([]guanjia.Person, error)
}

// Tickets keeps tickets.
type Tickets interface {
	// CreateTicket gives t its number (kind, day of t.CreatedAt in the community's time zone,
	// next sequence of that community and day), sets ID and Version, and saves it; when
	// t.Submission filed a ticket before, t becomes that ticket and nothing new is saved.
	CreateTicket(ctx context.Context, t *guanjia.Ticket) error
	// Ticket finds a ticket by community and number.
	Ticket(ctx context.Context, community, no string) (guanjia.Ticket, error)
	// UpdateTicket saves t if its stored Version is still t.Version, and increments t.Version;
	// otherwise it returns an error wrapping guanjia.ErrConflict.
	UpdateTicket(ctx context.Context, t *guanjia.Ticket) error
	// TicketsByReporter lists a person's tickets in a community, newest first (limit 0: all).
	TicketsByReporter(ctx context.Context, community, person string, limit int) ([]guanjia.Ticket, error)
}

// Sessions keeps conversations in progress.
type Sessions interface {
	// Load returns the session; guanjia.ErrNotFound when there is none; and the lapsed
	// session together with guanjia.ErrExpired when it expired (it is deleted then).
	Load(ctx context.Context, key guanjia.SessionKey) (guanjia.Session, error)
	// Save stores the session until s.Expires (plus a grace period in which Load reports it expired).
	Save(ctx context.Context, s guanjia.Session) error
	Delete(ctx context.Context, key guanjia.SessionKey) error
}

// Binder binds platform accounts to people and chats to roles.
type Binder interface {
	// UseCode spends a one-time binding code and returns its person's id; an unknown,
	// expired or used code is an error wrapping guanjia.ErrNotFound.
	UseCode(ctx context.Context, code string, now time.Time) (string, error)
	PutIdentity(ctx context.Context, id guanjia.Identity) error
	PutChat(ctx context.Context, c guanjia.Chat) error
	CommunityByName(ctx context.Context, name string) (guanjia.Community, error)
	// IssueCode creates a one-time binding code for a person.
	IssueCode(ctx context.Context, person string, now time.Time, ttl time.Duration) (string, error)
	IdentitiesOf(ctx context.Context, person string) ([]guanjia.Identity, error)
	DeleteIdentity(ctx context.Context, channel, platformID string) error
}

// Attempts counts tries of something that must not be guessed (binding by phone digits).
type Attempts interface {
	// CountAttempt adds one try under key and returns the tries within window, this one included.
	CountAttempt(ctx context.Context, key string, window time.Duration) (int64, error)
	// Tries returns the tries counted under key now, adding none; 0 when none are.
	Tries(ctx context.Context, key string) (int64, error)
}

// Fees answers fee questions and records payments.
type Fees interface {
	Bill(ctx context.Context, community, household, period string) (guanjia.Bill, error)
	Arrears(ctx context.Context, community, household string) ([]guanjia.Arrear, error)
	RecordPayment(ctx context.Context, p guanjia.Payment) error
	// VoidPayment takes back the latest payment of a household's period (recorded by
	// mistake) and returns it; guanjia.ErrNotFound when there is none.
	VoidPayment(ctx context.Context, community, household, period, by string, at time.Time) (guanjia.Payment, error)
}

// FAQs are the answers the office keeps for common questions.
type FAQs interface {
	FAQs(ctx context.Context, community string) ([]guanjia.FAQ, error)
}
