package mongostore

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/guanjia/guanjia"
)

// meterNames maps what an import may call a meter to its kind.
var meterNames = map[string]string{
	"water": guanjia.FeeWater, "水": guanjia.FeeWater, "水表": guanjia.FeeWater,
	"electricity": guanjia.FeeElectricity, "电": guanjia.FeeElectricity, "电表": guanjia.FeeElectricity,
}

// ImportReadings reads meter readings (columns household, period, kind, previous, current;
// kind water or electricity; values like 1523.00) into a community, replacing those of the
// same household, period and meter. It returns the rows imported; a file with any bad row is
// an *ImportError and imports nothing.
func (s *Store) ImportReadings(ctx context.Context, community string, r io.Reader) (int, error) {
	if _, err := s.Community(ctx, community); err != nil {
		return 0, err
	}
	homes, err := s.householdCodes(ctx, community)
	if err != nil {
		return 0, err
	}
	var bad problems
	rows := readCSV(r, []string{"household", "period", "kind", "previous", "current"}, nil, &bad)
	seen := map[string]int{}
	var list []Reading
	for _, x := range rows {
		m := Reading{Community: community, Household: x.get("household"), Period: x.get("period")}
		if !homes[m.Household] {
			bad.add(x.line, "household %q is not in community %s", m.Household, community)
		}
		if _, err := guanjia.ParsePeriod(m.Period); err != nil {
			bad.add(x.line, "period %q: want YYYY-MM, e.g. 2026-11", m.Period)
		}
		kind, ok := meterNames[x.get("kind")]
		if !ok {
			bad.add(x.line, "kind %q: want water or electricity", x.get("kind"))
		}
		m.Kind = kind
		prev, okPrev := parseCenti(x.get("previous"))
		cur, okCur := parseCenti(x.get("current"))
		switch {
		case !okPrev:
			bad.add(x.line, "previous %q: want a reading like 1523.00", x.get("previous"))
		case !okCur:
			bad.add(x.line, "current %q: want a reading like 1535.00", x.get("current"))
		case cur < prev:
			bad.add(x.line, "current %s is below previous %s", centi(cur), centi(prev))
		}
		m.PreviousCenti, m.CurrentCenti = prev, cur
		m.ID = ReadingID(community, m.Household, m.Period, m.Kind)
		if first, dup := seen[m.ID]; dup && ok {
			bad.add(x.line, "the %s reading of %s for %s is also on line %d", kind, m.Household, m.Period, first)
			continue
		}
		seen[m.ID] = x.line
		list = append(list, m)
	}
	if err := bad.err("readings"); err != nil {
		return 0, err
	}
	for _, m := range list {
		if err := put(ctx, s.readings(), m.ID, m, "reading"); err != nil {
			return 0, err
		}
	}
	return len(list), nil
}

// ImportPayments reads payments (columns household, period, amount, paid_at, ref; amount in
// yuan like 356.50, paid_at YYYY-MM-DD) into a community. Each needs a known household, a
// period at most MaxPrepayMonths after paid_at (its bill may come later) and a ref, which with
// the household and period makes its id: importing it again adds nothing. It returns how many
// payments were new; a file with any bad row is an *ImportError and
// imports nothing.
func (s *Store) ImportPayments(ctx context.Context, community string, r io.Reader) (int, error) {
	if _, err := s.Community(ctx, community); err != nil {
		return 0, err
	}
	homes, err := s.householdCodes(ctx, community)
	if err != nil {
		return 0, err
	}
	var bad problems
	rows := readCSV(r, []string{"household", "period", "amount", "paid_at", "ref"}, nil, &bad)
	seen := map[string]int{}
	var list []guanjia.Payment
	for _, x := range rows {
		p := guanjia.Payment{Community: community, Household: x.get("household"), Period: x.get("period"),
			Ref: x.get("ref"), By: "import"}
		if !homes[p.Household] {
			bad.add(x.line, "household %q is not in community %s", p.Household, community)
		}
		period, err := guanjia.ParsePeriod(p.Period)
		if err != nil {
			bad.add(x.line, "period %q: want YYYY-MM, e.g. 2026-11", p.Period)
		}
		if p.Amount, err = guanjia.ParseMoney(x.get("amount")); err != nil || p.Amount == 0 {
			bad.add(x.line, "amount %q: want yuan above 0, e.g. 356.50", x.get("amount"))
		}
		if p.At, err = time.ParseInLocation("2006-01-02", x.get("paid_at"), s.loc); err != nil {
			bad.add(x.line, "paid_at %q: want YYYY-MM-DD, e.g. 2026-11-20", x.get("paid_at"))
		} else if !period.IsZero() && tooFarAhead(period, p.At) {
			bad.add(x.line, "period %s is more than %d months after paid_at %s", p.Period, MaxPrepayMonths, x.get("paid_at"))
		}
		if p.Ref == "" {
			bad.add(x.line, "no ref: the receipt number keeps a payment from being counted twice")
			continue
		}
		p.ID = PaymentID(community, p.Household, p.Period, p.Ref)
		if first, dup := seen[p.ID]; dup {
			bad.add(x.line, "ref %s for %s %s is also on line %d", p.Ref, p.Household, p.Period, first)
			continue
		}
		seen[p.ID] = x.line
		old, err := findOne[guanjia.Payment](ctx, s.payments(), byID(p.ID), "payment "+p.ID)
		switch {
		case err == nil && old.Amount != p.Amount:
			bad.add(x.line, "ref %s for %s %s was recorded before with amount %s", p.Ref, p.Household, p.Period, old.Amount)
		case err != nil && !errors.Is(err, guanjia.ErrNotFound):
			return 0, err
		}
		list = append(list, p)
	}
	if err := bad.err("payments"); err != nil {
		return 0, err
	}
	added := 0
	for _, p := range list {
		isNew, err := s.recordPayment(ctx, p)
		if err != nil {
			return added, err
		}
		if isNew {
			added++
		}
	}
	return added, nil
}
