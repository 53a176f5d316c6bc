package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/storage/mongostore"
)

const billsUse = `
  guanjia bills generate <YYYY-MM> [-community C]
  guanjia bills show <房号> [<YYYY-MM>] [-community C]
  guanjia bills correct <房号> <YYYY-MM> [-rates current] [-community C]`

// runBills generates a month's bills ("generate"), shows a household's bill and arrears
// ("show") or works one bill out again ("correct").
func runBills(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bills", flag.ContinueOnError)
	community := fs.String("community", "", "community id or name (generate: default every community; show, correct: the sample)")
	rates := fs.String("rates", "", "correct: \"current\" prices the bill at today's rates (default: the rates it was made with)")
	pos, err := parseArgs(fs, billsUse, args, stdout)
	if err != nil {
		return err
	}
	now := cfg.clock()
	thisMonth := now.In(cfg.location()).Format("2006-01")
	switch {
	case len(pos) == 0:
		return usageError("", billsUse)
	case pos[0] == "generate" && len(pos) != 2:
		return usageError(fmt.Sprintf("bills generate 要写一个月份，如 guanjia bills generate %s。", thisMonth), billsUse)
	case pos[0] == "show" && len(pos) != 2 && len(pos) != 3:
		return usageError(fmt.Sprintf("bills show 要写房号，可再写月份，如 guanjia bills show 3-1-1201 %s。", thisMonth), billsUse)
	case pos[0] == "correct" && len(pos) != 3:
		return usageError(fmt.Sprintf("bills correct 要写房号和月份，如 guanjia bills correct 3-1-1201 %s。", thisMonth), billsUse)
	case pos[0] != "generate" && pos[0] != "show" && pos[0] != "correct":
		return usageError(fmt.Sprintf("不认识「%s」：bills 后面写 generate、show 或 correct。", pos[0]), billsUse)
	}
	switch {
	case *rates != "" && *rates != "current":
		return usageError(fmt.Sprintf("-rates 只能写 current（按今天的收费标准重算），不是「%s」。", *rates), billsUse)
	case *rates != "" && pos[0] != "correct":
		return usageError("-rates 只用于 bills correct。", billsUse)
	}
	period := thisMonth
	if len(pos) == 2 && pos[0] == "generate" || len(pos) == 3 {
		p, err := guanjia.ParsePeriod(pos[len(pos)-1])
		if err != nil {
			return tell(nil, "月份「%s」不对：请写成 YYYY-MM，如 %s。", pos[len(pos)-1], thisMonth)
		}
		period = p.Format("2006-01")
	}
	st, fdb, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore(st, fdb)
	var communities []guanjia.Community
	if *community != "" || pos[0] != "generate" {
		c, err := findCommunity(ctx, st, cmp.Or(*community, mongostore.SampleCommunity))
		if err != nil {
			return err
		}
		communities = []guanjia.Community{c}
	} else if communities, err = st.Communities(ctx); err != nil {
		return err
	}
	switch pos[0] {
	case "show":
		return showBill(ctx, st, communities[0], pos[1], period, now, cfg.location(), stdout)
	case "correct":
		return correctBill(ctx, st, log, communities[0], pos[1], period, now, *rates == "current", cfg.location(), stdout)
	}
	return generateBills(ctx, st, log, communities, period, now, stdout)
}

func generateBills(ctx context.Context, st *mongostore.Store, log *slog.Logger, communities []guanjia.Community, period string, now time.Time, stdout io.Writer) error {
	// Bills are what residents are told they owe: a month not yet begun, or long past, is
	// surely mistyped, and its bills could not be taken back.
	first, last := st.BillablePeriods(now)
	if period > last {
		return tell(nil, "%s 还没到，不能生成账单：最多生成到本月 %s。", period, last)
	}
	if period < first {
		return tell(nil, "%s 早于 %d 个月前，不能再生成账单：住户会看到一笔从没通知过的欠费。可生成 %s 到 %s 的账单；更早的欠费请另行处理。",
			period, mongostore.MaxBillAge, first, last)
	}
	for _, c := range communities {
		if c.Rates == (guanjia.Rates{}) {
			fmt.Fprintf(stdout, "%s（%s）：未设置收费标准，跳过。设置：guanjia rates -community %s -property 2.50 …\n", c.Name, c.ID, c.ID)
			continue
		}
		run, err := st.GenerateCommunityBills(ctx, c.ID, period, now)
		if err != nil {
			return err
		}
		log.Info("bills generated", "community", c.ID, "period", period, "created", run.Created,
			"existing", run.Existing, "without_readings", len(run.NoReadings))
		fmt.Fprintf(stdout, "%s（%s）%s：新生成 %d 张账单，已有 %d 张未改动。\n", c.Name, c.ID, period, run.Created, run.Existing)
		if len(run.NoReadings) > 0 {
			fmt.Fprintf(stdout, "  %d 户缺少 %s 的抄表读数，未计水电费：%s\n", len(run.NoReadings), period, strings.Join(run.NoReadings, "、"))
			fmt.Fprintf(stdout, "  读数导入后，用 guanjia bills correct <房号> %s 更正这些账单。\n", period)
		}
	}
	return nil
}

// feeNames are the bill items as the office says them, with the unit of their quantity.
var feeNames = map[string][2]string{
	guanjia.FeeProperty: {"物业费", "m²"}, guanjia.FeeWater: {"水费", "吨"},
	guanjia.FeeElectricity: {"电费", "度"}, guanjia.FeeParking: {"停车费", "个车位"},
}

// noHousehold tells the office a household code is not one of the community's.
func noHousehold(c guanjia.Community, household string) error {
	return tell(nil, "%s（%s）没有房号 %s。请核对房号（形如 3-1-1201）；别的小区请加 -community。", c.Name, c.ID, household)
}

// correctBill works one bill out again from the data as it is now and shows the change.
func correctBill(ctx context.Context, st *mongostore.Store, log *slog.Logger, c guanjia.Community, household, period string, now time.Time, current bool, loc *time.Location, stdout io.Writer) error {
	if _, err := st.Household(ctx, c.ID, household); errors.Is(err, guanjia.ErrNotFound) {
		return noHousehold(c, household)
	} else if err != nil {
		return err
	}
	before, after, err := st.CorrectBill(ctx, c.ID, household, period, now, current)
	switch {
	case errors.Is(err, guanjia.ErrNotFound):
		return tell(err, "%s 没有 %s 的账单，无从更正。账单由 guanjia bills generate %s 生成。", household, period, period)
	case errors.Is(err, guanjia.ErrConflict):
		return tell(err, "%s %s 的账单刚刚被别人更正过，请再运行一次本命令。", household, period)
	case err != nil:
		return err
	}
	if len(after.Corrections) == len(before.Corrections) {
		fmt.Fprintf(stdout, "%s %s：按现有数据重算，账单没有变化（合计 %s）。\n", household, period, before.Total)
		return nil
	}
	log.Info("bill corrected", "community", c.ID, "period", period, "from", before.Total.String(), "to", after.Total.String())
	how := "按出账时的收费标准"
	if current {
		how = "按今天的收费标准"
	}
	fmt.Fprintf(stdout, "%s %s：账单已更正（%s），合计 %s → %s。\n", household, period, how, before.Total, after.Total)
	return showBill(ctx, st, c, household, period, now, loc, stdout)
}

func showBill(ctx context.Context, st *mongostore.Store, c guanjia.Community, household, period string, now time.Time, loc *time.Location, stdout io.Writer) error {
	if _, err := st.Household(ctx, c.ID, household); errors.Is(err, guanjia.ErrNotFound) {
		return noHousehold(c, household)
	} else if err != nil {
		return err
	}
	w := stdout
	b, err := st.Bill(ctx, c.ID, household, period)
	switch {
	case errors.Is(err, guanjia.ErrNotFound):
		fmt.Fprintf(w, "%s %s：没有账单（guanjia bills generate %s）。\n", household, period, period)
	case err != nil:
		return err
	default:
		fmt.Fprintf(w, "%s %s 账单（%s）：\n", household, period, c.Name)
		var rows [][]string
		for _, it := range b.Items {
			name := feeNames[it.Kind]
			qty := guanjia.Money(it.QuantityCenti).String()
			if it.Kind == guanjia.FeeParking {
				qty = fmt.Sprint(it.QuantityCenti / 100)
			}
			note := ""
			if it.Note != "" {
				note = "（" + it.Note + "）"
			}
			rows = append(rows, []string{name[0], fmt.Sprintf("%s %s × %s", qty, name[1], it.Rate), "= " + it.Amount.String() + note})
		}
		rows = append(rows, []string{"合计", "", fmt.Sprintf("= %s，%s 前缴清", b.Total, b.Due.In(loc).Format("2006-01-02"))})
		writeColumns(w, "  ", rows)
		for _, c := range b.Corrections {
			fmt.Fprintf(w, "  （%s 更正，更正前合计 %s）\n", c.At.In(loc).Format("2006-01-02 15:04"), c.PreviousTotal)
		}
	}
	arrears, err := st.Arrears(ctx, c.ID, household)
	if err != nil {
		return err
	}
	if len(arrears) == 0 {
		fmt.Fprintln(w, "欠费：无。")
		return nil
	}
	fmt.Fprintln(w, "欠费：")
	var rows [][]string
	for _, a := range arrears {
		row := []string{a.Period, "应缴 " + a.Billed.String(), "已缴 " + a.Paid.String(), "欠 " + a.Owed.String(),
			"截止 " + a.Due.In(loc).Format("2006-01-02")}
		if days := guanjia.DaysOverdue(a.Due, now, loc); days > 0 {
			row = append(row, fmt.Sprintf("逾期 %d 天", days))
		}
		rows = append(rows, row)
	}
	writeColumns(w, "  ", rows)
	return nil
}

// writeColumns prints rows as aligned columns two spaces apart, each line after indent,
// counting a Chinese character as two columns wide, as a terminal shows it.
func writeColumns(w io.Writer, indent string, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, cell := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(cell))
		}
	}
	for _, r := range rows {
		line := indent
		for i, cell := range r {
			line += cell
			if i < len(r)-1 {
				line += strings.Repeat(" ", widths[i]-displayWidth(cell)+2)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}

// displayWidth is how many terminal columns s takes: East Asian wide characters take two.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF, r >= 0xAC00 && r <= 0xD7A3,
			r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F, r >= 0xFF00 && r <= 0xFF60, r >= 0xFFE0 && r <= 0xFFE6:
			n += 2
		default:
			n++
		}
	}
	return n
}
