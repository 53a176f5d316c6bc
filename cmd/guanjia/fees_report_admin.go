package main

import (
	"cmp"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/storage/mongostore"
)

const feesUse = `
  guanjia fees report <YYYY-MM> [-csv] [-community C]`

// ageBuckets are the ages of arrears the report sums, by days past the due date.
var ageBuckets = []struct {
	name     string
	from, to int // days overdue, to inclusive; -1 before the due date
}{{"未到期", -1 << 30, -1}, {"0-30天", 0, 30}, {"31-90天", 31, 90}, {"90天以上", 91, 1 << 30}}

// reportRow is one line of the fees report: a building, or the whole community.
type reportRow struct {
	name              string
	homes             int
	billed, collected guanjia.Money
	// owed are the arrears of the month and every month before it, by age bucket.
	owed []guanjia.Money
}

func (r reportRow) rate() string {
	if r.billed == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", float64(r.collected)*100/float64(r.billed))
}

// runFees prints a month's fees report: billed, collected, the collection rate, and what is
// owed by age and by building.
func runFees(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("fees", flag.ContinueOnError)
	asCSV := fs.Bool("csv", false, "print CSV instead of a table")
	community := fs.String("community", "", "community id or name (default: the sample)")
	pos, err := parseArgs(fs, feesUse, args, stdout)
	if err != nil {
		return err
	}
	now := cfg.clock()
	thisMonth := now.In(cfg.location()).Format("2006-01")
	if len(pos) != 2 || pos[0] != "report" {
		return usageError(fmt.Sprintf("要写 report 和月份，如 guanjia fees report %s。", thisMonth), feesUse)
	}
	p, err := guanjia.ParsePeriod(pos[1])
	if err != nil || len(pos[1]) != 7 {
		return tell(nil, "月份「%s」不对：请写成 YYYY-MM，如 %s。", pos[1], thisMonth)
	}
	period := p.Format("2006-01")
	st, c, done, err := openCommunity(ctx, cfg, log, cmp.Or(*community, mongostore.SampleCommunity))
	if err != nil {
		return err
	}
	defer done()
	rows, err := feesReport(ctx, st, c.ID, period, now, cfg.location())
	if err != nil {
		return err
	}
	if rows[0].homes == 0 {
		return tell(nil, "%s（%s）没有 %s 的账单。账单由 guanjia bills generate %s 生成。", c.Name, c.ID, period, period)
	}
	header := []string{"楼栋", "户数", "应收", "实收", "收缴率"}
	for _, b := range ageBuckets {
		header = append(header, "欠费"+b.name)
	}
	table := [][]string{header}
	for _, r := range rows {
		line := []string{r.name, strconv.Itoa(r.homes), r.billed.String(), r.collected.String(), r.rate()}
		for _, o := range r.owed {
			line = append(line, o.String())
		}
		table = append(table, line)
	}
	if *asCSV {
		w := csv.NewWriter(stdout)
		if err := w.WriteAll(table); err != nil {
			return fmt.Errorf("fees report: %w", err)
		}
		return nil
	}
	fmt.Fprintf(stdout, "%s（%s）%s 收费报表（截至 %s）：\n", c.Name, c.ID, period, now.In(cfg.location()).Format("2006-01-02 15:04"))
	writeColumns(stdout, "  ", table)
	fmt.Fprintln(stdout, "应收、实收为本月账单；欠费为本月及以前各月仍未缴的金额，按逾期天数分段。")
	return nil
}

// feesReport works the report out from two bulk reads: the month's bills and what every
// household owes. The first row is the whole community, then one row per building.
func feesReport(ctx context.Context, st *mongostore.Store, community, period string, now time.Time, loc *time.Location) ([]reportRow, error) {
	bills, err := st.PeriodBills(ctx, community, period)
	if err != nil {
		return nil, err
	}
	owing, err := st.AllArrears(ctx, community)
	if err != nil {
		return nil, err
	}
	total := reportRow{name: "全部", owed: make([]guanjia.Money, len(ageBuckets))}
	byBuilding := map[int]*reportRow{}
	row := func(household string) *reportRow {
		b, _ := strconv.Atoi(household[:max(0, indexByte(household, '-'))])
		r, ok := byBuilding[b]
		if !ok {
			r = &reportRow{name: strconv.Itoa(b) + "号楼", owed: make([]guanjia.Money, len(ageBuckets))}
			byBuilding[b] = r
		}
		return r
	}
	for _, b := range bills {
		owedNow := guanjia.Money(0)
		for _, a := range owing[b.Household] {
			if a.Period == period {
				owedNow = a.Owed
			}
		}
		for _, r := range []*reportRow{&total, row(b.Household)} {
			r.homes++
			r.billed += b.Total
			r.collected += b.Total - owedNow
		}
	}
	for h, list := range owing {
		for _, a := range list {
			if a.Period > period {
				continue
			}
			days := guanjia.DaysOverdue(a.Due, now, loc)
			i := slices.IndexFunc(ageBuckets, func(b struct {
				name     string
				from, to int
			}) bool {
				return days >= b.from && days <= b.to
			})
			total.owed[i] += a.Owed
			row(h).owed[i] += a.Owed
		}
	}
	rows := []reportRow{total}
	keys := make([]int, 0, len(byBuilding))
	for k := range byBuilding {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		rows = append(rows, *byBuilding[k])
	}
	return rows, nil
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return len(s)
}
