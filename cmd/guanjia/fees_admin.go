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
	"slices"
	"strconv"
	"strings"

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

// openCommunity opens the records store for an admin command and finds the community it names
// (id or name); done releases the store.
func openCommunity(ctx context.Context, cfg Config, log *slog.Logger, name string) (*mongostore.Store, guanjia.Community, func(), error) {
	st, emb, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, guanjia.Community{}, nil, err
	}
	c, err := findCommunity(ctx, st, name)
	if err != nil {
		closeStore(st, emb)
		return nil, guanjia.Community{}, nil, err
	}
	return st, c, func() { closeStore(st, emb) }, nil
}

// findCommunity takes a community as admins type it: its id or its name.
func findCommunity(ctx context.Context, st *mongostore.Store, s string) (guanjia.Community, error) {
	c, err := st.Community(ctx, s)
	if errors.Is(err, guanjia.ErrNotFound) {
		c, err = st.CommunityByName(ctx, s)
	}
	if !errors.Is(err, guanjia.ErrNotFound) {
		return c, err
	}
	all, err := st.Communities(ctx)
	if err != nil {
		return c, err
	}
	if len(all) == 0 {
		return c, tell(nil, "找不到小区「%s」：还没有任何小区（guanjia seed 载入示例小区）。", s)
	}
	known := make([]string, len(all))
	for i, x := range all {
		known[i] = x.ID + "（" + x.Name + "）"
	}
	return c, tell(nil, "找不到小区「%s」。-community 请写小区编号或名称，现有：%s。", s, strings.Join(known, "、"))
}

// openFile opens a file the office named, saying plainly when it cannot.
func openFile(name string) (*os.File, error) {
	f, err := os.Open(name)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, tell(err, "找不到文件 %s，请核对文件名和路径。", name)
	case errors.Is(err, os.ErrPermission):
		return nil, tell(err, "没有权限读取文件 %s。", name)
	case err != nil:
		return nil, tell(err, "打不开文件 %s（%v）。", name, err)
	}
	return f, nil
}

// importProblems tells the office each problem of an import file by its line; other errors
// pass as they are.
func importProblems(file string, err error) error {
	var ie *mongostore.ImportError
	if !errors.As(err, &ie) {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s 有 %d 处问题，%s。请改正后重新导入：", file, len(ie.Rows), ie.Outcome())
	ie.List(&b)
	return tell(err, "%s", b.String())
}

// importKinds are what can be imported, as the command takes them, with their Chinese names.
var importKinds = [][2]string{{"households", "房屋"}, {"residents", "住户"}, {"readings", "抄表读数"}, {"payments", "缴费记录"}, {"staff", "工作人员"}}

// runImport imports households, residents, meter readings or payments from a CSV file.
func runImport(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	const use = "guanjia import households|residents|readings|payments|staff <文件.csv> [-community C] [-add-buildings 4,5]"
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	community := fs.String("community", mongostore.SampleCommunity, "community id or name")
	addBuildings := fs.String("add-buildings", "", "new buildings of the community, for households import")
	pos, err := parseArgs(fs, use, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageError("要写导入什么和哪个文件，如 guanjia import households households.csv。", use)
	}
	kind, file := pos[0], pos[1]
	if !slices.ContainsFunc(importKinds, func(k [2]string) bool { return k[0] == kind }) {
		known := make([]string, len(importKinds))
		for i, k := range importKinds {
			known[i] = k[0] + "（" + k[1] + "）"
		}
		return usageError(fmt.Sprintf("不能导入「%s」：可导入 %s。", kind, strings.Join(known, "、")), use)
	}
	var adding []int
	if *addBuildings != "" {
		for _, b := range strings.FieldsFunc(*addBuildings, func(r rune) bool { return strings.ContainsRune(",，、 ", r) }) {
			n, err := strconv.Atoi(b)
			if err != nil || n <= 0 || n > 999 {
				return usageError(fmt.Sprintf("-add-buildings 要写楼号，如 -add-buildings 4,5，不是「%s」。", *addBuildings), use)
			}
			adding = append(adding, n)
		}
		if kind != "households" {
			return usageError("-add-buildings 只用于导入房屋（import households）。", use)
		}
	}
	st, c, done, err := openCommunity(ctx, cfg, log, *community)
	if err != nil {
		return err
	}
	defer done()
	importFile := map[string]func(context.Context, string, io.Reader) (int, error){
		"households": st.ImportHouseholds, "residents": st.ImportResidents,
		"readings": st.ImportReadings, "payments": st.ImportPayments, "staff": st.ImportStaff,
	}[kind]
	if *addBuildings != "" {
		importFile = func(ctx context.Context, community string, r io.Reader) (int, error) {
			return st.ImportHouseholdsAdding(ctx, community, r, adding)
		}
	}
	f, err := openFile(file)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := importFile(ctx, c.ID, f)
	if err != nil {
		return importProblems(filepath.Base(file), err)
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
	const use = "guanjia faq import <文件.yaml> [-community C]"
	fs := flag.NewFlagSet("faq", flag.ContinueOnError)
	community := fs.String("community", mongostore.SampleCommunity, "community id or name")
	pos, err := parseArgs(fs, use, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) != 2 || pos[0] != "import" {
		return usageError("要写 import 和文件名，如 guanjia faq import faq.yaml。", use)
	}
	st, c, done, err := openCommunity(ctx, cfg, log, *community)
	if err != nil {
		return err
	}
	defer done()
	f, err := openFile(pos[1])
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := st.ImportFAQ(ctx, c.ID, f)
	if err != nil {
		return importProblems(filepath.Base(pos[1]), err)
	}
	log.Info("faq imported", "community", c.ID, "entries", n)
	fmt.Fprintf(stdout, "%s：已导入 %d 条常见问题到 %s（%s）。\n", filepath.Base(pos[1]), n, c.Name, c.ID)
	return nil
}

// rateFlags are the rates the rates command sets, with the most each may plausibly be: a
// larger one is almost surely a slip (99999 for 9.99), and every household's bill would
// carry it.
var rateFlags = []struct {
	flag, name, unit, example, help string
	max                             guanjia.Money
	field                           func(*guanjia.Rates) *guanjia.Money
}{
	{"property", "物业费", "元/m²/月", "2.50", "property fee in yuan per m² per month", 5000,
		func(r *guanjia.Rates) *guanjia.Money { return &r.PropertyPerM2 }},
	{"parking", "停车费", "元/车位/月", "300", "parking in yuan per space per month", 500000,
		func(r *guanjia.Rates) *guanjia.Money { return &r.ParkingPerSpace }},
	{"water", "水费", "元/吨", "4.20", "water in yuan per 吨", 5000,
		func(r *guanjia.Rates) *guanjia.Money { return &r.WaterPerUnit }},
	{"electricity", "电费", "元/度", "0.62", "electricity in yuan per 度", 1000,
		func(r *guanjia.Rates) *guanjia.Money { return &r.ElectricityPerUnit }},
}

// runRates shows a community's rates, or changes those given as flags. Every value is checked
// before anything is changed: one mistake changes nothing.
func runRates(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	const use = "guanjia rates [-community C] [-property 2.50] [-parking 300] [-water 4.20] [-electricity 0.62] [-due-day 15]"
	fs := flag.NewFlagSet("rates", flag.ContinueOnError)
	community := fs.String("community", mongostore.SampleCommunity, "community id or name")
	values := map[string]*string{}
	for _, rf := range rateFlags {
		values[rf.flag] = fs.String(rf.flag, "", rf.help+", e.g. "+rf.example+"; the most is "+rf.max.String())
	}
	dueDay := fs.String("due-day", "", "day of the next month a bill is due, 1 to 28")
	pos, err := parseArgs(fs, use, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(fmt.Sprintf("不认识「%s」：费率都写成选项，如 -property 2.50。", strings.Join(pos, " ")), use)
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var change []func(*guanjia.Rates)
	var problems []string
	for _, rf := range rateFlags {
		if !given[rf.flag] {
			continue
		}
		v := strings.TrimSpace(*values[rf.flag])
		m, err := guanjia.ParseMoney(v)
		switch {
		case strings.HasPrefix(v, "-") || err == nil && m == 0:
			problems = append(problems, fmt.Sprintf("-%s %s：%s不能是 0 或负数；不改这一项就不写 -%s。", rf.flag, v, rf.name, rf.flag))
		case err != nil:
			problems = append(problems, fmt.Sprintf("-%s「%s」不是金额：请写元，如 -%s %s。", rf.flag, v, rf.flag, rf.example))
		case m > rf.max:
			problems = append(problems, fmt.Sprintf("-%s %s：%s最多 %s %s，请核对是否多打了位数。", rf.flag, v, rf.name, rf.max, rf.unit))
		default:
			change = append(change, func(r *guanjia.Rates) { *rf.field(r) = m })
		}
	}
	if given["due-day"] {
		d, err := strconv.Atoi(strings.TrimSpace(*dueDay))
		if err != nil || d < 1 || d > 28 {
			problems = append(problems, fmt.Sprintf("-due-day %s：缴费截止日要写 1 到 28 之间的一天（不是每个月都有 29–31 日）。", *dueDay))
		} else {
			change = append(change, func(r *guanjia.Rates) { r.DueDay = d })
		}
	}
	if len(problems) > 0 {
		return tell(nil, "%s\n收费标准没有改动。", strings.Join(problems, "\n"))
	}
	st, c, done, err := openCommunity(ctx, cfg, log, *community)
	if err != nil {
		return err
	}
	defer done()
	if len(change) > 0 {
		r := c.Rates
		for _, f := range change {
			f(&r)
		}
		if err := st.SetRates(ctx, c.ID, r); err != nil {
			return err
		}
		log.Info("rates set", "community", c.ID)
		if c, err = st.Community(ctx, c.ID); err != nil {
			return err
		}
	}
	r := c.Rates
	fmt.Fprintf(stdout, "%s（%s）收费标准：\n  物业费 %s 元/m²/月\n  停车费 %s 元/车位/月\n  水费 %s 元/吨\n  电费 %s 元/度\n  缴费截止：次月 %d 日\n",
		c.Name, c.ID, r.PropertyPerM2, r.ParkingPerSpace, r.WaterPerUnit, r.ElectricityPerUnit, cmp.Or(r.DueDay, 15))
	return nil
}
