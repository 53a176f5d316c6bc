package main

import (
	"context"
	"encoding/csv"
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
	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/flows"
	"github.com/guanjia/guanjia/storage/mongostore"
)

// EventsConfig is the events' part of Config: when those signed up are reminded, when the
// last call, the feedback question and the recap go out.
type EventsConfig struct {
	// Reminders are how long before the start those signed up are reminded ("24h,1h").
	Reminders []time.Duration `yaml:"reminders"`
	// LastCall is how long before the sign-up deadline the invitation is repeated if places are left.
	LastCall time.Duration `yaml:"last_call"`
	// FeedbackAfter is how long after the start the feedback question goes out.
	FeedbackAfter time.Duration `yaml:"feedback_after"`
	// RecapAfter is how long after the start the recap goes to the staff group.
	RecapAfter time.Duration `yaml:"recap_after"`
}

func eventsDefaults() EventsConfig {
	return EventsConfig{Reminders: []time.Duration{24 * time.Hour, time.Hour}, LastCall: 24 * time.Hour,
		FeedbackAfter: 3 * time.Hour, RecapAfter: 24 * time.Hour}
}

func (c EventsConfig) flows() flows.EventsConfig {
	return flows.EventsConfig{Reminders: c.Reminders, LastCall: c.LastCall, FeedbackAfter: c.FeedbackAfter, RecapAfter: c.RecapAfter}
}

// fromEnv reads GUANJIA_EVENT_REMINDERS, _LAST_CALL, _FEEDBACK_AFTER and _RECAP_AFTER.
func (c *EventsConfig) fromEnv(getenv func(string) string) error {
	if v := strings.TrimSpace(getenv("GUANJIA_EVENT_REMINDERS")); v != "" {
		c.Reminders = nil
		for _, p := range strings.Split(v, ",") {
			var d time.Duration
			if err := setDuration(&d, strings.TrimSpace(p)); err != nil {
				return fmt.Errorf("config: GUANJIA_EVENT_REMINDERS: %w", err)
			}
			c.Reminders = append(c.Reminders, d)
		}
	}
	for name, d := range map[string]*time.Duration{"GUANJIA_EVENT_LAST_CALL": &c.LastCall,
		"GUANJIA_EVENT_FEEDBACK_AFTER": &c.FeedbackAfter, "GUANJIA_EVENT_RECAP_AFTER": &c.RecapAfter} {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			if err := setDuration(d, v); err != nil {
				return fmt.Errorf("config: %s: %w", name, err)
			}
		}
	}
	return nil
}

func (c EventsConfig) problems() []string {
	var problems []string
	if len(c.Reminders) > 5 || slices.ContainsFunc(c.Reminders, func(d time.Duration) bool { return d < time.Minute }) {
		problems = append(problems, "GUANJIA_EVENT_REMINDERS 最多写 5 个时长，每个至少 1m，如 24h,1h（up to 5 durations of at least 1m）")
	}
	if c.LastCall < time.Minute || c.FeedbackAfter < time.Minute || c.RecapAfter < time.Minute {
		problems = append(problems, "GUANJIA_EVENT_LAST_CALL、GUANJIA_EVENT_FEEDBACK_AFTER 和 GUANJIA_EVENT_RECAP_AFTER 至少要 1m（must be at least 1m）")
	}
	return problems
}

// String prints the events' settings for guanjia config.
func (c EventsConfig) String() string {
	rs := make([]string, len(c.Reminders))
	for i, d := range c.Reminders {
		rs[i] = d.String()
	}
	return fmt.Sprintf("events:\n  reminders: %s\n  last_call: %s\n  feedback_after: %s\n  recap_after: %s\n",
		strings.Join(rs, ","), c.LastCall, c.FeedbackAfter, c.RecapAfter)
}

// events sends what the events and surveys have to say as of at, each notice once.
func (e *jobEnv) events(ctx context.Context, at time.Time) (guanjia.JobResult, error) {
	var res guanjia.JobResult
	notices, err := e.engine.EventsDue(ctx, at)
	if err != nil {
		return res, err
	}
	for _, n := range notices {
		queued, err := e.send(ctx, n.Key, n.Replies)
		if err != nil {
			return res, err
		}
		if !queued {
			continue
		}
		res.Add("messages", len(n.Replies))
		if err := e.engine.OpenSessions(ctx, n.Sessions); err != nil {
			return res, err
		}
	}
	return res, nil
}

const eventsUse = "guanjia events [-community C]，或 guanjia events show <活动编号> [-md]"

// runEvents lists a community's events, or shows one with its sign-ups and numbers.
func runEvents(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("events", flag.ContinueOnError)
	community := fs.String("community", mongostore.SampleCommunity, "community id or name")
	md := fs.Bool("md", false, "show as Markdown")
	pos, err := parseArgs(fs, eventsUse, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 && (pos[0] != "show" || len(pos) != 2) {
		return usageError(fmt.Sprintf("不认识「%s」。", strings.Join(pos, " ")), eventsUse)
	}
	a, err := Open(ctx, cfg, log, cfg.clock)
	if err != nil {
		return err
	}
	defer a.Close()
	c, err := findCommunity(ctx, a.Store, *community)
	if err != nil {
		return err
	}
	loc := cfg.location()
	if len(pos) == 0 {
		evs, err := a.Store.Events(ctx, c.ID)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			fmt.Fprintln(stdout, "还没有活动。")
		}
		for _, ev := range evs {
			state := ""
			if ev.Cancelled != "" {
				state = "（已取消）"
			}
			fmt.Fprintf(stdout, "%s  %s  %s  %s  名额 %d%s\n", ev.No, ev.Start.In(loc).Format("2006-01-02 15:04"), ev.Title, ev.Place, ev.Capacity, state)
		}
		return nil
	}
	no, ok := guanjia.FindRecordNo("A", pos[1])
	if !ok {
		return tell(nil, "「%s」不是活动编号：活动编号像 A20261127-0001。", pos[1])
	}
	ev, err := a.Store.Event(ctx, c.ID, no)
	if errors.Is(err, guanjia.ErrNotFound) {
		return tell(err, "没有活动 %s。", no)
	} else if err != nil {
		return err
	}
	list, err := a.Store.SignUps(ctx, ev)
	if err != nil {
		return err
	}
	r, err := a.Engine.Recap(ctx, ev)
	if err != nil {
		return err
	}
	when := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	audience := "全小区"
	if len(ev.Buildings) > 0 {
		audience = strings.Trim(strings.ReplaceAll(fmt.Sprint(ev.Buildings), " ", "、"), "[]") + " 号楼"
	}
	head := fmt.Sprintf("%s %s\n时间 %s，地点 %s，名额 %d，面向 %s，报名截止 %s，邀请 %s", ev.No, ev.Title, when(ev.Start), ev.Place,
		ev.Capacity, audience, when(ev.Deadline), when(ev.InviteAt))
	if ev.Cancelled != "" {
		head += "\n已取消：" + ev.Cancelled
	}
	numbers := fmt.Sprintf("邀请 %v 户，确认 %v 户 %v 人，签到 %v 户 %v 人，未到 %v 户，候补 %v 户，评分 %v（%v 户）",
		r["Invited"], r["Homes"], r["People"], r["Came"], r["CameP"], r["NoShow"], r["Waiting"], orDash(r["Average"]), r["Rated"])
	if *md {
		fmt.Fprintf(stdout, "## %s\n\n%s\n\n| # | 房号 | 人数 | 状态 | 签到 | 评分 | 留言 |\n|---|---|---|---|---|---|---|\n",
			strings.ReplaceAll(head, "\n", "\n\n"), numbers)
	} else {
		fmt.Fprintf(stdout, "%s\n%s\n", head, numbers)
	}
	for i, su := range list {
		state, in, rating := "已确认", "", ""
		if !su.Confirmed {
			state = "候补"
		}
		if su.Attended {
			in = "✓"
		}
		if su.Rating > 0 {
			rating = strconv.Itoa(su.Rating)
		}
		if *md {
			fmt.Fprintf(stdout, "| %d | %s | %d | %s | %s | %s | %s |\n", i+1, su.Household, su.Heads, state, in, rating, strings.ReplaceAll(su.Comment, "|", "/"))
		} else {
			fmt.Fprintln(stdout, strings.TrimRight(fmt.Sprintf("  %d. %s  %d 人  %s  %s  %s  %s", i+1, su.Household, su.Heads, state, in, rating, su.Comment), " "))
		}
	}
	return nil
}

func orDash(v any) any {
	if s, ok := v.(string); ok && s == "" {
		return "—"
	}
	return v
}

const surveysUse = "guanjia surveys [-community C]，guanjia surveys create <问卷.yaml>，或 guanjia surveys show <问卷编号> [-csv]"

// surveyFile is a survey as the office writes it in YAML.
type surveyFile struct {
	Question  string   `yaml:"question"`
	Options   []string `yaml:"options"`
	Multiple  bool     `yaml:"multiple"`
	Buildings []int    `yaml:"buildings"`
	Closes    string   `yaml:"closes"`
	Private   bool     `yaml:"private"`
}

// runSurveys lists, creates (and sends) or shows surveys.
func runSurveys(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("surveys", flag.ContinueOnError)
	community := fs.String("community", mongostore.SampleCommunity, "community id or name")
	asCSV := fs.Bool("csv", false, "surveys show: one row per answer (home, options, time), no names")
	pos, err := parseArgs(fs, surveysUse, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 && (pos[0] != "show" && pos[0] != "create" || len(pos) != 2) {
		return usageError(fmt.Sprintf("不认识「%s」。", strings.Join(pos, " ")), surveysUse)
	}
	var file surveyFile
	if len(pos) == 2 && pos[0] == "create" {
		raw, err := os.ReadFile(pos[1])
		if err != nil {
			return tell(err, "读不了文件「%s」。", pos[1])
		}
		if err := yaml.Unmarshal(raw, &file); err != nil {
			return tell(err, "「%s」不是有效的 YAML：%v", pos[1], err)
		}
	}
	a, err := Open(ctx, cfg, log, cfg.clock)
	if err != nil {
		return err
	}
	defer a.Close()
	c, err := findCommunity(ctx, a.Store, *community)
	if err != nil {
		return err
	}
	loc := cfg.location()
	switch {
	case len(pos) == 0:
		svs, err := a.Store.Surveys(ctx, c.ID)
		if err != nil {
			return err
		}
		if len(svs) == 0 {
			fmt.Fprintln(stdout, "还没有问卷。")
		}
		for _, sv := range svs {
			fmt.Fprintf(stdout, "%s  %s 截止  %s\n", sv.No, sv.Closes.In(loc).Format("2006-01-02 15:04"), sv.Question)
		}
		return nil
	case pos[0] == "create":
		return createSurvey(ctx, a, c, file, cfg, stdout)
	}
	no, ok := guanjia.FindRecordNo("S", pos[1])
	if !ok {
		return tell(nil, "「%s」不是问卷编号：问卷编号像 S20261127-0001。", pos[1])
	}
	sv, err := a.Store.Survey(ctx, c.ID, no)
	if errors.Is(err, guanjia.ErrNotFound) {
		return tell(err, "没有问卷 %s。", no)
	} else if err != nil {
		return err
	}
	answers, err := a.Store.Answers(ctx, sv)
	if err != nil {
		return err
	}
	if *asCSV {
		w := csv.NewWriter(stdout)
		_ = w.Write([]string{"household", "options", "answered_at"})
		for _, an := range answers {
			picks := make([]string, len(an.Picks))
			for i, p := range an.Picks {
				picks[i] = sv.Options[p-1]
			}
			_ = w.Write([]string{an.Household, strings.Join(picks, ";"), an.At.In(loc).Format("2006-01-02 15:04")})
		}
		w.Flush()
		return w.Error()
	}
	counts, n := guanjia.Counts(sv, answers)
	mode := "单选"
	if sv.Multiple {
		mode = "多选"
	}
	fmt.Fprintf(stdout, "%s %s（%s，%s 截止）\n", sv.No, sv.Question, mode, sv.Closes.In(loc).Format("2006-01-02 15:04"))
	for i, o := range sv.Options {
		fmt.Fprintf(stdout, "  %d) %s：%d\n", i+1, o, counts[i])
	}
	fmt.Fprintf(stdout, "共 %d 人作答\n", n)
	return nil
}

// createSurvey saves a survey from a file and queues it to its audience for the running guanjia.
func createSurvey(ctx context.Context, a *App, c guanjia.Community, f surveyFile, cfg Config, stdout io.Writer) error {
	now := cfg.clock()
	closes, err := parseWhen(f.Closes, cfg.location())
	if err != nil {
		return err
	}
	for _, b := range f.Buildings {
		if !slices.Contains(c.Buildings, b) {
			return tell(nil, "%s 没有 %d 号楼；buildings 写这个小区有的楼号，不写就是全小区。", c.Name, b)
		}
	}
	sv := guanjia.Survey{Community: c.ID, Question: strings.TrimSpace(f.Question), Options: f.Options, Multiple: f.Multiple,
		Buildings: f.Buildings, Closes: closes, Private: f.Private, CreatedBy: "admin", CreatedAt: now}
	if err := sv.Validate(now); err != nil {
		return tell(err, "问卷没有创建：要有 question，%d 到 %d 个不为空的 options，closes 要在以后。", guanjia.MinSurveyOptions, guanjia.MaxSurveyOptions)
	}
	if err := a.Store.CreateSurvey(ctx, &sv); err != nil {
		return err
	}
	replies, err := a.Engine.SurveyMessages(ctx, sv)
	if err != nil {
		return err
	}
	if len(replies) > 0 {
		if _, err := a.Outbox.Commit(ctx, bot.Commit{Channel: proactiveChannel, MessageID: "survey-new:" + sv.ID, Replies: replies}); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "问卷 %s 已创建，%d 条消息排队发出，%s 截止。\n", sv.No, len(replies), closes.Format("2006-01-02 15:04"))
	return nil
}
