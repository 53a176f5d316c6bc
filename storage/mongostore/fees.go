package mongostore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/guanjia/guanjia"
)

// Bills are written once: a bill's _id is guanjia.BillID, so generating a period again, or
// from two places at once, inserts each household's bill exactly once and never rewrites an
// issued bill (residents may already have been told its amount). Only CorrectBill, asked for
// one bill by the office, works a bill out again, and it keeps what it was.

// defaultDueDay is the day of the month after the period a bill is due when no rate says.
const defaultDueDay = 15

func (s *Store) bills() *mongo.Collection    { return s.communities.Database().Collection("bills") }
func (s *Store) readings() *mongo.Collection { return s.communities.Database().Collection("readings") }
func (s *Store) payments() *mongo.Collection { return s.communities.Database().Collection("payments") }
func (s *Store) faqs() *mongo.Collection     { return s.communities.Database().Collection("faqs") }

// Communities lists every community, ordered by id.
func (s *Store) Communities(ctx context.Context) ([]guanjia.Community, error) {
	return findAll[guanjia.Community](ctx, s.communities, bson.D{}, "communities",
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
}

// Households lists a community's households, ordered by id; none is an empty list.
func (s *Store) Households(ctx context.Context, community string) ([]guanjia.Household, error) {
	return findAll[guanjia.Household](ctx, s.households, bson.D{{Key: "community", Value: community}},
		"households of "+community, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
}

// SetRates sets what a community charges. A zero DueDay means the default, the 15th; days past
// the 28th are refused because not every month has them.
func (s *Store) SetRates(ctx context.Context, community string, r guanjia.Rates) error {
	if r.PropertyPerM2 < 0 || r.ParkingPerSpace < 0 || r.WaterPerUnit < 0 || r.ElectricityPerUnit < 0 {
		return fmt.Errorf("mongostore: rates of %s: negative rate: %w", community, guanjia.ErrInvalid)
	}
	if r.DueDay == 0 {
		r.DueDay = defaultDueDay
	}
	if r.DueDay < 1 || r.DueDay > 28 {
		return fmt.Errorf("mongostore: rates of %s: due day %d, want 1 to 28: %w", community, r.DueDay, guanjia.ErrInvalid)
	}
	// Only the rates change, so that a concurrent change to the community's other fields stays.
	res, err := s.communities.UpdateOne(ctx, byID(community), bson.D{{Key: "$set", Value: bson.D{{Key: "rates", Value: r}}}})
	if err != nil {
		return fmt.Errorf("mongostore: rates of %s: %w", community, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("mongostore: rates of %s: community: %w", community, guanjia.ErrNotFound)
	}
	return nil
}

// BillRun is what generating one community's bills for a period did.
type BillRun struct {
	Community string
	Period    string
	// Created counts the bills made now, Existing those left as they were.
	Created, Existing int
	// NoReadings lists the codes of the households billed now without a water or an
	// electricity item because their meter reading for the period is missing.
	NoReadings []string
}

// GenerateBills makes the bills of period (YYYY-MM, not after the month of now) for every
// household of every community that has rates, and reports how many it created and how many
// already existed. It is idempotent: an existing bill is left unchanged.
func (s *Store) GenerateBills(ctx context.Context, period string, now time.Time) (created, existing int, err error) {
	communities, err := s.Communities(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, c := range communities {
		if c.Rates == (guanjia.Rates{}) {
			continue // nothing to charge: the community has not been given its rates
		}
		run, err := s.GenerateCommunityBills(ctx, c.ID, period, now)
		if err != nil {
			return created, existing, err
		}
		created, existing = created+run.Created, existing+run.Existing
	}
	return created, existing, nil
}

// MaxBillAge is how many months before the month of now a period's bills may still be
// generated. Older bills would be arrears residents never heard of; an office that truly has
// such a debt to collect takes it up in person.
const MaxBillAge = 12

// BillablePeriods are the first and the last period (YYYY-MM) whose bills can be generated
// at now: from MaxBillAge months before the month of now, in the store's location, to that
// month.
func (s *Store) BillablePeriods(now time.Time) (first, last string) {
	y, m, _ := now.In(s.loc).Date()
	month := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	return month.AddDate(0, -MaxBillAge, 0).Format("2006-01"), month.Format("2006-01")
}

// GenerateCommunityBills makes the bills of period (YYYY-MM) for every household of one
// community, from its rates, its households' areas and parking spaces, and the period's meter
// readings. An existing bill is left unchanged. A community without rates, and a period outside
// BillablePeriods, are errors wrapping guanjia.ErrInvalid.
func (s *Store) GenerateCommunityBills(ctx context.Context, community, period string, now time.Time) (BillRun, error) {
	run := BillRun{Community: community, Period: period, NoReadings: []string{}}
	start, err := guanjia.ParsePeriod(period)
	if err != nil {
		return run, fmt.Errorf("mongostore: generate bills: %w", err)
	}
	// A bill, once made, is what residents are told they owe: a mistyped month, ahead or long
	// past, would put debts on everyone that no one can take back.
	first, last := s.BillablePeriods(now)
	if p := start.Format("2006-01"); p > last {
		return run, fmt.Errorf("mongostore: generate bills: period %s has not begun: %w", period, guanjia.ErrInvalid)
	} else if p < first {
		return run, fmt.Errorf("mongostore: generate bills: period %s is more than %d months ago: %w",
			period, MaxBillAge, guanjia.ErrInvalid)
	}
	c, err := s.Community(ctx, community)
	if err != nil {
		return run, err
	}
	if c.Rates == (guanjia.Rates{}) {
		return run, fmt.Errorf("mongostore: generate bills of %s: no rates set: %w", community, guanjia.ErrInvalid)
	}
	households, err := s.Households(ctx, community)
	if err != nil {
		return run, err
	}
	due := s.dueDate(start, c.Rates.DueDay)
	// Everything is read and written in bulk — the period's bills, its readings, the ledgers'
	// entries — and not a household at a time: a community of 100,000 households is billed in
	// a few reads and a few hundred batched inserts. A household whose ledger grew meanwhile
	// (a payment recorded at the same moment) takes the one-at-a-time way.
	made, err := s.PeriodBills(ctx, community, period)
	if err != nil {
		return run, err
	}
	exists := make(map[string]bool, len(made))
	for _, b := range made {
		exists[b.Household] = true
	}
	meters, err := s.periodReadings(ctx, community, period)
	if err != nil {
		return run, err
	}
	ledgers, err := s.ledgerHeads(ctx, community)
	if err != nil {
		return run, err
	}
	rates := c.Rates
	var entries, bills []any
	var fresh []guanjia.Bill
	for _, h := range households {
		id := guanjia.BillID(community, h.Code, period)
		l := ledgers[guanjia.HouseholdID(community, h.Code)]
		if exists[h.Code] {
			run.Existing++
			if !l.refs[id] {
				// Generating again also mends a ledger that lacks the bill (one written by an
				// earlier version that lost it).
				if err := s.note(ctx, guanjia.HouseholdID(community, h.Code), entryBill, id); err != nil {
					return run, err
				}
			}
			continue
		}
		b := guanjia.Bill{ID: id, Community: community, Household: h.Code, Period: period,
			Items: BillItems(rates, h, meters[h.Code]), Due: due, CreatedAt: now.UTC(), Rates: &rates}
		for _, it := range b.Items {
			b.Total += it.Amount
		}
		fresh = append(fresh, b)
		if l.refs[id] {
			entries = append(entries, nil) // named already (a run that stopped before the bill)
		} else {
			entries = append(entries, ledgerEntry{ID: entryID(guanjia.HouseholdID(community, h.Code), l.last+1), Kind: entryBill, Ref: id})
		}
		bills = append(bills, b)
	}
	const batch = 1000
	for from := 0; from < len(fresh); from += batch {
		to := min(from+batch, len(fresh))
		var docs []any
		var idx []int
		for i := from; i < to; i++ {
			if entries[i] != nil {
				docs, idx = append(docs, entries[i]), append(idx, i)
			}
		}
		if len(docs) > 0 {
			ok := make([]bool, len(docs))
			for i := range ok {
				ok[i] = true
			}
			if err := insertEach(ctx, s.ledgers(), docs, ok); err != nil {
				return run, fmt.Errorf("mongostore: ledger entries of %s %s: %w", community, period, err)
			}
			for k, i := range idx {
				if !ok[k] {
					// Its ledger grew meanwhile: the entry goes in the next free slot.
					if err := s.note(ctx, guanjia.HouseholdID(community, fresh[i].Household), entryBill, fresh[i].ID); err != nil {
						return run, err
					}
				}
			}
		}
		inserted := make([]bool, to-from)
		for i := range inserted {
			inserted[i] = true
		}
		if err := insertEach(ctx, s.bills(), bills[from:to], inserted); err != nil {
			return run, fmt.Errorf("mongostore: create bills of %s %s: %w", community, period, err)
		}
		for k, ok := range inserted {
			b := fresh[from+k]
			if !ok {
				run.Existing++ // made by another run meanwhile
				continue
			}
			run.Created++
			if len(meters[b.Household]) < 2 {
				run.NoReadings = append(run.NoReadings, b.Household)
			}
		}
	}
	return run, nil
}

// periodReadings reads a community's meter readings of a period, by household, water before
// electricity, in one read.
func (s *Store) periodReadings(ctx context.Context, community, period string) (map[string][]Reading, error) {
	list, err := findAll[Reading](ctx, s.readings(), bson.D{{Key: "community", Value: community}, {Key: "period", Value: period}},
		"readings of "+community+" "+period)
	if err != nil {
		return nil, err
	}
	by := map[string][]Reading{}
	for _, kind := range meterKinds {
		for _, r := range list {
			if r.Kind == kind {
				by[r.Household] = append(by[r.Household], r)
			}
		}
	}
	return by, nil
}

// ledgerHead is what bill generation needs of a ledger: its last slot and the ids it names.
type ledgerHead struct {
	last int
	refs map[string]bool
}

// ledgerHeads reads the ledgers of a community's households in one pass.
func (s *Store) ledgerHeads(ctx context.Context, community string) (map[string]ledgerHead, error) {
	type entry struct {
		ID  string `bson:"_id"`
		Ref string `bson:"ref"`
	}
	prefix := community + ":"
	list, err := findAll[entry](ctx, s.ledgers(),
		bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: prefix}, {Key: "$lt", Value: community + ";"}}}},
		"ledgers of "+community, options.Find().SetProjection(bson.D{{Key: "ref", Value: 1}}))
	if err != nil {
		return nil, err
	}
	heads := map[string]ledgerHead{}
	for _, e := range list {
		household, n, ok := strings.Cut(e.ID, "#")
		slot, err := strconv.Atoi(n)
		if !ok || err != nil {
			continue
		}
		h := heads[household]
		if h.refs == nil {
			h.refs = map[string]bool{}
		}
		h.last = max(h.last, slot)
		h.refs[e.Ref] = true
		heads[household] = h
	}
	return heads, nil
}

// CorrectBill works a household's bill of period out again from the household's area and
// parking spaces and the period's meter readings as they are now — after a late or a wrong
// reading was imported, say — keeping its due date and noting the total it had. It prices them
// at the rates the bill was made with (guanjia.RatesOf): a rate changed since does not reach
// back into an issued bill. With currentRates it uses the community's rates of today instead,
// and says so in the correction. It returns the bill as it was and as it is; a bill that comes
// out the same is left alone (and returned twice). A bill never generated is an error wrapping
// guanjia.ErrNotFound.
func (s *Store) CorrectBill(ctx context.Context, community, household, period string, now time.Time, currentRates bool) (before, after guanjia.Bill, err error) {
	before, err = s.Bill(ctx, community, household, period)
	if err != nil {
		return before, before, err
	}
	c, err := s.Community(ctx, community)
	if err != nil {
		return before, before, err
	}
	h, err := s.Household(ctx, community, household)
	if err != nil {
		return before, before, err
	}
	meters, err := s.Readings(ctx, community, household, period)
	if err != nil {
		return before, before, err
	}
	rates := guanjia.RatesOf(before, c.Rates)
	if currentRates {
		rates = c.Rates
	}
	after = before
	after.Rates = &rates
	after.Items, after.Total = BillItems(rates, h, meters), 0
	for _, it := range after.Items {
		after.Total += it.Amount
	}
	if slices.Equal(after.Items, before.Items) {
		return before, before, nil
	}
	after.Corrections = append(slices.Clone(before.Corrections), guanjia.BillCorrection{At: now.UTC(), PreviousTotal: before.Total,
		CurrentRates: currentRates})
	// Only if nobody corrected it meanwhile: two corrections at once keep both notes.
	filter := bson.D{{Key: "_id", Value: before.ID}, {Key: "corrections", Value: bson.D{{Key: "$size", Value: len(before.Corrections)}}}}
	if len(before.Corrections) == 0 {
		filter = bson.D{{Key: "_id", Value: before.ID}, {Key: "corrections", Value: bson.D{{Key: "$exists", Value: false}}}}
	}
	res, err := s.bills().ReplaceOne(ctx, filter, after)
	if err != nil {
		return before, before, fmt.Errorf("mongostore: correct bill %s: %w", before.ID, err)
	}
	if res.MatchedCount == 0 {
		return before, before, fmt.Errorf("mongostore: correct bill %s: corrected meanwhile: %w", before.ID, guanjia.ErrConflict)
	}
	return before, after, nil
}

// dueDate is the start of the due day of the month after the period, in the store's location.
func (s *Store) dueDate(period time.Time, day int) time.Time {
	if day == 0 {
		day = defaultDueDay
	}
	return time.Date(period.Year(), period.Month()+1, day, 0, 0, 0, 0, s.loc).UTC()
}

// BillItems computes a household's bill items from the community's rates and the period's
// meter readings: property fee = area × rate, water and electricity = use × rate, parking =
// spaces × rate. A fee whose rate is zero, or whose reading is missing, has no item. Amounts
// are in fen, rounded half up.
func BillItems(r guanjia.Rates, h guanjia.Household, meters []Reading) []guanjia.BillItem {
	items := []guanjia.BillItem{}
	add := func(kind string, qty int64, rate guanjia.Money, note string) {
		if rate > 0 {
			items = append(items, guanjia.BillItem{Kind: kind, QuantityCenti: qty, Rate: rate,
				Amount: timesCenti(qty, rate), Note: note})
		}
	}
	add(guanjia.FeeProperty, h.AreaCenti, r.PropertyPerM2, "")
	for _, kind := range []string{guanjia.FeeWater, guanjia.FeeElectricity} {
		for _, m := range meters {
			if m.Kind == kind {
				rate := r.WaterPerUnit
				if kind == guanjia.FeeElectricity {
					rate = r.ElectricityPerUnit
				}
				add(kind, m.CurrentCenti-m.PreviousCenti, rate, centi(m.PreviousCenti)+" → "+centi(m.CurrentCenti))
			}
		}
	}
	if h.ParkingSpaces > 0 {
		add(guanjia.FeeParking, int64(h.ParkingSpaces)*100, r.ParkingPerSpace, "")
	}
	return items
}

// timesCenti is qty hundredths of a unit at rate fen per unit, in fen rounded half up. Both
// are never negative, so adding half before the integer division rounds half up.
func timesCenti(qty int64, rate guanjia.Money) guanjia.Money {
	return guanjia.Money((qty*int64(rate) + 50) / 100)
}

// centi renders hundredths of a unit with two decimals, e.g. 152300 as "1523.00".
func centi(v int64) string { return guanjia.Money(v).String() }

// Bill finds a household's bill of one period.
func (s *Store) Bill(ctx context.Context, community, household, period string) (guanjia.Bill, error) {
	id := guanjia.BillID(community, household, period)
	return findOne[guanjia.Bill](ctx, s.bills(), byID(id), "bill "+id)
}

// Bills lists a household's bills, oldest period first; none is an empty list.
func (s *Store) Bills(ctx context.Context, community, household string) ([]guanjia.Bill, error) {
	l, err := s.readLedger(ctx, guanjia.HouseholdID(community, household))
	if err != nil {
		return nil, err
	}
	return s.ledgerBills(ctx, l)
}
