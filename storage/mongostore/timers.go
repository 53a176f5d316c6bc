package mongostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/guanjia/guanjia"
)

// Timers wait in timers until they are fired or given up, and are then removed, so that the
// sweep reads only what is still to do. Each attempt at firing one is claimed by inserting a
// document in timer_runs (FerretDB does not apply conditional updates atomically, but it
// does refuse a second insert of one _id), and its outcome is inserted, under the same _id,
// in timer_outcomes: inserts of many documents at once are one SQLite transaction on
// FerretDB, where an update costs as much as a hundred of them.
func (s *Store) timers() *mongo.Collection { return s.communities.Database().Collection("timers") }
func (s *Store) timerRuns() *mongo.Collection {
	return s.communities.Database().Collection("timer_runs")
}
func (s *Store) timerOutcomes() *mongo.Collection {
	return s.communities.Database().Collection("timer_outcomes")
}

// AddTimer stores a timer. Adding one that is already there (same due time, kind and key)
// changes nothing and is no error.
func (s *Store) AddTimer(ctx context.Context, t guanjia.Timer) error {
	if t.ID == "" {
		return fmt.Errorf("mongostore: add timer: empty id: %w", guanjia.ErrInvalid)
	}
	t.Due, t.Created = t.Due.UTC(), t.Created.UTC()
	_, err := s.timers().InsertOne(ctx, t)
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("mongostore: add timer %s: %w", t.ID, err)
	}
	return nil
}

// DueTimers lists the timers due at or before until, in order of due time, at most limit.
func (s *Store) DueTimers(ctx context.Context, until time.Time, limit int) ([]guanjia.Timer, error) {
	filter := bson.D{{Key: "_id", Value: bson.D{{Key: "$lt", Value: guanjia.DuePrefix(until.Add(time.Millisecond))}}}}
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit))
	return findAll[guanjia.Timer](ctx, s.timers(), filter, "due timers", opts)
}

// PendingTimers lists the timers not yet fired nor given up, soonest first, at most limit
// (0: all).
func (s *Store) PendingTimers(ctx context.Context, limit int) ([]guanjia.Timer, error) {
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}})
	if limit > 0 {
		opts.SetLimit(int64(limit))
	}
	return findAll[guanjia.Timer](ctx, s.timers(), bson.D{}, "pending timers", opts)
}

// Timer is the pending timer with the given id.
func (s *Store) Timer(ctx context.Context, id string) (guanjia.Timer, error) {
	return findOne[guanjia.Timer](ctx, s.timers(), byID(id), "timer "+id)
}

// RemoveTimers removes pending timers; those already gone are no error.
func (s *Store) RemoveTimers(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	// One statement per id: each finds its timer by _id, where a filter of many ids would
	// make FerretDB compare every timer with every id.
	models := make([]mongo.WriteModel, len(ids))
	for i, id := range ids {
		models[i] = mongo.NewDeleteOneModel().SetFilter(byID(id))
	}
	if _, err := s.timers().BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false)); err != nil {
		return fmt.Errorf("mongostore: remove %d timers from %s: %w", len(ids), ids[0], err)
	}
	return nil
}

// ClaimTimerAttempts inserts attempts at timers, and says which it got: of any number of
// callers, across processes, one gets each attempt.
func (s *Store) ClaimTimerAttempts(ctx context.Context, attempts []guanjia.TimerAttempt) ([]bool, error) {
	got := make([]bool, len(attempts))
	if len(attempts) == 0 {
		return got, nil
	}
	docs := make([]any, len(attempts))
	for i, a := range attempts {
		a.Started, a.Finished = a.Started.UTC(), a.Finished.UTC()
		docs[i], got[i] = a, true
	}
	if err := insertEach(ctx, s.timerRuns(), docs, got); err != nil {
		return nil, fmt.Errorf("mongostore: claim timer attempts from %s: %w", attempts[0].ID, err)
	}
	return got, nil
}

// FinishTimerAttempts records how claimed attempts ended; an outcome recorded before (the
// same attempt finished twice) is kept.
func (s *Store) FinishTimerAttempts(ctx context.Context, attempts []guanjia.TimerAttempt) error {
	if len(attempts) == 0 {
		return nil
	}
	docs := make([]any, len(attempts))
	for i, a := range attempts {
		a.Started, a.Finished = a.Started.UTC(), a.Finished.UTC()
		docs[i] = a
	}
	if err := insertEach(ctx, s.timerOutcomes(), docs, make([]bool, len(docs))); err != nil {
		return fmt.Errorf("mongostore: finish timer attempts from %s: %w", attempts[0].ID, err)
	}
	return nil
}

// insertEach inserts docs, clearing inserted[i] for each one whose _id was there already;
// any other failure is an error.
func insertEach(ctx context.Context, c *mongo.Collection, docs []any, inserted []bool) error {
	_, err := c.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	var bwe mongo.BulkWriteException
	if err == nil || !errors.As(err, &bwe) || bwe.WriteConcernError != nil {
		return err
	}
	for _, we := range bwe.WriteErrors {
		if we.Code != 11000 { // DuplicateKey
			return err
		}
		inserted[we.Index] = false
	}
	return nil
}

// TimerAttempts lists the attempts at a timer, first to last, each as it ended, or as it was
// claimed while it has no outcome. Attempts are numbered from 1 without gaps, so they are
// read one _id at a time (the only lookup FerretDB indexes) until the first missing one.
func (s *Store) TimerAttempts(ctx context.Context, timer string) ([]guanjia.TimerAttempt, error) {
	var list []guanjia.TimerAttempt
	for n := 1; ; n++ {
		id := guanjia.TimerAttemptID(timer, n)
		a, err := findOne[guanjia.TimerAttempt](ctx, s.timerRuns(), byID(id), "timer attempt")
		if errors.Is(err, guanjia.ErrNotFound) {
			return list, nil
		}
		if err != nil {
			return nil, err
		}
		switch out, err := findOne[guanjia.TimerAttempt](ctx, s.timerOutcomes(), byID(id), "timer outcome"); {
		case err == nil:
			a = out
		case !errors.Is(err, guanjia.ErrNotFound):
			return nil, err
		}
		list = append(list, a)
	}
}

// DeleteTimerAttemptsBefore removes the records of attempts at timers due before cutoff
// whose timers are no longer pending (claims and outcomes), and says how many attempts it
// removed.
func (s *Store) DeleteTimerAttemptsBefore(ctx context.Context, cutoff time.Time) (int, error) {
	pending, err := findAll[guanjia.Timer](ctx, s.timers(), bson.D{{Key: "_id", Value: bson.D{
		{Key: "$lt", Value: guanjia.DuePrefix(cutoff)}}}}, "timers before cutoff")
	if err != nil {
		return 0, err
	}
	keep := make([]string, len(pending))
	for i, t := range pending {
		keep[i] = t.ID
	}
	filter := bson.D{
		{Key: "_id", Value: bson.D{{Key: "$lt", Value: guanjia.DuePrefix(cutoff)}}},
		{Key: "timer", Value: bson.D{{Key: "$nin", Value: keep}}},
	}
	// Outcomes first: a claim left without its outcome would read as an attempt under way.
	if _, err := s.timerOutcomes().DeleteMany(ctx, filter); err != nil {
		return 0, fmt.Errorf("mongostore: delete timer outcomes: %w", err)
	}
	res, err := s.timerRuns().DeleteMany(ctx, filter)
	if err != nil {
		return 0, fmt.Errorf("mongostore: delete timer attempts: %w", err)
	}
	return int(res.DeletedCount), nil
}
