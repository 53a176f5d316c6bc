// Package mongostore keeps guanjia's records (communities, households, people, chats,
// platform identities and tickets) in MongoDB. It works the same on the embedded FerretDB
// v1, which has no transactions, indexes nothing but _id and does not apply conditional
// writes atomically: records are found by meaningful _ids, and every write that must not
// race is decided by the uniqueness of an _id on insert.
package mongostore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	_ "time/tzdata" // the default Asia/Shanghai must load on hosts without zoneinfo

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/guanjia/guanjia"
)

// Options configure a Store; zero values take the defaults.
type Options struct {
	// Database is the database name; default "guanjia".
	Database string
	// Location is the time zone in which a ticket's day (part of its number) is counted;
	// default Asia/Shanghai.
	Location *time.Location
	// Now is the clock imports judge dates by (a payment not paid yet, readings of a month
	// that cannot be billed); default time.Now.
	Now func() time.Time
}

// Store is the MongoDB implementation of the directory and ticket stores flows use.
type Store struct {
	client *mongo.Client
	loc    *time.Location
	now    func() time.Time
	// entries are the household ledger entries read so far.
	entries entryCache

	communities *mongo.Collection
	households  *mongo.Collection
	people      *mongo.Collection
	identities  *mongo.Collection
	chats       *mongo.Collection
	tickets     *mongo.Collection
	revisions   *mongo.Collection
	counters    *mongo.Collection
	codes       *mongo.Collection
	codesUsed   *mongo.Collection

	// seq takes ticket numbers (see SetSequencer); nil takes them by trying inserts.
	seq Sequencer
	// dir keeps copies of chats, accounts and people (see SetStamper); nil reads them each time.
	dir *directory
}

// Open connects to the MongoDB (or FerretDB) at uri, checks that it answers and makes sure
// the indexes exist.
func Open(ctx context.Context, uri string, opts Options) (*Store, error) {
	if opts.Database == "" {
		opts.Database = "guanjia"
	}
	if opts.Location == nil {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			return nil, fmt.Errorf("mongostore: default location: %w", err)
		}
		opts.Location = loc
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		return nil, fmt.Errorf("mongostore: connect: %w", err)
	}
	db := client.Database(opts.Database)
	s := &Store{
		client:      client,
		loc:         opts.Location,
		now:         opts.Now,
		communities: db.Collection("communities"),
		households:  db.Collection("households"),
		people:      db.Collection("people"),
		identities:  db.Collection("identities"),
		chats:       db.Collection("chats"),
		tickets:     db.Collection("tickets"),
		revisions:   db.Collection("ticket_revisions"),
		counters:    db.Collection("counters"),
		codes:       db.Collection("binding_codes"),
		codesUsed:   db.Collection("binding_codes_used"),
	}
	if err := s.Ping(ctx); err != nil {
		_ = client.Disconnect(ctx)
		return nil, err
	}
	if err := s.ensureIndexes(ctx); err != nil {
		_ = client.Disconnect(ctx)
		return nil, err
	}
	if err := s.ensureLedgers(ctx); err != nil {
		_ = client.Disconnect(ctx)
		return nil, err
	}
	return s, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx, nil); err != nil {
		return fmt.Errorf("mongostore: ping: %w", err)
	}
	return nil
}

// Close disconnects from the database.
func (s *Store) Close(ctx context.Context) error {
	if err := s.client.Disconnect(ctx); err != nil {
		return fmt.Errorf("mongostore: close: %w", err)
	}
	return nil
}

// collections are every collection the store uses.
var collections = []string{"communities", "households", "people", "identities", "chats", "tickets",
	"ticket_revisions", "counters", "binding_codes", "binding_codes_used", "ticket_submissions", "household_ledgers", "bills", "readings", "payments", "faqs",
	"job_runs", "job_last", "timers", "timer_runs", "timer_outcomes", "broadcasts", "broadcast_events",
	"fee_messages", "dunning_actions", "events", "event_signups", "event_seats", "event_marks",
	"handovers", "patrols", "patrols_active", "routes", "priorities", "surveys", "survey_answers"}

// ensureCollections creates the collections that do not exist yet. The embedded FerretDB
// learns of collections when it starts, so an admin command in another process (guanjia
// bills generate beside a running guanjia) must find them all made, or its writes would stay
// unseen by the running one until it restarts.
func (s *Store) ensureCollections(ctx context.Context) error {
	db := s.communities.Database()
	have, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("mongostore: list collections: %w", err)
	}
	for _, name := range collections {
		if slices.Contains(have, name) {
			continue
		}
		err := db.CreateCollection(ctx, name)
		var ce mongo.CommandError
		if err != nil && !(errors.As(err, &ce) && ce.Code == 48) { // 48: NamespaceExists, made meanwhile
			return fmt.Errorf("mongostore: create collection %s: %w", name, err)
		}
	}
	return nil
}

// ensureIndexes creates the secondary indexes. Hot lookups go by _id and need none; these
// serve lists on MongoDB, and the unique one guards ticket numbers. FerretDB accepts them
// (and enforces uniqueness) but scans for the others anyway.
func (s *Store) ensureIndexes(ctx context.Context) error {
	if err := s.ensureCollections(ctx); err != nil {
		return err
	}
	specs := []struct {
		c      *mongo.Collection
		keys   bson.D
		unique bool
	}{
		{s.tickets, bson.D{{Key: "community", Value: 1}, {Key: "no", Value: 1}}, true},
		{s.tickets, bson.D{{Key: "no", Value: 1}}, false},
		{s.tickets, bson.D{{Key: "created_at", Value: -1}}, false},
		{s.people, bson.D{{Key: "community", Value: 1}, {Key: "name", Value: 1}}, false},
		{s.chats, bson.D{{Key: "community", Value: 1}, {Key: "role", Value: 1}}, false},
		{s.chats, bson.D{{Key: "person", Value: 1}}, false},
		{s.bills(), bson.D{{Key: "community", Value: 1}, {Key: "household", Value: 1}, {Key: "period", Value: 1}}, false},
		{s.bills(), bson.D{{Key: "community", Value: 1}, {Key: "period", Value: 1}}, false},
		{s.payments(), bson.D{{Key: "community", Value: 1}, {Key: "household", Value: 1}, {Key: "period", Value: 1}}, false},
		{s.readings(), bson.D{{Key: "community", Value: 1}, {Key: "period", Value: 1}}, false},
		{s.faqs(), bson.D{{Key: "community", Value: 1}}, false},
		{s.jobRuns(), bson.D{{Key: "slot", Value: 1}}, false},
	}
	for _, sp := range specs {
		m := mongo.IndexModel{Keys: sp.keys}
		if sp.unique {
			m.Options = options.Index().SetUnique(true)
		}
		if _, err := sp.c.Indexes().CreateOne(ctx, m); err != nil {
			return fmt.Errorf("mongostore: index on %s: %w", sp.c.Name(), err)
		}
	}
	return nil
}

// findOne decodes the one document matching filter; what names it in errors (ids only).
func findOne[T any](ctx context.Context, c *mongo.Collection, filter any, what string, opts ...options.Lister[options.FindOneOptions]) (T, error) {
	var v T
	err := c.FindOne(ctx, filter, opts...).Decode(&v)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return v, fmt.Errorf("mongostore: %s: %w", what, guanjia.ErrNotFound)
	case err != nil:
		return v, fmt.Errorf("mongostore: %s: %w", what, err)
	}
	return v, nil
}

// findAll decodes every document matching filter; none is an empty list, not an error.
func findAll[T any](ctx context.Context, c *mongo.Collection, filter any, what string, opts ...options.Lister[options.FindOptions]) ([]T, error) {
	cur, err := c.Find(ctx, filter, opts...)
	if err != nil {
		return nil, fmt.Errorf("mongostore: %s: %w", what, err)
	}
	list := []T{}
	if err := cur.All(ctx, &list); err != nil {
		return nil, fmt.Errorf("mongostore: %s: %w", what, err)
	}
	return list, nil
}

// put replaces the document with the given _id, inserting it if absent: writers are
// idempotent so that imports and the sample data can run again.
func put(ctx context.Context, c *mongo.Collection, id string, doc any, what string) error {
	if id == "" {
		return fmt.Errorf("mongostore: put %s: empty id: %w", what, guanjia.ErrInvalid)
	}
	_, err := c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, doc, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("mongostore: put %s %s: %w", what, id, err)
	}
	return nil
}

// byID is the filter of one document.
func byID(id string) bson.D { return bson.D{{Key: "_id", Value: id}} }
