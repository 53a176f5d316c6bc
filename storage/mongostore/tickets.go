package mongostore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/guanjia/guanjia"
)

// Tickets are written so that concurrency is decided by unique _ids alone, because FerretDB v1
// applies neither findAndModify nor a filtered replace atomically: under load several callers
// "win" the same $inc or the same {version: n} filter.
//
// Numbers: a Sequencer (Redis INCR per community, kind and day) hands out each number once, in
// one step; the insert of the ticket under TicketID(community, number) still decides, so a
// number the sequencer hands out again (Redis lost it) meets a duplicate key, and the sequence
// is raised above the highest number taken in the records before the next try. Without a
// sequencer, numbers are taken by trying the next insert, with the counters collection as a hint.
//
// Submissions: a conversation's submission key is claimed first, with the number it is to
// file under (ticket_submissions, by _id). A second handling of the same submission — the
// message handled again after a crash — finds the claim and files, or finds, that number:
// never a second ticket.
//
// Updates: every version after the first is first inserted into ticket_revisions under
// "<ticket id>@<version>"; that insert is the commit point, and only one writer can make it.
// The document in tickets is then brought up to date. Should that step be lost (a crash, or
// FerretDB letting a slower refresh land last), readers follow the revisions forward from it.

// Sequencer hands out the numbers of a sequence, each once. *redisstate.Store implements it.
type Sequencer interface {
	// NextSeq takes the next number under key; when the sequence is unknown it continues
	// above floor, the highest number the records hold.
	NextSeq(ctx context.Context, key string, floor func(context.Context) (int64, error)) (int64, error)
	// RaiseSeq moves the sequence above floor and takes the next number.
	RaiseSeq(ctx context.Context, key string, floor int64) (int64, error)
}

// SetSequencer makes the store take ticket numbers from seq. Call it before the store is used.
func (s *Store) SetSequencer(seq Sequencer) { s.seq = seq }

// counter is the hint of how far one community's sequence of one kind and day has got, kept
// when numbers are taken without a sequencer.
type counter struct {
	ID  string `bson:"_id"`
	Seq int    `bson:"seq"`
}

// submission maps a conversation's submission to the number it files under, by _id.
type submission struct {
	ID string `bson:"_id"`
	No string `bson:"no"`
}

func submissionID(community, key string) string { return community + ":" + key }

func (s *Store) submissions() *mongo.Collection {
	return s.communities.Database().Collection("ticket_submissions")
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
	day := t.CreatedAt.In(s.loc)
	n := numbering{s: s, community: t.Community, kind: t.Kind, day: day}
	if no, ok := reservedNo(t); ok {
		// The number taken when the summary was shown: one insert files it, and the same
		// submission again meets its own ticket.
		tk := *t
		tk.No, tk.ID, tk.Version = no, guanjia.TicketID(t.Community, no), 1
		_, err := s.tickets.InsertOne(ctx, tk)
		if err == nil {
			*t = tk
			return nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("mongostore: create ticket %s: %w", tk.ID, err)
		}
		filed, err := s.Ticket(ctx, t.Community, no)
		if err != nil {
			return err
		}
		if filed.Submission == t.Submission {
			*t = filed
			return nil
		}
		// Someone else's: the sequence was behind the records. File under a claimed number.
		n.behind = true
	}
	if t.Submission != "" && !n.behind {
		// The same submission again (several people joining one alarm, or a replay): its
		// ticket is found by the claim, and no number is spent on it.
		claim, err := findOne[submission](ctx, s.submissions(), byID(submissionID(t.Community, t.Submission)), "submission")
		if err == nil {
			filed, err := s.Ticket(ctx, t.Community, claim.No)
			if err == nil && filed.Submission == t.Submission {
				*t = filed
				return nil
			}
			if err != nil && !errors.Is(err, guanjia.ErrNotFound) {
				return err
			}
		} else if !errors.Is(err, guanjia.ErrNotFound) {
			return fmt.Errorf("mongostore: create ticket: find submission: %w", err)
		}
	}
	for {
		seq, err := n.next(ctx)
		if err != nil {
			return err
		}
		no := guanjia.TicketNo(t.Kind, day, int(seq))
		if t.Submission != "" {
			// The claim: the first handling of this submission names the number.
			claim := submission{ID: submissionID(t.Community, t.Submission), No: no}
			_, err := s.submissions().InsertOne(ctx, claim)
			if mongo.IsDuplicateKeyError(err) {
				claim, err = findOne[submission](ctx, s.submissions(), byID(claim.ID), "submission")
			}
			if err != nil {
				return fmt.Errorf("mongostore: create ticket: claim submission: %w", err)
			}
			no = claim.No
		}
		tk := *t
		tk.No, tk.ID, tk.Version = no, guanjia.TicketID(t.Community, no), 1
		_, err = s.tickets.InsertOne(ctx, tk)
		if err == nil {
			n.taken(ctx, no)
			*t = tk
			return nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("mongostore: create ticket %s: %w", tk.ID, err)
		}
		filed, err := s.Ticket(ctx, t.Community, no)
		if err != nil {
			return err
		}
		if t.Submission != "" && filed.Submission == t.Submission {
			// Filed by an earlier handling of the same submission.
			*t = filed
			return nil
		}
		// The number was someone else's: the sequence is behind the records.
		if t.Submission != "" {
			_, err := s.submissions().DeleteOne(ctx, bson.D{{Key: "_id", Value: submissionID(t.Community, t.Submission)}, {Key: "no", Value: no}})
			if err != nil {
				return fmt.Errorf("mongostore: create ticket: release submission: %w", err)
			}
		}
		n.collided()
	}
}

// ReserveSubmission names a submission that is to file a ticket of community and kind, with
// the next number of that day (the day of at) taken for it now: a conversation takes it when it
// shows its summary, so that filing is a single insert, and the same submission again meets
// its own ticket. It returns an error wrapping guanjia.ErrInvalid when the store has no
// sequencer; the submission key is then the caller's to make.
func (s *Store) ReserveSubmission(ctx context.Context, community string, kind guanjia.TicketKind, at time.Time) (string, error) {
	if s.seq == nil {
		return "", fmt.Errorf("mongostore: reserve ticket number: no sequencer: %w", guanjia.ErrInvalid)
	}
	n := numbering{s: s, community: community, kind: kind, day: at.In(s.loc)}
	seq, err := n.next(ctx)
	if err != nil {
		return "", err
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return guanjia.TicketNo(kind, n.day, int(seq)) + "." + hex.EncodeToString(b), nil
}

// reservedNo is the number t's submission reserved, if it did.
func reservedNo(t *guanjia.Ticket) (string, bool) {
	no, _, ok := strings.Cut(t.Submission, ".")
	if !ok {
		return "", false
	}
	parsed, ok := guanjia.ParseTicketNo(no)
	if !ok || parsed != no || !strings.HasPrefix(no, string(t.Kind)) {
		return "", false
	}
	return no, true
}

// numbering takes the numbers of one community, kind and day.
type numbering struct {
	s         *Store
	community string
	kind      guanjia.TicketKind
	day       time.Time
	// coll holds the numbered records under _id "<community>/<number>"; nil means tickets.
	coll *mongo.Collection
	// last is the number tried last; behind is set after it turned out taken.
	last   int64
	behind bool
}

func (n *numbering) key() string {
	return "ticket/" + n.community + "/" + string(n.kind) + n.day.Format("20060102")
}

func (n *numbering) next(ctx context.Context) (int64, error) {
	s := n.s
	var err error
	switch {
	case s.seq != nil && n.behind:
		var high int64
		if high, err = n.highest(ctx); err == nil {
			n.last, err = s.seq.RaiseSeq(ctx, n.key(), max(high, n.last))
		}
	case s.seq != nil:
		n.last, err = s.seq.NextSeq(ctx, n.key(), n.highest)
	default:
		var hint int
		if hint, err = s.counterHint(ctx, n.key()); err == nil {
			n.last = max(n.last+1, int64(hint)+1)
		}
	}
	n.behind = false
	if err != nil {
		return 0, fmt.Errorf("mongostore: ticket number: %w", err)
	}
	return n.last, nil
}

// collided notes that the number tried last was taken: the next is taken above the records.
func (n *numbering) collided() { n.behind = true }

// taken notes a number filed; only the counting without a sequencer keeps a hint.
func (n *numbering) taken(ctx context.Context, no string) {
	if n.s.seq == nil {
		if seq, ok := seqOf(no); ok {
			n.s.raiseCounter(ctx, n.key(), int(seq))
		}
	}
}

// highest is the highest number of the day the records hold, read from the _ids of the
// tickets of one community, kind and day (a range of _ids, which the index serves).
func (n *numbering) highest(ctx context.Context) (int64, error) {
	prefix := guanjia.TicketID(n.community, string(n.kind)+n.day.Format("20060102")+"-")
	filter := bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: prefix}, {Key: "$lt", Value: prefix + "\uffff"}}}}
	coll := n.coll
	if coll == nil {
		coll = n.s.tickets
	}
	cur, err := coll.Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return 0, fmt.Errorf("highest ticket number: %w", err)
	}
	var ids []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &ids); err != nil {
		return 0, fmt.Errorf("highest ticket number: %w", err)
	}
	var high int64
	for _, d := range ids {
		if seq, ok := seqOf(strings.TrimPrefix(d.ID, n.community+"/")); ok {
			high = max(high, seq)
		}
	}
	return high, nil
}

// seqOf is the day's sequence of a ticket number.
func seqOf(no string) (int64, bool) {
	_, tail, ok := strings.Cut(no, "-")
	if !ok {
		return 0, false
	}
	seq, err := strconv.ParseInt(tail, 10, 64)
	return seq, err == nil
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
