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

// Broadcasts are kept in broadcasts, numbered like tickets (E… for emergencies, N… for
// announcements); what happens to them is inserted, never updated, in broadcast_events.
func (s *Store) broadcasts() *mongo.Collection      { return s.Collection("broadcasts") }
func (s *Store) broadcastEvents() *mongo.Collection { return s.Collection("broadcast_events") }

// CreateBroadcast numbers b and saves it. When b.Submission was saved before (the same
// confirm handled again), b becomes that broadcast and nothing new is saved.
func (s *Store) CreateBroadcast(ctx context.Context, b *guanjia.Broadcast) error {
	if b.Submission != "" {
		var found guanjia.Broadcast
		err := s.broadcasts().FindOne(ctx, bson.D{{Key: "community", Value: b.Community}, {Key: "submission", Value: b.Submission}}).Decode(&found)
		if err == nil {
			*b = found
			return nil
		}
		if !errors.Is(err, mongo.ErrNoDocuments) {
			return fmt.Errorf("mongostore: find broadcast submission: %w", err)
		}
	}
	letter := guanjia.LetterNotice
	if b.Emergency {
		letter = guanjia.LetterEmergency
	}
	no, err := s.InsertNumbered(ctx, s.broadcasts(), b.Community, letter, b.Created, func(no string) any {
		c := *b
		c.ID, c.No = guanjia.TicketID(b.Community, no), no
		return c
	})
	if err != nil {
		return fmt.Errorf("mongostore: create broadcast: %w", err)
	}
	b.ID, b.No = guanjia.TicketID(b.Community, no), no
	return nil
}

// Broadcast finds a broadcast by community and number.
func (s *Store) Broadcast(ctx context.Context, community, no string) (guanjia.Broadcast, error) {
	var b guanjia.Broadcast
	err := s.broadcasts().FindOne(ctx, bson.D{{Key: "_id", Value: guanjia.TicketID(community, no)}}).Decode(&b)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return b, fmt.Errorf("mongostore: broadcast %s: %w", no, guanjia.ErrNotFound)
	}
	if err != nil {
		return b, fmt.Errorf("mongostore: broadcast %s: %w", no, err)
	}
	return b, nil
}

// Broadcasts lists a community's broadcasts (every community's for "") created since a time
// (zero: all), newest first.
func (s *Store) Broadcasts(ctx context.Context, community string, since time.Time) ([]guanjia.Broadcast, error) {
	filter := bson.D{}
	if community != "" {
		filter = append(filter, bson.E{Key: "community", Value: community})
	}
	if !since.IsZero() {
		filter = append(filter, bson.E{Key: "created", Value: bson.D{{Key: "$gte", Value: since.UTC()}}})
	}
	cur, err := s.broadcasts().Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "created", Value: -1}, {Key: "_id", Value: -1}}))
	if err != nil {
		return nil, fmt.Errorf("mongostore: list broadcasts: %w", err)
	}
	var out []guanjia.Broadcast
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("mongostore: list broadcasts: %w", err)
	}
	return out, nil
}

// AddBroadcastEvent inserts an event and reports whether it is new: an event whose ID was
// inserted before (a second acknowledgement of one household, a second all-clear) is not.
func (s *Store) AddBroadcastEvent(ctx context.Context, ev guanjia.BroadcastEvent) (bool, error) {
	if ev.ID == "" {
		return false, fmt.Errorf("mongostore: broadcast event: empty id: %w", guanjia.ErrInvalid)
	}
	ev.At = ev.At.UTC()
	_, err := s.broadcastEvents().InsertOne(ctx, ev)
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mongostore: broadcast event %s: %w", ev.ID, err)
	}
	return true, nil
}

// BroadcastEvents lists the events of a broadcast, oldest first.
func (s *Store) BroadcastEvents(ctx context.Context, community, no string) ([]guanjia.BroadcastEvent, error) {
	cur, err := s.broadcastEvents().Find(ctx, bson.D{{Key: "community", Value: community}, {Key: "no", Value: no}},
		options.Find().SetSort(bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("mongostore: events of %s: %w", no, err)
	}
	var out []guanjia.BroadcastEvent
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("mongostore: events of %s: %w", no, err)
	}
	return out, nil
}
