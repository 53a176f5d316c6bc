package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/flows"
	"github.com/guanjia/guanjia/storage/mongostore"
)

// runStaff lists the stewards with their buildings and shift starts, or sets one's:
// guanjia staff 王管家 -buildings 1,2,3 -shift 08:30.
func runStaff(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	const use = "guanjia staff [-community C] [姓名 -buildings 1,2,3 -shift 08:30]"
	fs := flag.NewFlagSet("staff", flag.ContinueOnError)
	community := fs.String("community", mongostore.SampleCommunity, "community id or name")
	buildings := fs.String("buildings", "", "the buildings the steward looks after, e.g. 1,2,3")
	shift := fs.String("shift", "", "when the steward's shift starts, e.g. 08:30")
	pos, err := parseArgs(fs, use, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError(fmt.Sprintf("只能写一个姓名，不是「%s」。", strings.Join(pos, " ")), use)
	}
	var blds []int
	if *buildings != "" {
		for _, f := range strings.FieldsFunc(*buildings, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ' ' }) {
			n, err := strconv.Atoi(f)
			if err != nil || n < 1 {
				return tell(nil, "-buildings「%s」不对：请写楼号，用逗号分隔，如 1,2,3。没有改动。", *buildings)
			}
			blds = append(blds, n)
		}
	}
	if *shift != "" {
		if _, err := guanjia.ParseShiftStart(*shift); err != nil {
			return tell(nil, "-shift「%s」不对：请写上班时间，如 08:30。没有改动。", *shift)
		}
	}
	if len(pos) == 0 && (*buildings != "" || *shift != "") {
		return usageError("请写要设置的管家姓名。", use)
	}
	st, c, done, err := openCommunity(ctx, cfg, log, *community)
	if err != nil {
		return err
	}
	defer done()
	if len(pos) == 1 {
		p, err := st.PersonByName(ctx, c.ID, pos[0])
		if errors.Is(err, guanjia.ErrNotFound) || err == nil && !p.Has(guanjia.RoleSteward) {
			return tell(nil, "%s没有管家「%s」。", c.Name, pos[0])
		} else if err != nil {
			return err
		}
		for _, b := range blds {
			if !slices.Contains(c.Buildings, b) {
				return tell(nil, "%s没有 %d 号楼（楼栋：%s）。没有改动。", c.Name, b, strings.Trim(strings.ReplaceAll(fmt.Sprint(c.Buildings), " ", "、"), "[]"))
			}
		}
		if blds != nil {
			p.Buildings = blds
		}
		if *shift != "" {
			p.ShiftStart = *shift
		}
		if err := st.PutPerson(ctx, p); err != nil {
			return err
		}
	}
	list, err := st.PeopleByRole(ctx, c.ID, guanjia.RoleSteward)
	if err != nil {
		return err
	}
	slices.SortStableFunc(list, func(a, b guanjia.Person) int {
		x, _ := guanjia.ParseShiftStart(a.ShiftStart)
		y, _ := guanjia.ParseShiftStart(b.ShiftStart)
		return x - y
	})
	fmt.Fprintf(stdout, "%s的管家：\n", c.Name)
	for _, p := range list {
		shift := p.ShiftStart
		if shift == "" {
			shift = guanjia.DefaultShiftStart
		}
		b := "全部楼栋"
		if len(p.Buildings) > 0 {
			b = strings.Trim(strings.ReplaceAll(fmt.Sprint(p.Buildings), " ", "、"), "[]") + " 号楼"
		}
		fmt.Fprintf(stdout, "  %s：%s，%s 上班\n", p.Name, b, shift)
	}
	return nil
}

// runPatrols lists a community's patrols, or shows one: guanjia patrols [show P…].
func runPatrols(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	const use = "guanjia patrols [-community C] [show 巡查号 | routes [路线.yaml]]"
	fs := flag.NewFlagSet("patrols", flag.ContinueOnError)
	community := fs.String("community", mongostore.SampleCommunity, "community id or name")
	pos, err := parseArgs(fs, use, args, stdout)
	if err != nil {
		return err
	}
	routes := len(pos) > 0 && pos[0] == "routes"
	if len(pos) > 0 && !routes && (pos[0] != "show" || len(pos) != 2) || routes && len(pos) > 2 {
		return usageError(fmt.Sprintf("不认识「%s」。", strings.Join(pos, " ")), use)
	}
	st, c, done, err := openCommunity(ctx, cfg, log, *community)
	if err != nil {
		return err
	}
	defer done()
	if routes {
		file := ""
		if len(pos) == 2 {
			file = pos[1]
		}
		return patrolRoutes(ctx, st, c, file, stdout)
	}
	loc := cfg.location()
	var list []guanjia.Patrol
	if len(pos) == 2 {
		p, err := st.Patrol(ctx, c.ID, strings.ToUpper(pos[1]))
		if errors.Is(err, guanjia.ErrNotFound) {
			return tell(nil, "%s没有巡查 %s。", c.Name, pos[1])
		} else if err != nil {
			return err
		}
		list = []guanjia.Patrol{p}
	} else if list, err = st.Patrols(ctx, c.ID, 50); err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "还没有巡查记录。")
	}
	for _, p := range list {
		end := "进行中"
		if !p.EndedAt.IsZero() {
			end = p.EndedAt.In(loc).Format("15:04") + " 结束"
		}
		fmt.Fprintf(stdout, "%s %s %s %s 开始，%s\n", p.No, p.StewardName, p.Route, p.StartedAt.In(loc).Format("2006-01-02 15:04"), end)
		if len(pos) == 2 || len(list) == 1 {
			for i, pt := range p.Points {
				state := "未查"
				switch {
				case pt.Hazard != "":
					state = "发现隐患 " + pt.Hazard
				case !pt.CheckedAt.IsZero():
					state = pt.CheckedAt.In(loc).Format("15:04") + " 已查"
				}
				fmt.Fprintf(stdout, "  %d. %s：%s\n", i+1, pt.Name, state)
			}
		}
		s := flows.PatrolSummary(p)
		fmt.Fprintf(stdout, "  已查 %d，未查 %d，隐患 %s\n", len(s["Checked"].([]string)), len(s["Missed"].([]string)), noneIfEmpty(strings.Join(p.Hazards, "、")))
	}
	return nil
}

// runHandovers lists a community's handovers, or shows one with both confirmations:
// guanjia handovers [show J…].
func runHandovers(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	const use = "guanjia handovers [-community C] [show 交班号]"
	fs := flag.NewFlagSet("handovers", flag.ContinueOnError)
	community := fs.String("community", mongostore.SampleCommunity, "community id or name")
	pos, err := parseArgs(fs, use, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 && (pos[0] != "show" || len(pos) > 2) {
		return usageError(fmt.Sprintf("不认识「%s」。", strings.Join(pos, " ")), use)
	}
	st, c, done, err := openCommunity(ctx, cfg, log, *community)
	if err != nil {
		return err
	}
	defer done()
	list, err := st.Handovers(ctx, c.ID, 50)
	if err != nil {
		return err
	}
	loc := cfg.location()
	at := func(t time.Time) string {
		if t.IsZero() {
			return "未确认"
		}
		return t.In(loc).Format("2006-01-02 15:04")
	}
	if len(pos) == 0 {
		if len(list) == 0 {
			fmt.Fprintln(stdout, "还没有交接班记录。")
		}
		for _, h := range list {
			fmt.Fprintf(stdout, "%s %s → %s，交班 %s，接班 %s，未完成 %d 项\n", h.No, h.FromName, h.ToName, at(h.At), at(h.ConfirmedAt), len(h.Items))
		}
		return nil
	}
	if len(pos) == 1 {
		if len(list) == 0 {
			return tell(nil, "还没有交接班记录。")
		}
		pos = append(pos, list[0].No)
	}
	h, err := st.Handover(ctx, c.ID, strings.ToUpper(pos[1]))
	if errors.Is(err, guanjia.ErrNotFound) {
		return tell(nil, "%s没有交班 %s。", c.Name, pos[1])
	} else if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "交班 %s：%s → %s\n  交班确认：%s %s\n  接班确认：%s %s\n", h.No, h.FromName, h.ToName, h.FromName, at(h.At), h.ToName, at(h.ConfirmedAt))
	fmt.Fprintf(stdout, "  已完成：%s\n", noneIfEmpty(strings.Join(h.Done, "；")))
	for i, it := range h.Items {
		fmt.Fprintf(stdout, "  未完成 %d. %s —— %s（接班确认：%s）\n", i+1, it.Summary, it.Reason, at(it.ConfirmedAt))
	}
	fmt.Fprintf(stdout, "  备注：%s\n", noneIfEmpty(h.Note))
	return nil
}

func noneIfEmpty(s string) string {
	if s == "" {
		return "无"
	}
	return s
}

// patrolRoutes shows a community's patrol routes, or replaces them with those of a YAML file:
// a list of {name, points}. A file with any mistake changes nothing.
func patrolRoutes(ctx context.Context, st *mongostore.Store, c guanjia.Community, file string, stdout io.Writer) error {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return tell(err, "读不了路线文件「%s」：%v", file, err)
		}
		var list []guanjia.Route
		if err := yaml.Unmarshal(b, &list); err != nil {
			return tell(err, "路线文件「%s」不是路线列表：每条写 name（路线名）和 points（检查点列表）。%v", file, err)
		}
		var bad []string
		seen := map[string]bool{}
		for i, r := range list {
			r.Name = strings.TrimSpace(r.Name)
			switch {
			case r.Name == "":
				bad = append(bad, fmt.Sprintf("第 %d 条路线没有名字 name", i+1))
			case seen[r.Name]:
				bad = append(bad, fmt.Sprintf("路线「%s」重复", r.Name))
			case len(r.Points) == 0 || len(r.Points) > 30:
				bad = append(bad, fmt.Sprintf("路线「%s」要有 1 到 30 个检查点 points", r.Name))
			case slices.Contains(r.Points, ""):
				bad = append(bad, fmt.Sprintf("路线「%s」有空的检查点", r.Name))
			}
			seen[r.Name] = true
			list[i] = r
		}
		if len(list) == 0 {
			bad = append(bad, "文件里没有路线")
		}
		if len(bad) > 0 {
			return tell(nil, "路线文件「%s」有问题，没有改动：%s。", file, strings.Join(bad, "；"))
		}
		if err := st.PutRoutes(ctx, c.ID, list); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "已导入 %d 条巡查路线到 %s（%s）。\n", len(list), c.Name, c.ID)
	}
	list, err := st.Routes(ctx, c.ID)
	own := err == nil
	if errors.Is(err, guanjia.ErrNotFound) {
		list = flows.DefaultRoutes()
	} else if err != nil {
		return err
	}
	if !own {
		fmt.Fprintf(stdout, "%s用默认的巡查路线（guanjia patrols routes <路线.yaml> 可换成自己的）：\n", c.Name)
	} else {
		fmt.Fprintf(stdout, "%s的巡查路线：\n", c.Name)
	}
	for _, r := range list {
		fmt.Fprintf(stdout, "  %s：%s\n", r.Name, strings.Join(r.Points, "、"))
	}
	return nil
}
