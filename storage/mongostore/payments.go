package mongostore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/guanjia/guanjia"
)

// PaymentID is the storage key of a payment that carries a receipt or import reference: the
// same reference for the same household and period is the same payment, however often it is
// recorded or imported.
func PaymentID(community, household, period, ref string) string {
	return community + ":" + household + ":" + period + ":" + ref
}

// RecordPayment saves a payment towards the bill of its household and period. The amount must
// be positive and the household must exist (else an error wrapping guanjia.ErrNotFound). The
// bill need not exist yet: a payment ahead of its bill (paid early, or recorded before the
// month's bills are generated) counts once the bill is there, as long as the period is at most
// MaxPrepayMonths after the month it was paid in (else guanjia.ErrInvalid). An empty
// ID becomes PaymentID when the payment has a Ref, and a fresh random id otherwise. Recording
// the same payment again changes nothing; another payment under an id already used is an
// error wrapping guanjia.ErrConflict.
func (s *Store) RecordPayment(ctx context.Context, p guanjia.Payment) error {
	_, err := s.recordPayment(ctx, p)
	return err
}

// recordPayment is RecordPayment, also telling whether the payment is new.
func (s *Store) recordPayment(ctx context.Context, p guanjia.Payment) (bool, error) {
	if err := checkPayment(p); err != nil {
		return false, err
	}
	if _, err := s.Household(ctx, p.Community, p.Household); err != nil {
		return false, fmt.Errorf("mongostore: payment for %s %s: %w", p.Household, p.Period, err)
	}
	switch {
	case p.ID != "":
	case p.Ref != "":
		p.ID = PaymentID(p.Community, p.Household, p.Period, p.Ref)
	default:
		b := make([]byte, 8)
		if _, err := rand.Read(b); err != nil {
			return false, fmt.Errorf("mongostore: payment id: %w", err)
		}
		p.ID = "pay-" + hex.EncodeToString(b)
	}
	p.At = p.At.UTC()
	if err := s.note(ctx, guanjia.HouseholdID(p.Community, p.Household), "payments", p.ID); err != nil {
		return false, err
	}
	// The insert decides: of two recordings of one payment only one adds it.
	_, err := s.payments().InsertOne(ctx, p)
	if err == nil {
		return true, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return false, fmt.Errorf("mongostore: record payment %s: %w", p.ID, err)
	}
	old, err := findOne[guanjia.Payment](ctx, s.payments(), byID(p.ID), "payment "+p.ID)
	if err != nil {
		return false, err
	}
	if old.Community != p.Community || old.Household != p.Household || old.Period != p.Period || old.Amount != p.Amount {
		return false, fmt.Errorf("mongostore: record payment %s: another payment has this id: %w", p.ID, guanjia.ErrConflict)
	}
	return false, nil
}

// MaxPrepayMonths is how far ahead of the month it is paid in a payment may be for: further
// is much more likely a typing mistake than a resident paying a year and more in advance.
const MaxPrepayMonths = 12

// tooFarAhead reports whether period is more than MaxPrepayMonths after the month of paid.
func tooFarAhead(period time.Time, paid time.Time) bool {
	months := (period.Year()-paid.Year())*12 + int(period.Month()) - int(paid.Month())
	return months > MaxPrepayMonths
}

func checkPayment(p guanjia.Payment) error {
	period, err := guanjia.ParsePeriod(p.Period)
	if err != nil {
		return fmt.Errorf("mongostore: payment: %w", err)
	}
	switch {
	case !p.At.IsZero() && tooFarAhead(period, p.At):
		return fmt.Errorf("mongostore: payment: period %s is more than %d months after %s: %w",
			p.Period, MaxPrepayMonths, p.At.Format("2006-01"), guanjia.ErrInvalid)
	case p.Community == "" || p.Household == "":
		return fmt.Errorf("mongostore: payment: no community or household: %w", guanjia.ErrInvalid)
	case p.Amount <= 0:
		return fmt.Errorf("mongostore: payment: amount %s: %w", p.Amount, guanjia.ErrInvalid)
	case p.At.IsZero():
		return fmt.Errorf("mongostore: payment: no time: %w", guanjia.ErrInvalid)
	}
	return nil
}

// Payments lists a household's payments by period, then as they were paid; none is an empty list.
func (s *Store) Payments(ctx context.Context, community, household string) ([]guanjia.Payment, error) {
	return byLedger(ctx, s, s.payments(), guanjia.HouseholdID(community, household), "payments", byPeriodThenTime)
}

// Arrears lists what a household still owes, by period, oldest first: each bill less the
// payments towards it, leaving out the periods paid in full (or overpaid). None owed is an
// empty list; an unknown household is an error wrapping guanjia.ErrNotFound.
func (s *Store) Arrears(ctx context.Context, community, household string) ([]guanjia.Arrear, error) {
	if _, err := s.Household(ctx, community, household); err != nil {
		return nil, err
	}
	bills, err := s.Bills(ctx, community, household)
	if err != nil {
		return nil, err
	}
	pays, err := s.Payments(ctx, community, household)
	if err != nil {
		return nil, err
	}
	paid := map[string]guanjia.Money{}
	for _, p := range pays {
		if !p.Voided() {
			paid[p.Period] += p.Amount
		}
	}
	list := []guanjia.Arrear{}
	for _, b := range bills {
		a := guanjia.Arrear{Period: b.Period, Billed: b.Total, Paid: paid[b.Period], Due: b.Due}
		a.Owed = a.Billed - a.Paid
		if a.Owed > 0 {
			list = append(list, a)
		}
	}
	return list, nil
}

// VoidPayment takes back the latest payment of a household's period that is not taken back
// yet — one recorded by mistake — and returns it. It stays on record, marked with who took it
// back and when, and no longer pays anything. None to take back is an error wrapping
// guanjia.ErrNotFound.
func (s *Store) VoidPayment(ctx context.Context, community, household, period, by string, at time.Time) (guanjia.Payment, error) {
	filter := bson.D{{Key: "community", Value: community}, {Key: "household", Value: household},
		{Key: "period", Value: period}, {Key: "voided_at", Value: bson.D{{Key: "$exists", Value: false}}}}
	for range 5 {
		p, err := findOne[guanjia.Payment](ctx, s.payments(), filter, "payment of "+household+" "+period,
			options.FindOne().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}))
		if err != nil {
			return p, err
		}
		p.VoidedAt, p.VoidedBy = at.UTC(), by
		// Only if nobody took it back meanwhile; then the next latest is the one.
		res, err := s.payments().UpdateOne(ctx,
			bson.D{{Key: "_id", Value: p.ID}, {Key: "voided_at", Value: bson.D{{Key: "$exists", Value: false}}}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "voided_at", Value: p.VoidedAt}, {Key: "voided_by", Value: by}}}})
		if err != nil {
			return p, fmt.Errorf("mongostore: void payment %s: %w", p.ID, err)
		}
		if res.ModifiedCount == 1 {
			return p, nil
		}
	}
	return guanjia.Payment{}, fmt.Errorf("mongostore: void payment of %s %s: %w", household, period, guanjia.ErrConflict)
}
