package mongostore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/guanjia/guanjia"
)

// A household's ledger lists the ids of its bills and payments, so that they are read by _id:
// the embedded FerretDB finds documents by _id at once but searches a whole collection for
// any other field, and a fee question would read every bill of the community. An id is added
// to the ledger before its document is written, so the ledger may name a document that a crash
// kept from being written (it is skipped) but never misses one.

// ledger is a household's list of bill and payment ids.
type ledger struct {
	ID       string   `bson:"_id"`
	Bills    []string `bson:"bills,omitempty"`
	Payments []string `bson:"payments,omitempty"`
}

// ledgersMarker is the counters document that says every bill and payment is in a ledger.
const ledgersMarker = "ledgers/v1"

func (s *Store) ledgers() *mongo.Collection {
	return s.communities.Database().Collection("household_ledgers")
}

// note adds ids to a household's ledger under field ("bills" or "payments").
func (s *Store) note(ctx context.Context, household, field string, ids ...string) error {
	update := bson.D{{Key: "$addToSet", Value: bson.D{{Key: field, Value: bson.D{{Key: "$each", Value: ids}}}}}}
	_, err := s.ledgers().UpdateOne(ctx, byID(household), update, options.UpdateOne().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		// Two first notes at once: the other made the ledger, this one adds to it.
		_, err = s.ledgers().UpdateOne(ctx, byID(household), update)
	}
	if err != nil {
		return fmt.Errorf("mongostore: ledger of %s: %w", household, err)
	}
	return nil
}

// byLedger reads the documents a household's ledger names under field, skipping those never
// written, sorted by less.
func byLedger[T any](ctx context.Context, s *Store, c *mongo.Collection, household, field string, less func(a, b T) int) ([]T, error) {
	l, err := findOne[ledger](ctx, s.ledgers(), byID(household), "ledger of "+household)
	if errors.Is(err, guanjia.ErrNotFound) {
		return []T{}, nil
	}
	if err != nil {
		return nil, err
	}
	ids := l.Bills
	if field == "payments" {
		ids = l.Payments
	}
	list := []T{}
	for _, id := range ids {
		v, err := findOne[T](ctx, c, byID(id), field+" "+id)
		if errors.Is(err, guanjia.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	slices.SortFunc(list, less)
	return list, nil
}

// ensureLedgers puts the bills and payments written before ledgers existed into them, once.
func (s *Store) ensureLedgers(ctx context.Context) error {
	if _, err := findOne[counter](ctx, s.counters, byID(ledgersMarker), "ledgers marker"); err == nil {
		return nil
	} else if !errors.Is(err, guanjia.ErrNotFound) {
		return err
	}
	bills, err := findAll[guanjia.Bill](ctx, s.bills(), bson.D{}, "bills")
	if err != nil {
		return err
	}
	for _, b := range bills {
		if err := s.note(ctx, guanjia.HouseholdID(b.Community, b.Household), "bills", b.ID); err != nil {
			return err
		}
	}
	pays, err := findAll[guanjia.Payment](ctx, s.payments(), bson.D{}, "payments")
	if err != nil {
		return err
	}
	for _, p := range pays {
		if err := s.note(ctx, guanjia.HouseholdID(p.Community, p.Household), "payments", p.ID); err != nil {
			return err
		}
	}
	_, err = s.counters.UpdateOne(ctx, byID(ledgersMarker), bson.D{{Key: "$set", Value: bson.D{{Key: "seq", Value: 1}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("mongostore: ledgers marker: %w", err)
	}
	return nil
}

func byPeriod(a, b guanjia.Bill) int { return cmp.Compare(a.Period, b.Period) }

func byPeriodThenTime(a, b guanjia.Payment) int {
	return cmp.Or(cmp.Compare(a.Period, b.Period), a.At.Compare(b.At), cmp.Compare(a.ID, b.ID))
}
