package mongostore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/guanjia/guanjia"
)

// PaymentID is the storage key of a payment that carries a receipt or import reference: the
// same reference for the same household and period is the same payment, however often it is
// recorded or imported.
func PaymentID(community, household, period, ref string) string {
	return community + ":" + household + ":" + period + ":" + ref
}

// RecordPayment saves a payment towards the bill of its household and period, under the
// rules every way of recording a payment shares (chat, the command line and imports):
//   - the amount is positive and at most guanjia.MaxMoney, and the household exists (else an
//     error wrapping guanjia.ErrNotFound);
//   - a period with its bill takes at most what the bill still asks for, and none once it is
//     paid in full (guanjia.PaymentAlreadyPaid);
//   - a period without its bill yet (paid early, or recorded before the month's bills are
//     generated) may be at most MaxPrepayMonths after the month it was paid in, not older than
//     bills are made for, and take at most MaxAdvancePayment in all its payments together.
//
// A refusal is a *guanjia.PaymentError. The rules are decided together with the write: the
// payment takes the next entry of its household's ledger with a unique insert, so of two
// payments checked against the same ledger at once only one is written and the other is
// checked again with the first one counted (two stewards recording one bill: the second is
// told it is paid). An empty ID becomes PaymentID when the payment has a Ref, and a fresh id
// under the household otherwise. Recording the same payment again changes nothing; another
// payment under an id already used is an error wrapping guanjia.ErrConflict.
func (s *Store) RecordPayment(ctx context.Context, p guanjia.Payment) error {
	_, err := s.recordPayment(ctx, p)
	return err
}

// MaxAdvancePayment is the most a household may pay for one month before its bill, all
// payments together: a year of fees of a large home with parking is well below it, a slip of
// the keyboard (an extra 0 or three) not.
const MaxAdvancePayment guanjia.Money = 2_000_000 // 20,000.00 yuan

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
		p.ID = PaymentID(p.Community, p.Household, p.Period, "pay-"+hex.EncodeToString(b))
	}
	p.At = p.At.UTC()
	household := guanjia.HouseholdID(p.Community, p.Household)
	for try := 1; ; try++ {
		if try > maxAppendTries {
			return false, fmt.Errorf("mongostore: record payment %s: %d writers ahead: %w", p.ID, maxAppendTries, guanjia.ErrConflict)
		}
		l, err := s.readLedger(ctx, household)
		if err != nil {
			return false, err
		}
		pays, err := s.ledgerPayments(ctx, l)
		if err != nil {
			return false, err
		}
		if i := slices.IndexFunc(pays, func(o guanjia.Payment) bool { return o.ID == p.ID }); i >= 0 {
			old := pays[i]
			if old.Community != p.Community || old.Household != p.Household || old.Period != p.Period || old.Amount != p.Amount {
				return false, fmt.Errorf("mongostore: record payment %s: another payment has this id: %w", p.ID, guanjia.ErrConflict)
			}
			return false, nil
		}
		bills, err := s.ledgerBills(ctx, l)
		if err != nil {
			return false, err
		}
		if err := s.paymentAllowed(p, bills, pays); err != nil {
			return false, err
		}
		saved := p
		ok, err := s.appendEntry(ctx, l, ledgerEntry{Kind: entryPayment, Ref: p.ID, Payment: &saved})
		if err != nil {
			return false, err
		}
		if !ok {
			continue // the ledger grew meanwhile: check again with what was added
		}
		break
	}
	// The entry is the fact; the document is where the payment can be taken back. A payment
	// written by Repair from its entry meanwhile is this one.
	if _, err := s.payments().InsertOne(ctx, p); err != nil && !mongo.IsDuplicateKeyError(err) {
		return true, fmt.Errorf("mongostore: record payment %s: %w", p.ID, err)
	}
	return true, nil
}

// paymentAllowed applies the rules of RecordPayment to p, given the household's bills and
// payments.
func (s *Store) paymentAllowed(p guanjia.Payment, bills []guanjia.Bill, pays []guanjia.Payment) error {
	var paid guanjia.Money
	for _, o := range pays {
		if o.Period == p.Period && !o.Voided() {
			paid += o.Amount
		}
	}
	refuse := &guanjia.PaymentError{Period: p.Period, Paid: paid}
	if i := slices.IndexFunc(bills, func(b guanjia.Bill) bool { return b.Period == p.Period }); i >= 0 {
		refuse.Total, refuse.Owed = bills[i].Total, max(bills[i].Total-paid, 0)
		switch {
		case refuse.Owed == 0:
			refuse.Reason = guanjia.PaymentAlreadyPaid
		case p.Amount > refuse.Owed:
			refuse.Reason = guanjia.PaymentTooMuch
		default:
			return nil
		}
		return refuse
	}
	period, _ := guanjia.ParsePeriod(p.Period)
	first, _ := s.BillablePeriods(p.At)
	switch {
	case p.Period < first:
		// No bill will ever be made for it: the money would be counted nowhere.
		refuse.Reason, refuse.Months = guanjia.PaymentTooOld, MaxBillAge
	case tooFarAhead(period, p.At.In(s.loc)):
		refuse.Reason, refuse.Months = guanjia.PaymentTooFar, MaxPrepayMonths
	case paid+p.Amount > MaxAdvancePayment:
		refuse.Reason, refuse.Max = guanjia.PaymentAdvanceCap, MaxAdvancePayment
	default:
		return nil
	}
	return refuse
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
	if _, err := guanjia.ParsePeriod(p.Period); err != nil {
		return fmt.Errorf("mongostore: payment: %w", err)
	}
	switch {
	case p.Community == "" || p.Household == "":
		return fmt.Errorf("mongostore: payment: no community or household: %w", guanjia.ErrInvalid)
	case p.Amount <= 0:
		return fmt.Errorf("mongostore: payment: amount %s: %w", p.Amount, guanjia.ErrInvalid)
	case p.Amount > guanjia.MaxMoney:
		return fmt.Errorf("mongostore: payment: amount %s: %w", p.Amount, guanjia.ErrAmountTooLarge)
	case p.At.IsZero():
		return fmt.Errorf("mongostore: payment: no time: %w", guanjia.ErrInvalid)
	}
	return nil
}

// Payments lists a household's payments by period, then as they were paid; none is an empty list.
func (s *Store) Payments(ctx context.Context, community, household string) ([]guanjia.Payment, error) {
	l, err := s.readLedger(ctx, guanjia.HouseholdID(community, household))
	if err != nil {
		return nil, err
	}
	return s.ledgerPayments(ctx, l)
}

// Arrears lists what a household still owes, by period, oldest first: each bill less the
// payments towards it, leaving out the periods paid in full (or overpaid). None owed is an
// empty list; an unknown household is an error wrapping guanjia.ErrNotFound.
func (s *Store) Arrears(ctx context.Context, community, household string) ([]guanjia.Arrear, error) {
	if _, err := s.Household(ctx, community, household); err != nil {
		return nil, err
	}
	l, err := s.readLedger(ctx, guanjia.HouseholdID(community, household))
	if err != nil {
		return nil, err
	}
	bills, err := s.ledgerBills(ctx, l)
	if err != nil {
		return nil, err
	}
	pays, err := s.ledgerPayments(ctx, l)
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
	for range 5 {
		pays, err := s.Payments(ctx, community, household)
		if err != nil {
			return guanjia.Payment{}, err
		}
		var p guanjia.Payment
		for _, o := range pays {
			// The latest by time, then by id, of those not taken back.
			if o.Period == period && !o.Voided() && (p.ID == "" || o.At.After(p.At) || o.At.Equal(p.At) && o.ID > p.ID) {
				p = o
			}
		}
		if p.ID == "" {
			return p, fmt.Errorf("mongostore: payment of %s %s: %w", household, period, guanjia.ErrNotFound)
		}
		// A payment whose document a crash kept from being written gets it first.
		if _, err := s.payments().InsertOne(ctx, p); err != nil && !mongo.IsDuplicateKeyError(err) {
			return p, fmt.Errorf("mongostore: void payment %s: %w", p.ID, err)
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
