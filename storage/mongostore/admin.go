package mongostore

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/guanjia/guanjia"
)

// TicketFilter selects tickets for ListTickets; zero fields do not filter.
type TicketFilter struct {
	// Reporter keeps the tickets one person filed.
	Reporter  string
	Community string
	Status    guanjia.Status
	Kind      guanjia.TicketKind
	// Limit is the most tickets returned; 0 means all.
	Limit int
}

// ListTickets lists the tickets f selects, newest first. The filter applies to the stored
// documents, which may lag a moment behind a concurrent update; the tickets returned are
// their latest versions.
func (s *Store) ListTickets(ctx context.Context, f TicketFilter) ([]guanjia.Ticket, error) {
	filter := bson.D{}
	if f.Community != "" {
		filter = append(filter, bson.E{Key: "community", Value: f.Community})
	}
	if f.Status != "" {
		filter = append(filter, bson.E{Key: "status", Value: f.Status})
	}
	if f.Kind != "" {
		filter = append(filter, bson.E{Key: "kind", Value: f.Kind})
	}
	if f.Reporter != "" {
		filter = append(filter, bson.E{Key: "reporter", Value: f.Reporter})
	}
	opts := options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}})
	if f.Limit > 0 {
		opts.SetLimit(int64(f.Limit))
	}
	list, err := findAll[guanjia.Ticket](ctx, s.tickets, filter, "list tickets", opts)
	if err != nil {
		return nil, err
	}
	return s.allLatest(ctx, list)
}

// TicketsByReporter lists the tickets a person filed in a community, newest first.
func (s *Store) TicketsByReporter(ctx context.Context, community, person string, limit int) ([]guanjia.Ticket, error) {
	return s.ListTickets(ctx, TicketFilter{Community: community, Reporter: person, Limit: limit})
}

// TicketsByNo finds the tickets with one number in every community: numbers are unique only
// within a community. None is an error wrapping guanjia.ErrNotFound.
func (s *Store) TicketsByNo(ctx context.Context, no string) ([]guanjia.Ticket, error) {
	list, err := findAll[guanjia.Ticket](ctx, s.tickets, bson.D{{Key: "no", Value: no}}, "tickets "+no,
		options.Find().SetSort(bson.D{{Key: "community", Value: 1}}))
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("mongostore: tickets %s: %w", no, guanjia.ErrNotFound)
	}
	return s.allLatest(ctx, list)
}

func (s *Store) allLatest(ctx context.Context, list []guanjia.Ticket) ([]guanjia.Ticket, error) {
	for i := range list {
		tk, err := s.latest(ctx, list[i])
		if err != nil {
			return nil, err
		}
		list[i] = tk
	}
	return list, nil
}
