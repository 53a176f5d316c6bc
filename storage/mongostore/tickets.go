package mongostore

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/guanjia/guanjia"
)

// Tickets are written so that concurrency is decided by unique _ids alone, because FerretDB v1
// applies neither findAndModify nor a filtered replace atomically: under load several callers
// "win" the same $inc or the same {version: n} filter.
//
// Numbers: the insert of the ticket under TicketID(community, number) is what takes a number;
// a duplicate key means it is taken and the next one is tried. The counters collection only
// remembers how far a day's sequence got, to skip the taken numbers quickly.
//
// Updates: every version after the first is first inserted into ticket_revisions under
// "<ticket id>@<version>"; that insert is the commit point, and only one writer can make it.
// The document in tickets is then brought up to date. Should that step be lost (a crash, or
// FerretDB letting a slower refresh land last), readers follow the revisions forward from it.

// counter is the hint of how far one community's sequence of one kind and day has got. Every
// value it takes is a number that was taken with all the numbers below it.
type counter struct {
	ID  string `bson:"_id"`
	Seq int    `bson:"seq"`
}

// submission maps a conversation's submission to the ticket it filed, by _id, so that the
// same submission again is found without searching the tickets.
type submission struct {
	ID string `bson:"_id"`
	No string `bson:"no"`
}

func submissionID(community, key string) string { return community + ":" + key }

func (s *Store) submissions() *mongo.Collection {
	return s.communities.Database().Collection("ticket_submissions")
}

// noteSubmission records which ticket a submission filed. Its errors are dropped: the ticket
// is saved and its number about to be told; only a second handling of the same message in the
// moment the note failed would file again.
func (s *Store) noteSubmission(ctx context.Context, tk guanjia.Ticket) {
	if tk.Submission == "" {
		return
	}
	_, _ = s.submissions().InsertOne(ctx, submission{ID: submissionID(tk.Community, tk.Submission), No: tk.No})
}

// revision is one committed version of a ticket.
type revision struct {
	ID     string         `bson:"_id"`
	Ticket guanjia.Ticket `bson:"ticket"`
}

func revisionID(ticket string, version int) string { return fmt.Sprintf("%s@%d", ticket, version) }

// CreateTicket numbers t (kind, day of t.CreatedAt in the store's location, the next sequence
// of that community, kind and day), sets its ID and Version 1, and saves it. A t whose
// Submission already filed a ticket becomes that ticket, as it is now, and nothing is saved.
func (s *Store) CreateTicket(ctx context.Context, t *guanjia.Ticket) error {
	if err := checkNew(t); err != nil {
		return err
	}
	if t.Submission != "" {
		// The same submission again (its message handled twice): the ticket it filed.
		filed, err := findOne[submission](ctx, s.submissions(), byID(submissionID(t.Community, t.Submission)), "submission")
		if err == nil {
			*t, err = s.Ticket(ctx, t.Community, filed.No)
			return err
		}
		if !errors.Is(err, guanjia.ErrNotFound) {
			return err
		}
	}
	day := t.CreatedAt.In(s.loc)
	counterID := "ticket/" + t.Community + "/" + string(t.Kind) + day.Format("20060102")
	hint, err := s.counterHint(ctx, counterID)
	if err != nil {
		return err
	}
	for seq := hint + 1; ; {
		tk := *t
		tk.No = guanjia.TicketNo(t.Kind, day, seq)
		tk.ID = guanjia.TicketID(t.Community, tk.No)
		tk.Version = 1
		_, err := s.tickets.InsertOne(ctx, tk)
		if err == nil {
			s.raiseCounter(ctx, counterID, seq)
			s.noteSubmission(ctx, tk)
			*t = tk
			return nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("mongostore: create ticket %s: %w", tk.ID, err)
		}
		// Taken: others are creating too. Their progress may have moved the hint further.
		if hint, err = s.counterHint(ctx, counterID); err != nil {
			return err
		}
		seq = max(seq+1, hint+1)
	}
}

func checkNew(t *guanjia.Ticket) error {
	switch {
	case t.Community == "":
		return fmt.Errorf("mongostore: create ticket: no community: %w", guanjia.ErrInvalid)
	case t.Kind != guanjia.KindRepair && t.Kind != guanjia.KindComplaint &&
		t.Kind != guanjia.KindInquiry && t.Kind != guanjia.KindHazard:
		return fmt.Errorf("mongostore: create ticket: kind %q: %w", t.Kind, guanjia.ErrInvalid)
	case t.CreatedAt.IsZero():
		return fmt.Errorf("mongostore: create ticket: no creation time: %w", guanjia.ErrInvalid)
	}
	return nil
}

func (s *Store) counterHint(ctx context.Context, id string) (int, error) {
	c, err := findOne[counter](ctx, s.counters, byID(id), "counter "+id)
	if errors.Is(err, guanjia.ErrNotFound) {
		return 0, nil
	}
	return c.Seq, err
}

// raiseCounter moves the hint up to seq. Its errors are dropped: the ticket is saved, and a
// hint left behind only costs the next creator a few duplicate-key attempts.
func (s *Store) raiseCounter(ctx context.Context, id string, seq int) {
	_, _ = s.counters.UpdateOne(ctx, byID(id), bson.D{{Key: "$max", Value: bson.D{{Key: "seq", Value: seq}}}},
		options.UpdateOne().SetUpsert(true))
}

// Ticket finds a ticket by community and number.
func (s *Store) Ticket(ctx context.Context, community, no string) (guanjia.Ticket, error) {
	id := guanjia.TicketID(community, no)
	tk, err := findOne[guanjia.Ticket](ctx, s.tickets, byID(id), "ticket "+id)
	if err != nil {
		return tk, err
	}
	return s.latest(ctx, tk)
}

// UpdateTicket saves t as the version after t.Version and increments t.Version. It returns
// an error wrapping guanjia.ErrConflict when the stored ticket is no longer at t.Version, and
// guanjia.ErrNotFound when there is no such ticket.
func (s *Store) UpdateTicket(ctx context.Context, t *guanjia.Ticket) error {
	id, err := derivedID("ticket", t.ID, guanjia.TicketID(t.Community, t.No))
	if err != nil {
		return err
	}
	cur, err := s.Ticket(ctx, t.Community, t.No)
	if err != nil {
		return err
	}
	if cur.Version != t.Version {
		return fmt.Errorf("mongostore: update ticket %s: version %d, stored %d: %w",
			id, t.Version, cur.Version, guanjia.ErrConflict)
	}
	next := *t
	next.ID, next.Version = id, t.Version+1
	_, err = s.revisions.InsertOne(ctx, revision{ID: revisionID(id, next.Version), Ticket: next})
	switch {
	case mongo.IsDuplicateKeyError(err):
		return fmt.Errorf("mongostore: update ticket %s: version %d taken: %w", id, next.Version, guanjia.ErrConflict)
	case err != nil:
		return fmt.Errorf("mongostore: update ticket %s: %w", id, err)
	}
	s.refresh(ctx, next)
	t.ID, t.Version = id, next.Version
	return nil
}

// latest follows a ticket's committed revisions beyond the stored document, which lags
// behind only when a writer did not get to refresh it.
func (s *Store) latest(ctx context.Context, tk guanjia.Ticket) (guanjia.Ticket, error) {
	stored := tk.Version
	for {
		rev, err := findOne[revision](ctx, s.revisions, byID(revisionID(tk.ID, tk.Version+1)), "ticket revision")
		if errors.Is(err, guanjia.ErrNotFound) {
			break
		}
		if err != nil {
			return tk, err
		}
		tk = rev.Ticket
	}
	if tk.Version > stored {
		s.refresh(ctx, tk)
	}
	return tk, nil
}

// refresh brings the stored document up to tk, unless it is already there or beyond. Its
// errors are dropped: the revision is committed, and readers find it without the refresh.
func (s *Store) refresh(ctx context.Context, tk guanjia.Ticket) {
	filter := bson.D{{Key: "_id", Value: tk.ID}, {Key: "version", Value: bson.D{{Key: "$lt", Value: tk.Version}}}}
	_, _ = s.tickets.ReplaceOne(ctx, filter, tk)
}
