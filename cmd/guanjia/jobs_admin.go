package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/flows/schedule"
	"github.com/guanjia/guanjia/storage/mongostore"
)

const jobsUse = "guanjia jobs，guanjia jobs run <任务> [-at <时间>]，或 guanjia jobs timers [-limit N]"

// runJobs lists the scheduled jobs, runs one by hand, or lists the pending timers.
func runJobs(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("jobs", flag.ContinueOnError)
	at := fs.String("at", "", "run as of this time in the office's time zone, e.g. \"2026-12-01 09:00\" (default: now)")
	limit := fs.String("limit", "50", "jobs timers: at most this many, 0 for all")
	pos, err := parseArgs(fs, jobsUse, args, stdout)
	if err != nil {
		return err
	}
	sub := ""
	if len(pos) > 0 {
		sub = pos[0]
	}
	switch {
	case sub == "run" && len(pos) != 2:
		return usageError("jobs run 要写一个任务名，如 guanjia jobs run cleanup。任务有："+jobNames()+"。", jobsUse)
	case sub != "" && sub != "run" && (sub != "timers" || len(pos) > 1):
		return usageError(fmt.Sprintf("不认识「%s」。", strings.Join(pos, " ")), jobsUse)
	case sub != "run" && *at != "":
		return usageError("-at 只用于 jobs run。", jobsUse)
	}
	n, err := strconv.Atoi(*limit)
	if err != nil || n < 0 {
		return tell(nil, "-limit 要写一个整数，如 -limit 20（0 表示全部），不是「%s」。", *limit)
	}
	loc := cfg.location()
	when := cfg.clock().In(loc).Truncate(time.Minute)
	if sub == "run" {
		if !slices.ContainsFunc(schedules, func(l jobLine) bool { return l.Name == pos[1] }) {
			return tell(nil, "没有任务「%s」。任务有：%s。", pos[1], jobNames())
		}
		if *at != "" {
			if when, err = parseWhen(*at, loc); err != nil {
				return err
			}
		}
	}
	// The whole app, without its channels: what a job says is queued in Redis for the running
	// guanjia that runs the channels, and sent by it.
	a, err := Open(ctx, cfg, log, cfg.clock)
	if err != nil {
		return err
	}
	defer a.Close()
	st, sched := a.Store, a.Scheduler
	switch sub {
	case "run":
		return runJobNow(ctx, sched, pos[1], when, loc, stdout)
	case "timers":
		return listTimers(ctx, st, cfg.clock(), n, loc, stdout)
	}
	return listJobs(ctx, st, sched, cfg.clock(), loc, stdout)
}

// jobNames lists the jobs of the table, for telling the office.
func jobNames() string {
	names := make([]string, len(schedules))
	for i, l := range schedules {
		names[i] = l.Name
	}
	return strings.Join(names, "、")
}

// whenLayouts are the ways the office may write a time for -at.
var whenLayouts = []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"}

// parseWhen reads a time as the office writes it, in the office's zone, or with its own
// offset (RFC 3339).
func parseWhen(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(loc), nil
	}
	for _, layout := range whenLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, tell(nil, "时间「%s」不对：请写成 2026-12-01 09:00（办公时区 %s），或只写日期 2026-12-01（当天 0 点）。", s, loc)
}

// runJobNow runs a job as of when, once per slot, and says how it went.
func runJobNow(ctx context.Context, sched *schedule.Scheduler, name string, when time.Time, loc *time.Location, stdout io.Writer) error {
	run, ran, err := sched.RunAt(ctx, name, when)
	if err != nil {
		return err
	}
	if !ran {
		fmt.Fprintf(stdout, "%s 已经运行过，不再运行（每个时刻只运行一次）：\n  %s\n", run.ID, describeRun(run, loc))
		return nil
	}
	if run.Status == guanjia.JobFailed {
		return tell(nil, "%s 运行失败，已记录：%s", run.ID, run.Error)
	}
	fmt.Fprintf(stdout, "%s 已运行：%s\n", run.ID, describeRun(run, loc))
	return nil
}

// describeRun says when a run started and ended, why, and how it went.
func describeRun(run guanjia.JobRun, loc *time.Location) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s 开始（%s", run.Started.In(loc).Format("2006-01-02 15:04:05"), triggerZH[run.Trigger])
	if run.Instance != "" {
		fmt.Fprintf(&b, "，%s", run.Instance)
	}
	b.WriteString("）")
	if !run.Finished.IsZero() {
		fmt.Fprintf(&b, "，%s 结束", run.Finished.In(loc).Format("15:04:05"))
	}
	fmt.Fprintf(&b, "，结果：%s", outcomeZH(run))
	return b.String()
}

// triggerZH names why a job ran.
var triggerZH = map[guanjia.JobTrigger]string{
	guanjia.TriggerSchedule: "按计划", guanjia.TriggerCatchUp: "启动时补跑", guanjia.TriggerManual: "手动",
}

// outcomeZH says how a run went, with its counts.
func outcomeZH(run guanjia.JobRun) string {
	switch run.Status {
	case guanjia.JobRunning:
		return "运行中（或运行它的进程已停止）"
	case guanjia.JobSkipped:
		return "跳过（错过太久）"
	case guanjia.JobFailed:
		return "失败：" + firstLine(run.Error, 80)
	}
	s := "完成"
	if len(run.Counts) > 0 {
		keys := make([]string, 0, len(run.Counts))
		for k := range run.Counts {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			keys[i] = fmt.Sprintf("%s %d", k, run.Counts[k])
		}
		s += "，" + strings.Join(keys, "，")
	}
	if run.Note != "" {
		s += "（" + run.Note + "）"
	}
	return s
}

// firstLine is the first line of s, at most n characters.
func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// listJobs prints every job with its schedule, its last run and its next.
func listJobs(ctx context.Context, st *mongostore.Store, sched *schedule.Scheduler, now time.Time, loc *time.Location, stdout io.Writer) error {
	rows := [][]string{{"任务", "计划", "最迟补跑", "上次运行", "结果", "下次运行"}}
	for _, j := range sched.Jobs() {
		last, next := "从未运行", "不按计划（off）"
		result := "—"
		run, ok, err := st.LastJobRun(ctx, j.Name)
		if err != nil {
			return err
		}
		if ok {
			last = run.Slot.In(loc).Format("2006-01-02 15:04:05") + "（" + triggerZH[run.Trigger] + "）"
			result = outcomeZH(run)
		}
		if t := sched.Next(j.Name, now); !t.IsZero() {
			next = t.In(loc).Format("2006-01-02 15:04:05")
		}
		rows = append(rows, []string{j.Name, j.Spec, lateZH(j.MaxLate), last, result, next})
	}
	writeColumns(stdout, "", rows)
	fmt.Fprintf(stdout, "\n时区 %s。每个任务在每个时刻只运行一次，无论几个 guanjia 在运行。\n", loc)
	for _, j := range sched.Jobs() {
		fmt.Fprintf(stdout, "  %s：%s\n", j.Name, j.About)
	}
	return nil
}

// lateZH says how late a job may still run.
func lateZH(d time.Duration) string {
	if d == 0 {
		return "不限"
	}
	return spanZH(d)
}

// listTimers prints the timers waiting to fire, with their attempts so far.
func listTimers(ctx context.Context, st *mongostore.Store, now time.Time, limit int, loc *time.Location, stdout io.Writer) error {
	list, err := st.PendingTimers(ctx, limit)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "没有等待触发的定时。")
		return nil
	}
	rows := [][]string{{"到期时间", "类别", "对象", "状态"}}
	for _, t := range list {
		attempts, err := st.TimerAttempts(ctx, t.ID)
		if err != nil {
			return err
		}
		state := "等待"
		if !t.Due.After(now) {
			state = "已到期，下一次清扫时触发"
		}
		if n := len(attempts); n > 0 {
			switch last := attempts[n-1]; last.Status {
			case guanjia.JobRunning:
				state = fmt.Sprintf("第 %d 次触发中", last.Attempt)
			case guanjia.JobFailed:
				state = fmt.Sprintf("第 %d 次失败，稍后重试：%s", last.Attempt, firstLine(last.Error, 60))
			}
		}
		rows = append(rows, []string{t.Due.In(loc).Format("2006-01-02 15:04:05"), t.Kind, t.Key, state})
	}
	writeColumns(stdout, "", rows)
	return nil
}
