package mongostore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/guanjia/guanjia"
)

// Events and their sign-ups. Places are never decided by reading a count and writing it
// back (FerretDB updates are not atomic): a confirmed home holds seat records
// "<event id>/seat-0007", each claimed by a unique insert, so no two homes ever hold the same
// seat and no event ever has more seats than its capacity. A home's sign-up is one record
// "<event id>/h/<household>" (a home signs up once); "<event id>/conf/<household>" marks the
// one claim of seats for it, so that two cancellations promoting the same waiting home at
// once give it its places once.

// Collections of events.
const (
	collEvents  = "events"
	collSignUps = "event_signups"
	collSeats   = "event_seats"
	collMarks   = "event_marks"
)

// CreateEvent numbers an event A… and saves it; an event of the same submission made before
// (the message confirming it handled again after a crash) is returned instead.
func (s *Store) CreateEvent(ctx context.Context, ev *guanjia.Activity) error {
	if ev.Submission != "" {
		old, err := findOne[guanjia.Activity](ctx, s.Collection(collEvents), bson.D{{Key: "community", Value: ev.Community},
			{Key: "submission", Value: ev.Submission}}, "event of submission")
		if err == nil {
			*ev = old
			return nil
		} else if !errors.Is(err, guanjia.ErrNotFound) {
			return err
		}
	}
	no, err := s.InsertNumbered(ctx, s.Collection(collEvents), ev.Community, "A", ev.CreatedAt, func(no string) any {
		c := *ev
		c.No, c.ID = no, guanjia.TicketID(ev.Community, no)
		return c
	})
	if err != nil {
		return fmt.Errorf("mongostore: create event: %w", err)
	}
	ev.No, ev.ID = no, guanjia.TicketID(ev.Community, no)
	return nil
}

// Event finds an event by community and number.
func (s *Store) Event(ctx context.Context, community, no string) (guanjia.Activity, error) {
	id := guanjia.TicketID(community, no)
	return findOne[guanjia.Activity](ctx, s.Collection(collEvents), byID(id), "event "+id)
}

// Events lists the events of a community ("" for every community), oldest first.
func (s *Store) Events(ctx context.Context, community string) ([]guanjia.Activity, error) {
	filter := bson.D{}
	if community != "" {
		filter = prefix(community + "/A")
	}
	list, err := findAll[guanjia.Activity](ctx, s.Collection(collEvents), filter, "events of "+community)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(list, func(a, b guanjia.Activity) int { return strings.Compare(a.ID, b.ID) })
	return list, nil
}

// CancelEvent calls an event off; ErrConflict when it was called off already.
func (s *Store) CancelEvent(ctx context.Context, community, no, reason string, at time.Time) error {
	id := guanjia.TicketID(community, no)
	res, err := s.Collection(collEvents).UpdateOne(ctx,
		bson.D{{Key: "_id", Value: id}, {Key: "cancelled", Value: bson.D{{Key: "$exists", Value: false}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "cancelled", Value: reason}, {Key: "cancelled_at", Value: at}}}})
	if err != nil {
		return fmt.Errorf("mongostore: cancel event %s: %w", id, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("mongostore: cancel event %s: %w", id, guanjia.ErrConflict)
	}
	return nil
}

// prefix is the filter of the _ids that start with p.
func prefix(p string) bson.D {
	return bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: p}, {Key: "$lt", Value: p + "\uffff"}}}}
}

// seat is a place held by a home.
type seat struct {
	ID        string `bson:"_id"`
	N         int    `bson:"n"`
	Household string `bson:"household"`
}

func seatID(ev guanjia.Activity, n int) string     { return fmt.Sprintf("%s/seat-%05d", ev.ID, n) }
func confID(ev guanjia.Activity, hh string) string { return ev.ID + "/conf/" + hh }

// JoinEvent records a home's sign-up (su.Heads people) and gives it places when they are
// left and no home waits before it; otherwise it waits, in order of arrival (su.At, su.Seq).
// The homes given places that this claim took and gave back are returned, to be told. A home
// signed up already is ErrConflict, with its sign-up returned. hint names the next seat
// to try, counting up from 1 in one atomic step (Redis INCR): without it every sign-up would
// try seat 1 first. It is only a hint; the inserts decide.
func (s *Store) JoinEvent(ctx context.Context, ev guanjia.Activity, su guanjia.SignUp, hint func(context.Context) (int64, error)) (guanjia.SignUp, []guanjia.SignUp, error) {
	su.ID, su.Community, su.Event = guanjia.SignUpID(ev.Community, ev.No, su.Household), ev.Community, ev.No
	if _, err := s.Collection(collSignUps).InsertOne(ctx, su); mongo.IsDuplicateKeyError(err) {
		old, ferr := s.signUp(ctx, ev, su.Household)
		if ferr != nil {
			return su, nil, ferr
		}
		return old, nil, fmt.Errorf("mongostore: sign up %s: %w", su.ID, guanjia.ErrConflict)
	} else if err != nil {
		return su, nil, fmt.Errorf("mongostore: sign up %s: %w", su.ID, err)
	}
	ok, freed, _, err := s.claimSeats(ctx, ev, su, hint)
	if err != nil {
		return su, nil, err
	}
	su.Confirmed = ok
	if !freed {
		return su, nil, nil
	}
	// Seats taken back from a claim that fell short go to the first homes waiting.
	promoted, err := s.PromoteWaiting(ctx, ev)
	if err != nil {
		return su, nil, err
	}
	var others []guanjia.SignUp
	for _, p := range promoted {
		if p.Household == su.Household {
			su.Confirmed = true
		} else {
			others = append(others, p)
		}
	}
	return su, others, nil
}

func (s *Store) signUp(ctx context.Context, ev guanjia.Activity, household string) (guanjia.SignUp, error) {
	id := guanjia.SignUpID(ev.Community, ev.No, household)
	su, err := findOne[guanjia.SignUp](ctx, s.Collection(collSignUps), byID(id), "sign-up "+id)
	if err != nil {
		return su, err
	}
	su.Confirmed, err = s.confirmed(ctx, ev, household)
	return su, err
}

func (s *Store) confirmed(ctx context.Context, ev guanjia.Activity, household string) (bool, error) {
	_, err := findOne[bson.M](ctx, s.Collection(collSeats), byID(confID(ev, household)), "seat claim")
	if errors.Is(err, guanjia.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// claimSeats tries to give su's home su.Heads seats. With a hint it takes the seats the hint
// names while they exist; past the capacity it looks for seats given back, and only when no
// home waits before this one. freed reports seats taken and given back again; busy, that
// another claim for the home is under way (a promotion), which tells the home itself.
func (s *Store) claimSeats(ctx context.Context, ev guanjia.Activity, su guanjia.SignUp, hint func(context.Context) (int64, error)) (ok, freed, busy bool, err error) {
	seats := s.Collection(collSeats)
	if _, err := seats.InsertOne(ctx, bson.D{{Key: "_id", Value: confID(ev, su.Household)}, {Key: "household", Value: su.Household}}); mongo.IsDuplicateKeyError(err) {
		return false, false, true, nil
	} else if err != nil {
		return false, false, false, fmt.Errorf("mongostore: claim seats of %s: %w", su.ID, err)
	}
	var held []string
	release := func() error {
		for _, id := range held {
			if _, err := seats.DeleteOne(ctx, byID(id)); err != nil {
				return fmt.Errorf("mongostore: give back seat %s: %w", id, err)
			}
		}
		if _, err := seats.DeleteOne(ctx, byID(confID(ev, su.Household))); err != nil {
			return fmt.Errorf("mongostore: give back seats of %s: %w", su.ID, err)
		}
		return nil
	}
	take := func(n int) (bool, error) {
		id := seatID(ev, n)
		_, err := seats.InsertOne(ctx, seat{ID: id, N: n, Household: su.Household})
		if mongo.IsDuplicateKeyError(err) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("mongostore: take seat %s: %w", id, err)
		}
		held = append(held, id)
		return true, nil
	}
	scanned := false
	for len(held) < su.Heads {
		if hint != nil {
			n, err := hint(ctx)
			if err != nil {
				return false, false, false, errors.Join(err, release())
			}
			if n >= 1 && n <= int64(ev.Capacity) {
				if got, err := take(int(n)); err != nil {
					return false, false, false, errors.Join(err, release())
				} else if got {
					continue
				}
			}
			hint = nil // the hinted seats are gone: look for seats given back
		}
		if !scanned {
			scanned = true
			if waiting, err := s.waitsBefore(ctx, ev, su); err != nil || waiting {
				return false, len(held) > 0, false, errors.Join(err, release())
			}
		}
		free, err := s.freeSeats(ctx, ev)
		if err != nil {
			return false, false, false, errors.Join(err, release())
		}
		// Take what this list offers; read it again only if others took some first.
		got := false
		for _, n := range free {
			if len(held) == su.Heads {
				break
			}
			ok, err := take(n)
			if err != nil {
				return false, false, false, errors.Join(err, release())
			}
			got = got || ok
		}
		if !got {
			return false, len(held) > 0, false, release()
		}
	}
	return true, false, false, nil
}

// freeSeats lists the seat numbers nobody holds.
func (s *Store) freeSeats(ctx context.Context, ev guanjia.Activity) ([]int, error) {
	taken, err := findAll[seat](ctx, s.Collection(collSeats), prefix(ev.ID+"/seat-"), "seats of "+ev.ID)
	if err != nil {
		return nil, err
	}
	held := map[int]bool{}
	for _, st := range taken {
		held[st.N] = true
	}
	var free []int
	for n := 1; n <= ev.Capacity; n++ {
		if !held[n] {
			free = append(free, n)
		}
	}
	return free, nil
}

// waitsBefore reports whether a home that arrived before su is waiting for places.
func (s *Store) waitsBefore(ctx context.Context, ev guanjia.Activity, su guanjia.SignUp) (bool, error) {
	list, err := s.queue(ctx, ev)
	if err != nil {
		return false, err
	}
	for _, o := range list {
		if o.Household == su.Household {
			return false, nil
		}
		if !o.Confirmed {
			return true, nil
		}
	}
	return false, nil
}

// SignUps lists an event's sign-ups in order of arrival, each marked confirmed or waiting,
// attended, and with its feedback.
func (s *Store) SignUps(ctx context.Context, ev guanjia.Activity) ([]guanjia.SignUp, error) {
	list, err := s.queue(ctx, ev)
	if err != nil {
		return nil, err
	}
	marks, err := findAll[mark](ctx, s.Collection(collMarks), prefix(ev.ID+"/"), "marks of "+ev.ID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		su := &list[i]
		for _, m := range marks {
			if m.Household != su.Household {
				continue
			}
			if m.Kind == markAttended {
				su.Attended = true
			} else if m.Kind == markFeedback {
				su.Rating, su.Comment = m.Rating, m.Comment
			}
		}
	}
	return list, nil
}

// queue lists an event's sign-ups in order of arrival, each marked confirmed or waiting:
// what places are given by, without the check-ins and feedback SignUps adds.
func (s *Store) queue(ctx context.Context, ev guanjia.Activity) ([]guanjia.SignUp, error) {
	list, err := findAll[guanjia.SignUp](ctx, s.Collection(collSignUps), prefix(ev.ID+"/h/"), "sign-ups of "+ev.ID)
	if err != nil {
		return nil, err
	}
	claims, err := findAll[bson.M](ctx, s.Collection(collSeats), prefix(ev.ID+"/conf/"), "seat claims of "+ev.ID)
	if err != nil {
		return nil, err
	}
	conf := map[string]bool{}
	for _, c := range claims {
		if h, ok := c["household"].(string); ok {
			conf[h] = true
		}
	}
	for i := range list {
		list[i].Confirmed = conf[list[i].Household]
	}
	slices.SortStableFunc(list, func(a, b guanjia.SignUp) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return int(a.Seq - b.Seq)
	})
	return list, nil
}

// LeaveEvent takes a home's sign-up back, with its places; ErrNotFound when it has none.
func (s *Store) LeaveEvent(ctx context.Context, ev guanjia.Activity, household string) (guanjia.SignUp, error) {
	su, err := s.signUp(ctx, ev, household)
	if err != nil {
		return su, err
	}
	res, err := s.Collection(collSignUps).DeleteOne(ctx, byID(su.ID))
	if err != nil {
		return su, fmt.Errorf("mongostore: cancel sign-up %s: %w", su.ID, err)
	}
	if res.DeletedCount == 0 {
		return su, fmt.Errorf("mongostore: cancel sign-up %s: %w", su.ID, guanjia.ErrNotFound)
	}
	seats := s.Collection(collSeats)
	taken, err := findAll[seat](ctx, seats, prefix(ev.ID+"/seat-"), "seats of "+ev.ID)
	if err != nil {
		return su, err
	}
	for _, st := range taken {
		if st.Household == household {
			if _, err := seats.DeleteOne(ctx, byID(st.ID)); err != nil {
				return su, fmt.Errorf("mongostore: give back seat %s: %w", st.ID, err)
			}
		}
	}
	if _, err := seats.DeleteOne(ctx, byID(confID(ev, household))); err != nil {
		return su, fmt.Errorf("mongostore: give back seats of %s: %w", su.ID, err)
	}
	return su, nil
}

// PromoteWaiting gives places to the homes waiting, first come first served, until the
// first that does not fit, and returns those promoted. Promotions of one event run one at a
// time (a lock record), so that two cancellations at once never hand a place past the head of
// the line.
func (s *Store) PromoteWaiting(ctx context.Context, ev guanjia.Activity) (promoted []guanjia.SignUp, err error) {
	unlock, err := s.lockPromotions(ctx, ev)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, unlock()) }()
	for tries := 0; tries < 200; {
		list, err := s.queue(ctx, ev)
		if err != nil {
			return promoted, err
		}
		i := slices.IndexFunc(list, func(su guanjia.SignUp) bool { return !su.Confirmed })
		if i < 0 {
			return promoted, nil
		}
		head := list[i]
		free, err := s.freeSeats(ctx, ev)
		if err != nil || len(free) < head.Heads {
			return promoted, err
		}
		ok, _, busy, err := s.claimSeats(ctx, ev, head, func(context.Context) (int64, error) { return 0, nil })
		switch {
		case err != nil:
			return promoted, err
		case busy:
			// The home's own sign-up is claiming its places this moment: see how it ends.
			tries++
			time.Sleep(10 * time.Millisecond)
		case !ok:
			return promoted, nil
		default:
			head.Confirmed = true
			promoted = append(promoted, head)
		}
	}
	return promoted, nil
}

// promotionLease is how long a promotion lock is honoured: one left by a crash lapses.
const promotionLease = 30 * time.Second

// lockPromotions takes the event's promotion lock, waiting for one held by another, and
// returns what releases it.
func (s *Store) lockPromotions(ctx context.Context, ev guanjia.Activity) (func() error, error) {
	seats := s.Collection(collSeats)
	id := ev.ID + "/promoting"
	for range 1000 {
		_, err := seats.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "at", Value: time.Now()}})
		if err == nil {
			return func() error {
				if _, err := seats.DeleteOne(context.WithoutCancel(ctx), byID(id)); err != nil {
					return fmt.Errorf("mongostore: unlock promotions of %s (it lapses): %w", ev.ID, err)
				}
				return nil
			}, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return nil, fmt.Errorf("mongostore: lock promotions of %s: %w", ev.ID, err)
		}
		stale := bson.D{{Key: "_id", Value: id}, {Key: "at", Value: bson.D{{Key: "$lt", Value: time.Now().Add(-promotionLease)}}}}
		if _, err := seats.DeleteOne(ctx, stale); err != nil {
			return nil, fmt.Errorf("mongostore: lock promotions of %s: %w", ev.ID, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil, fmt.Errorf("mongostore: lock promotions of %s: %w", ev.ID, guanjia.ErrConflict)
}

// Marks on a home's sign-up: came to the event, and what it said about it.
const (
	markAttended = "in"
	markFeedback = "fb"
)

type mark struct {
	ID        string    `bson:"_id"`
	Kind      string    `bson:"kind"`
	Household string    `bson:"household"`
	Rating    int       `bson:"rating,omitempty"`
	Comment   string    `bson:"comment,omitempty"`
	At        time.Time `bson:"at"`
}

// CheckIn marks a home as come; ErrConflict when it was marked already.
func (s *Store) CheckIn(ctx context.Context, ev guanjia.Activity, household string, at time.Time) error {
	id := ev.ID + "/in/" + household
	_, err := s.Collection(collMarks).InsertOne(ctx, mark{ID: id, Kind: markAttended, Household: household, At: at})
	if mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("mongostore: check in %s: %w", id, guanjia.ErrConflict)
	} else if err != nil {
		return fmt.Errorf("mongostore: check in %s: %w", id, err)
	}
	return nil
}

// PutFeedback keeps a home's rating (1–5) and comment; a later one replaces it.
func (s *Store) PutFeedback(ctx context.Context, ev guanjia.Activity, household string, rating int, comment string, at time.Time) error {
	if rating < 1 || rating > 5 {
		return fmt.Errorf("mongostore: feedback rating %s: %w", strconv.Itoa(rating), guanjia.ErrInvalid)
	}
	id := ev.ID + "/fb/" + household
	return put(ctx, s.Collection(collMarks), id, mark{ID: id, Kind: markFeedback, Household: household, Rating: rating, Comment: comment, At: at}, "feedback")
}
