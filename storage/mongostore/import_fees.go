package mongostore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/guanjia/guanjia"
)

// meterNames maps what an import may call a meter to its kind.
var meterNames = map[string]string{
	"water": guanjia.FeeWater, "水": guanjia.FeeWater, "水表": guanjia.FeeWater,
	"electricity": guanjia.FeeElectricity, "电": guanjia.FeeElectricity, "电表": guanjia.FeeElectricity,
}

// meterLabels names a meter kind in the office's words.
var meterLabels = map[string]string{guanjia.FeeWater: "水表", guanjia.FeeElectricity: "电表"}

// ImportReadings reads meter readings (columns household, period, kind, previous, current;
// kind water or electricity; values like 1523.00) into a community, replacing those of the
// same household, period and meter. It returns the rows imported; a file with any bad row is
// an *ImportError and imports nothing.
func (s *Store) ImportReadings(ctx context.Context, community string, r io.Reader) (int, error) {
	homes, err := s.householdCodes(ctx, community)
	if err != nil {
		return 0, err
	}
	first, last := s.BillablePeriods(s.now())
	var bad problems
	rows := readCSV(r, []string{"household", "period", "kind", "previous", "current"}, nil, &bad)
	seen := map[string]int{}
	var list []Reading
	for _, x := range rows {
		m := Reading{Community: community, Household: x.get("household"), Period: x.get("period")}
		if !homes[m.Household] {
			bad.add(x.line, "房号「%s」不在小区 %s 中，请先导入房屋", m.Household, community)
		}
		if _, err := guanjia.ParsePeriod(m.Period); err != nil {
			bad.add(x.line, "月份 period「%s」格式不对，应为 YYYY-MM，如 2026-11", m.Period)
		} else if m.Period < first || m.Period > last {
			bad.add(x.line, "月份 %s 不在可出账单的 %s 到 %s 之间，这份读数用不上，请核对月份", m.Period, first, last)
		}
		kind, ok := meterNames[x.get("kind")]
		if !ok {
			bad.add(x.line, "类型「%s」不对，应为 water（水）或 electricity（电）", x.get("kind"))
		}
		m.Kind = kind
		prev, okPrev := parseCenti(x.get("previous"), maxReadingCenti)
		cur, okCur := parseCenti(x.get("current"), maxReadingCenti)
		switch {
		case !okPrev:
			bad.add(x.line, "上次读数 previous「%s」不对，应为数字（最多两位小数，小于 1 亿），如 1523.00", x.get("previous"))
		case !okCur:
			bad.add(x.line, "本次读数 current「%s」不对，应为数字（最多两位小数，小于 1 亿），如 1535.00", x.get("current"))
		case cur < prev:
			bad.add(x.line, "本次读数 %s 小于上次读数 %s", centi(cur), centi(prev))
		}
		m.PreviousCenti, m.CurrentCenti = prev, cur
		m.ID = ReadingID(community, m.Household, m.Period, m.Kind)
		if first, dup := seen[m.ID]; dup && ok {
			bad.add(x.line, "与第 %d 行重复：都是 %s %s 的%s读数", first, m.Household, m.Period, meterLabels[kind])
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
// yuan like 356.50, paid_at YYYY-MM-DD, not after today) into a community. Each needs a known
// household and a ref, which with the household and period makes its id: importing it again
// adds nothing. Each row is held to the rules of RecordPayment, counting the payments of the
// rows above it: no more than a bill still asks for, nothing on a bill paid in full, no period
// older than bills are made for or too far ahead, and no more than MaxAdvancePayment ahead of a
// bill in all. It returns how many payments were new; a file with any bad row is an
// *ImportError and imports nothing.
func (s *Store) ImportPayments(ctx context.Context, community string, r io.Reader) (int, error) {
	homes, err := s.householdCodes(ctx, community)
	if err != nil {
		return 0, err
	}
	today := s.now().In(s.loc)
	var bad problems
	rows := readCSV(r, []string{"household", "period", "amount", "paid_at", "ref"}, nil, &bad)
	seen := map[string]int{}
	type fees struct {
		bills []guanjia.Bill
		pays  []guanjia.Payment
	}
	ledgers := map[string]*fees{}
	var list []guanjia.Payment
	var lines []int
	for _, x := range rows {
		p := guanjia.Payment{Community: community, Household: x.get("household"), Period: x.get("period"),
			Ref: x.get("ref"), By: "import"}
		ok := true
		if !homes[p.Household] {
			bad.add(x.line, "房号「%s」不在小区 %s 中，请先导入房屋", p.Household, community)
			ok = false
		}
		if _, err := guanjia.ParsePeriod(p.Period); err != nil {
			bad.add(x.line, "月份 period「%s」格式不对，应为 YYYY-MM，如 2026-11", p.Period)
			ok = false
		}
		if p.Amount, err = guanjia.ParseMoney(x.get("amount")); err != nil || p.Amount == 0 {
			bad.add(x.line, "%s", amountProblem("金额 amount", x.get("amount"), err))
			ok = false
		}
		if p.At, err = time.ParseInLocation("2006-01-02", x.get("paid_at"), s.loc); err != nil {
			bad.add(x.line, "日期 paid_at「%s」格式不对，应为 YYYY-MM-DD，如 2026-11-20", x.get("paid_at"))
			ok = false
		} else if p.At.After(today) {
			bad.add(x.line, "日期 paid_at「%s」还没到，请核对", x.get("paid_at"))
			ok = false
		}
		if p.Ref == "" {
			bad.add(x.line, "没有填单号 ref：请填收据号或流水号，以免同一笔缴费被重复记入")
			continue
		}
		p.ID = PaymentID(community, p.Household, p.Period, p.Ref)
		if first, dup := seen[p.ID]; dup {
			bad.add(x.line, "与第 %d 行重复：都是 %s %s 的单号 %s", first, p.Household, p.Period, p.Ref)
			continue
		}
		seen[p.ID] = x.line
		if !ok {
			continue
		}
		f, known := ledgers[p.Household]
		if !known {
			l, err := s.readLedger(ctx, guanjia.HouseholdID(community, p.Household))
			if err != nil {
				return 0, err
			}
			f = &fees{}
			if f.bills, err = s.ledgerBills(ctx, l); err != nil {
				return 0, err
			}
			if f.pays, err = s.ledgerPayments(ctx, l); err != nil {
				return 0, err
			}
			ledgers[p.Household] = f
		}
		if i := slices.IndexFunc(f.pays, func(o guanjia.Payment) bool { return o.ID == p.ID }); i >= 0 {
			if old := f.pays[i]; old.Amount != p.Amount {
				bad.add(x.line, "单号 %s 已记过 %s %s 的一笔 %s 元，与本行金额不同，请核对", p.Ref, p.Household, p.Period, old.Amount)
			}
			continue // imported before: nothing to add
		}
		var refused *guanjia.PaymentError
		if err := s.paymentAllowed(p, f.bills, f.pays); errors.As(err, &refused) {
			bad.add(x.line, "%s", paymentProblem(p, refused))
			continue
		}
		f.pays = append(f.pays, p)
		list = append(list, p)
		lines = append(lines, x.line)
	}
	if err := bad.err("payments"); err != nil {
		return 0, err
	}
	added := 0
	for i, p := range list {
		isNew, err := s.recordPayment(ctx, p)
		var refused *guanjia.PaymentError
		if errors.As(err, &refused) {
			// A steward recorded a payment of this household while the file was checked.
			bad.add(lines[i], "%s（刚刚有人记了这一户的收费）。本行及以下各行没有导入；核对后重新导入本文件即可，已导入的行不会重复记入",
				paymentProblem(p, refused))
			return added, &ImportError{Kind: "payments", Rows: bad, Imported: i}
		}
		if err != nil {
			return added, err
		}
		if isNew {
			added++
		}
	}
	return added, nil
}

// amountProblem says what is wrong with an amount column.
func amountProblem(col, v string, err error) string {
	if errors.Is(err, guanjia.ErrAmountTooLarge) {
		return fmt.Sprintf("%s「%s」太大了，最多 %s 元，请核对", col, v, guanjia.MaxMoney)
	}
	return fmt.Sprintf("%s「%s」不对，应为大于 0 的数字（单位：元，最多两位小数），如 356.50", col, v)
}

// paymentProblem says, in the office's words, why a payment is refused.
func paymentProblem(p guanjia.Payment, e *guanjia.PaymentError) string {
	switch e.Reason {
	case guanjia.PaymentAlreadyPaid:
		return fmt.Sprintf("房号 %s %s 的账单（%s 元）已经缴清，不能再记 %s 元，请核对房号和月份", p.Household, p.Period, e.Total, p.Amount)
	case guanjia.PaymentTooMuch:
		return fmt.Sprintf("房号 %s %s 还欠 %s 元（账单 %s 元），本行 %s 元超过了欠款，请核对金额", p.Household, p.Period, e.Owed, e.Total, p.Amount)
	case guanjia.PaymentTooOld:
		return fmt.Sprintf("月份 %s 早于 %d 个月前，没有账单，也不会再生成，这笔钱无法计入，请核对月份", p.Period, e.Months)
	case guanjia.PaymentTooFar:
		return fmt.Sprintf("月份 %s 比缴费日期晚了 %d 个月以上，多半是填错了，请核对", p.Period, e.Months)
	case guanjia.PaymentAdvanceCap:
		return fmt.Sprintf("房号 %s %s 的账单还没有生成，预收最多共 %s 元，已收 %s 元，本行 %s 元超出了，请核对金额", p.Household, p.Period, e.Max, e.Paid, p.Amount)
	}
	return e.Error()
}
