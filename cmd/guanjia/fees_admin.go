package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/storage/mongostore"
)

// parseInterspersed parses flags that may come before, between or after the positional
// arguments ("import households f.csv -community c"), which flag.Parse alone stops at.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// findCommunity takes a community as admins type it: its id or its name.
func findCommunity(ctx context.Context, st *mongostore.Store, s string) (guanjia.Community, error) {
	c, err := st.Community(ctx, s)
	if errors.Is(err, guanjia.ErrNotFound) {
		c, err = st.CommunityByName(ctx, s)
	}
	if errors.Is(err, guanjia.ErrNotFound) {
		return c, fmt.Errorf("no community with id or name %q", s)
	}
	return c, err
}

// runImport imports households, residents, meter readings or payments from a CSV file.
func runImport(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	const use = "usage: guanjia import households|residents|readings|payments <file.csv> [-community C]"
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stdout)
	community := fs.String("community", mongostore.SampleCommunity, "community id or name")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return errors.New(use)
	}
	kind, file := pos[0], pos[1]
	st, fdb, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore(st, fdb)
	imports := map[string]func(context.Context, string, io.Reader) (int, error){
		"households": st.ImportHouseholds, "residents": st.ImportResidents,
		"readings": st.ImportReadings, "payments": st.ImportPayments,
	}
	importFile, ok := imports[kind]
	if !ok {
		return fmt.Errorf("cannot import %q; %s", kind, use)
	}
	c, err := findCommunity(ctx, st, *community)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := importFile(ctx, c.ID, f)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(file), err)
	}
	log.Info("imported", "kind", kind, "community", c.ID, "rows", n)
	if kind == "payments" {
		fmt.Fprintf(stdout, "%s：新记录 %d 笔收费到 %s（%s），已记录过的不重复计入。\n", filepath.Base(file), n, c.Name, c.ID)
		return nil
	}
	fmt.Fprintf(stdout, "%s：已导入 %d 行到 %s（%s）。\n", filepath.Base(file), n, c.Name, c.ID)
	return nil
}

// runFAQ imports a community's FAQ from a YAML file.
func runFAQ(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("faq", flag.ContinueOnError)
	fs.SetOutput(stdout)
	community := fs.String("community", mongostore.SampleCommunity, "community id or name")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || pos[0] != "import" {
		return errors.New("usage: guanjia faq import <file.yaml> [-community C]")
	}
	st, fdb, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore(st, fdb)
	c, err := findCommunity(ctx, st, *community)
	if err != nil {
		return err
	}
	f, err := os.Open(pos[1])
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := st.ImportFAQ(ctx, c.ID, f)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(pos[1]), err)
	}
	log.Info("faq imported", "community", c.ID, "entries", n)
	fmt.Fprintf(stdout, "%s：已导入 %d 条常见问题到 %s（%s）。\n", filepath.Base(pos[1]), n, c.Name, c.ID)
	return nil
}

// runBills generates a month's bills ("generate") or shows a household's bill and arrears
// ("show").
func runBills(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	const use = "usage: guanjia bills generate <YYYY-MM> [-community C] | guanjia bills show <household> [<YYYY-MM>] [-community C]" +
		" | guanjia bills correct <household> <YYYY-MM> [-community C]"
	fs := flag.NewFlagSet("bills", flag.ContinueOnError)
	fs.SetOutput(stdout)
	community := fs.String("community", "", "community id or name (generate: default every community; show: the sample)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 2 && pos[0] == "generate", len(pos) == 3 && (pos[0] == "show" || pos[0] == "correct"):
		if _, err := guanjia.ParsePeriod(pos[len(pos)-1]); err != nil {
			return fmt.Errorf("period %q: want YYYY-MM, e.g. 2026-11", pos[len(pos)-1])
		}
	case len(pos) == 2 && pos[0] == "show":
	default:
		return errors.New(use)
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
	if pos[0] == "show" {
		period := time.Now().In(cfg.location()).Format("2006-01")
		if len(pos) == 3 {
			period = pos[2]
		}
		return showBill(ctx, st, communities[0], pos[1], period, cfg.location(), stdout)
	}
	if pos[0] == "correct" {
		return correctBill(ctx, st, log, communities[0], pos[1], pos[2], cfg.location(), stdout)
	}
	return generateBills(ctx, st, log, communities, pos[1], stdout)
}

func generateBills(ctx context.Context, st *mongostore.Store, log *slog.Logger, communities []guanjia.Community, period string, stdout io.Writer) error {
	for _, c := range communities {
		if c.Rates == (guanjia.Rates{}) {
			fmt.Fprintf(stdout, "%s（%s）：未设置收费标准，跳过。设置：guanjia rates -community %s -property 2.50 …\n", c.Name, c.ID, c.ID)
			continue
		}
		run, err := st.GenerateCommunityBills(ctx, c.ID, period, time.Now())
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

// correctBill works one bill out again from the data as it is now and shows the change.
func correctBill(ctx context.Context, st *mongostore.Store, log *slog.Logger, c guanjia.Community, household, period string, loc *time.Location, stdout io.Writer) error {
	before, after, err := st.CorrectBill(ctx, c.ID, household, period, time.Now())
	if errors.Is(err, guanjia.ErrNotFound) {
		return fmt.Errorf("%s %s of %s: no such household or bill (guanjia bills generate %s makes bills)", household, period, c.ID, period)
	}
	if err != nil {
		return err
	}
	if len(after.Corrections) == len(before.Corrections) {
		fmt.Fprintf(stdout, "%s %s：按现有数据重算，账单没有变化（合计 %s）。\n", household, period, before.Total)
		return nil
	}
	log.Info("bill corrected", "community", c.ID, "period", period, "from", before.Total.String(), "to", after.Total.String())
	fmt.Fprintf(stdout, "%s %s：账单已更正，合计 %s → %s。\n", household, period, before.Total, after.Total)
	return showBill(ctx, st, c, household, period, loc, stdout)
}

func showBill(ctx context.Context, st *mongostore.Store, c guanjia.Community, household, period string, loc *time.Location, stdout io.Writer) error {
	if _, err := st.Household(ctx, c.ID, household); err != nil {
		return fmt.Errorf("household %s of %s: %w", household, c.ID, err)
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	b, err := st.Bill(ctx, c.ID, household, period)
	switch {
	case errors.Is(err, guanjia.ErrNotFound):
		fmt.Fprintf(w, "%s %s：没有账单（guanjia bills generate %s）。\n", household, period, period)
	case err != nil:
		return err
	default:
		fmt.Fprintf(w, "%s %s 账单（%s）：\n", household, period, c.Name)
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
			fmt.Fprintf(w, "  %s\t%s %s × %s\t= %s%s\n", name[0], qty, name[1], it.Rate, it.Amount, note)
		}
		fmt.Fprintf(w, "  合计\t\t= %s，%s 前缴清\n", b.Total, b.Due.In(loc).Format("2006-01-02"))
	}
	arrears, err := st.Arrears(ctx, c.ID, household)
	if err != nil {
		return err
	}
	if len(arrears) == 0 {
		fmt.Fprintln(w, "欠费：无。")
	} else {
		fmt.Fprintln(w, "欠费：")
		for _, a := range arrears {
			fmt.Fprintf(w, "  %s\t应缴 %s\t已缴 %s\t欠 %s\t截止 %s\n", a.Period, a.Billed, a.Paid, a.Owed, a.Due.In(loc).Format("2006-01-02"))
		}
	}
	return w.Flush()
}

// runRates shows a community's rates, or changes those given as flags.
func runRates(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("rates", flag.ContinueOnError)
	fs.SetOutput(stdout)
	community := fs.String("community", mongostore.SampleCommunity, "community id or name")
	money := map[string]*string{
		"property":    fs.String("property", "", "property fee in yuan per m² per month, e.g. 2.50"),
		"parking":     fs.String("parking", "", "parking in yuan per space per month, e.g. 300"),
		"water":       fs.String("water", "", "water in yuan per 吨, e.g. 4.20"),
		"electricity": fs.String("electricity", "", "electricity in yuan per 度, e.g. 0.62"),
	}
	dueDay := fs.Int("due-day", 0, "day of the next month a bill is due, 1 to 28")
	if pos, err := parseInterspersed(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return errors.New("usage: guanjia rates [-community C] [-property 2.50] [-parking 300] [-water 4.20] [-electricity 0.62] [-due-day 15]")
	}
	st, fdb, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore(st, fdb)
	c, err := findCommunity(ctx, st, *community)
	if err != nil {
		return err
	}
	r, changed := c.Rates, false
	fields := map[string]*guanjia.Money{"property": &r.PropertyPerM2, "parking": &r.ParkingPerSpace,
		"water": &r.WaterPerUnit, "electricity": &r.ElectricityPerUnit}
	var bad error
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "due-day" {
			r.DueDay, changed = *dueDay, true
		} else if dst, ok := fields[f.Name]; ok {
			changed = true
			v, err := guanjia.ParseMoney(*money[f.Name])
			if err != nil {
				bad = errors.Join(bad, fmt.Errorf("-%s %q: want yuan like 2.50", f.Name, *money[f.Name]))
			}
			*dst = v
		}
	})
	if bad != nil {
		return bad
	}
	if changed {
		if err := st.SetRates(ctx, c.ID, r); err != nil {
			return err
		}
		log.Info("rates set", "community", c.ID)
		if c, err = st.Community(ctx, c.ID); err != nil {
			return err
		}
	}
	r = c.Rates
	fmt.Fprintf(stdout, "%s（%s）收费标准：\n  物业费 %s 元/m²/月\n  停车费 %s 元/车位/月\n  水费 %s 元/吨\n  电费 %s 元/度\n  缴费截止：次月 %d 日\n",
		c.Name, c.ID, r.PropertyPerM2, r.ParkingPerSpace, r.WaterPerUnit, r.ElectricityPerUnit, cmp.Or(r.DueDay, 15))
	return nil
}
