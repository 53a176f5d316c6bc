package mongostore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/guanjia/guanjia"
)

// The steward's day keeps its own records: handovers (J…), patrols (P…) with a marker of the
// patrol each steward is on, the routes of each community, and the priorities of the day.
const (
	collHandovers     = "handovers"
	collPatrols       = "patrols"
	collPatrolsActive = "patrols_active"
	collRoutes        = "routes"
	collPriorities    = "priorities"
)

// WorkTickets lists a community's tickets that still concern the staff: every one not closed
// or cancelled, newest first.
func (s *Store) WorkTickets(ctx context.Context, community string) ([]guanjia.Ticket, error) {
	list, err := s.ListTickets(ctx, TicketFilter{Community: community})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(list, func(tk guanjia.Ticket) bool {
		return tk.Status == guanjia.StatusClosed || tk.Status == guanjia.StatusCancelled
	}), nil
}

// CreateHandover files a handover under the next J… number of its community and day.
func (s *Store) CreateHandover(ctx context.Context, h *guanjia.Handover) error {
	no, err := s.InsertNumbered(ctx, s.Collection(collHandovers), h.Community, "J", h.At, func(no string) any {
		c := *h
		c.No, c.ID = no, guanjia.TicketID(h.Community, no)
		return c
	})
	if err != nil {
		return fmt.Errorf("mongostore: create handover: %w", err)
	}
	h.No, h.ID = no, guanjia.TicketID(h.Community, no)
	return nil
}

// SaveHandover stores a handover's confirmations. Only its incoming steward changes it, one
// message at a time.
func (s *Store) SaveHandover(ctx context.Context, h guanjia.Handover) error {
	return put(ctx, s.Collection(collHandovers), h.ID, h, "handover")
}

// Handover finds a handover by community and number.
func (s *Store) Handover(ctx context.Context, community, no string) (guanjia.Handover, error) {
	id := guanjia.TicketID(community, no)
	return findOne[guanjia.Handover](ctx, s.Collection(collHandovers), byID(id), "handover "+id)
}

// Handovers lists a community's handovers, newest first (limit 0: all).
func (s *Store) Handovers(ctx context.Context, community string, limit int) ([]guanjia.Handover, error) {
	opts := options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}})
	if limit > 0 {
		opts.SetLimit(int64(limit))
	}
	return findAll[guanjia.Handover](ctx, s.Collection(collHandovers), bson.D{{Key: "community", Value: community}}, "handovers", opts)
}

// StartPatrol files a patrol for its steward, who must not be on one already: that is decided
// by a unique insert of the steward's marker, so that a patrol started twice is refused with
// guanjia.ErrConflict.
func (s *Store) StartPatrol(ctx context.Context, p *guanjia.Patrol) error {
	active := s.Collection(collPatrolsActive)
	_, err := active.InsertOne(ctx, bson.D{{Key: "_id", Value: p.Steward}, {Key: "community", Value: p.Community}})
	if mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("mongostore: start patrol of %s: %w", p.Steward, guanjia.ErrConflict)
	} else if err != nil {
		return fmt.Errorf("mongostore: start patrol of %s: %w", p.Steward, err)
	}
	no, err := s.InsertNumbered(ctx, s.Collection(collPatrols), p.Community, "P", p.StartedAt, func(no string) any {
		c := *p
		c.No, c.ID = no, guanjia.TicketID(p.Community, no)
		return c
	})
	if err != nil {
		_, _ = active.DeleteOne(ctx, byID(p.Steward))
		return fmt.Errorf("mongostore: start patrol: %w", err)
	}
	p.No, p.ID = no, guanjia.TicketID(p.Community, no)
	if _, err := active.UpdateOne(ctx, byID(p.Steward), bson.D{{Key: "$set", Value: bson.D{{Key: "patrol", Value: no}}}}); err != nil {
		return fmt.Errorf("mongostore: start patrol %s: %w", no, err)
	}
	return nil
}

// ActivePatrol is the patrol a steward is on; guanjia.ErrNotFound when none.
func (s *Store) ActivePatrol(ctx context.Context, person string) (guanjia.Patrol, error) {
	m, err := findOne[struct {
		Community string `bson:"community"`
		Patrol    string `bson:"patrol"`
	}](ctx, s.Collection(collPatrolsActive), byID(person), "active patrol of "+person)
	if err != nil {
		return guanjia.Patrol{}, err
	}
	if m.Patrol == "" {
		return guanjia.Patrol{}, fmt.Errorf("mongostore: active patrol of %s: being started: %w", person, guanjia.ErrNotFound)
	}
	return s.Patrol(ctx, m.Community, m.Patrol)
}

// SavePatrol stores a patrol's checks and hazards; an ended patrol frees its steward for
// the next one.
func (s *Store) SavePatrol(ctx context.Context, p guanjia.Patrol) error {
	if err := put(ctx, s.Collection(collPatrols), p.ID, p, "patrol"); err != nil {
		return err
	}
	if !p.EndedAt.IsZero() {
		if _, err := s.Collection(collPatrolsActive).DeleteOne(ctx, byID(p.Steward)); err != nil {
			return fmt.Errorf("mongostore: end patrol %s: %w", p.No, err)
		}
	}
	return nil
}

// Patrol finds a patrol by community and number.
func (s *Store) Patrol(ctx context.Context, community, no string) (guanjia.Patrol, error) {
	id := guanjia.TicketID(community, no)
	return findOne[guanjia.Patrol](ctx, s.Collection(collPatrols), byID(id), "patrol "+id)
}

// Patrols lists a community's patrols, newest first (limit 0: all).
func (s *Store) Patrols(ctx context.Context, community string, limit int) ([]guanjia.Patrol, error) {
	opts := options.Find().SetSort(bson.D{{Key: "started_at", Value: -1}, {Key: "_id", Value: -1}})
	if limit > 0 {
		opts.SetLimit(int64(limit))
	}
	return findAll[guanjia.Patrol](ctx, s.Collection(collPatrols), bson.D{{Key: "community", Value: community}}, "patrols", opts)
}

// routesDoc is a community's patrol routes.
type routesDoc struct {
	ID     string          `bson:"_id"`
	Routes []guanjia.Route `bson:"routes"`
}

// Routes are a community's own patrol routes; guanjia.ErrNotFound when it has none of its own.
func (s *Store) Routes(ctx context.Context, community string) ([]guanjia.Route, error) {
	d, err := findOne[routesDoc](ctx, s.Collection(collRoutes), byID(community), "routes of "+community)
	if err != nil {
		return nil, err
	}
	return d.Routes, nil
}

// PutRoutes replaces a community's patrol routes.
func (s *Store) PutRoutes(ctx context.Context, community string, routes []guanjia.Route) error {
	return put(ctx, s.Collection(collRoutes), community, routesDoc{ID: community, Routes: routes}, "routes")
}

// AddPriority adds a steward's priority of a day.
func (s *Store) AddPriority(ctx context.Context, p guanjia.Priority) error {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	p.ID = p.Person + "/" + p.Day + "/" + hex.EncodeToString(b)
	if _, err := s.Collection(collPriorities).InsertOne(ctx, p); err != nil {
		return fmt.Errorf("mongostore: add priority: %w", err)
	}
	return nil
}

// Priorities lists a steward's priorities of a day, oldest first.
func (s *Store) Priorities(ctx context.Context, person, day string) ([]guanjia.Priority, error) {
	return findAll[guanjia.Priority](ctx, s.Collection(collPriorities),
		bson.D{{Key: "person", Value: person}, {Key: "day", Value: day}}, "priorities",
		options.Find().SetSort(bson.D{{Key: "at", Value: 1}}))
}
