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
// sweep reads only what is still to do. Each attempt at firing one is a document of its own
// in timer_runs, inserted to claim the attempt: FerretDB does not apply conditional updates
// atomically, but it does refuse a second insert of one _id.
func (s *Store) timers() *mongo.Collection { return s.communities.Database().Collection("timers") }
func (s *Store) timerRuns() *mongo.Collection {
	return s.communities.Database().Collection("timer_runs")
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

// DueTimers lists the timers due at or before until whose ids come after after (""; from the
// first), in order of due time, at most limit.
func (s *Store) DueTimers(ctx context.Context, until time.Time, after string, limit int) ([]guanjia.Timer, error) {
	filter := bson.D{{Key: "_id", Value: bson.D{
		{Key: "$gt", Value: after},
		{Key: "$lt", Value: guanjia.DuePrefix(until.Add(time.Millisecond))},
	}}}
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

// RemoveTimer removes a pending timer; one already gone is no error.
func (s *Store) RemoveTimer(ctx context.Context, id string) error {
	if _, err := s.timers().DeleteOne(ctx, byID(id)); err != nil {
		return fmt.Errorf("mongostore: remove timer %s: %w", id, err)
	}
	return nil
}

// ClaimTimerAttempt inserts an attempt at a timer: of any number of callers, across
// processes, one gets true for each attempt number.
func (s *Store) ClaimTimerAttempt(ctx context.Context, a guanjia.TimerAttempt) (bool, error) {
	a.Started, a.Finished = a.Started.UTC(), a.Finished.UTC()
	_, err := s.timerRuns().InsertOne(ctx, a)
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mongostore: claim timer attempt %s: %w", a.ID, err)
	}
	return true, nil
}

// FinishTimerAttempt records how a claimed attempt ended.
func (s *Store) FinishTimerAttempt(ctx context.Context, a guanjia.TimerAttempt) error {
	a.Started, a.Finished = a.Started.UTC(), a.Finished.UTC()
	if _, err := s.timerRuns().ReplaceOne(ctx, byID(a.ID), a); err != nil {
		return fmt.Errorf("mongostore: finish timer attempt %s: %w", a.ID, err)
	}
	return nil
}

// TimerAttempts lists the attempts at a timer, first to last. Attempts are numbered from 1
// without gaps, so they are read one _id at a time (the only lookup FerretDB indexes) until
// the first missing one.
func (s *Store) TimerAttempts(ctx context.Context, timer string) ([]guanjia.TimerAttempt, error) {
	var list []guanjia.TimerAttempt
	for n := 1; ; n++ {
		a, err := findOne[guanjia.TimerAttempt](ctx, s.timerRuns(), byID(guanjia.TimerAttemptID(timer, n)), "timer attempt")
		if errors.Is(err, guanjia.ErrNotFound) {
			return list, nil
		}
		if err != nil {
			return nil, err
		}
		list = append(list, a)
	}
}

// DeleteTimerAttemptsBefore removes the records of attempts at timers due before cutoff
// whose timers are no longer pending, and says how many it removed.
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
	res, err := s.timerRuns().DeleteMany(ctx, bson.D{
		{Key: "_id", Value: bson.D{{Key: "$lt", Value: guanjia.DuePrefix(cutoff)}}},
		{Key: "timer", Value: bson.D{{Key: "$nin", Value: keep}}},
	})
	if err != nil {
		return 0, fmt.Errorf("mongostore: delete timer attempts: %w", err)
	}
	return int(res.DeletedCount), nil
}
