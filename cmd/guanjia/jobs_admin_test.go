package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
)

// TestJobsRunOncePerSlot runs the cleanup by hand as of a time twice: the first runs it, the
// second says it already ran, when and with what outcome, and runs nothing.
func TestJobsRunOncePerSlot(t *testing.T) {
	pinClock(t)
	cfg, getenv := feeEnv(t)
	st := openFeeStore(t, cfg)
	ctx := context.Background()
	// A timer fired 40 days before: its record is what the cleanup removes.
	old := time.Date(2026, 10, 10, 9, 0, 0, 0, shanghai)
	tm, _ := guanjia.NewTimer("announce", "A1", old, nil)
	a := guanjia.TimerAttempt{ID: guanjia.TimerAttemptID(tm.ID, 1), Timer: tm.ID, Attempt: 1, Status: guanjia.JobDone, Started: old, Finished: old}
	if ok, err := st.ClaimTimerAttempts(ctx, []guanjia.TimerAttempt{a}); err != nil || !ok[0] {
		t.Fatal(ok, err)
	}
	out := runCmd(t, getenv, "", "jobs", "run", "cleanup", "-at", "2026-11-20 04:30")
	mustContain(t, "first run", out, "cleanup@2026-11-20T04:30+08:00 已运行：2026-11-26 09:00:00 开始（手动，",
		"，09:00:00 结束，结果：完成，job_runs 0，timer_runs 1\n")
	out = runCmd(t, getenv, "", "jobs", "run", "cleanup", "-at", "2026-11-20T04:30")
	mustContain(t, "second run", out, "cleanup@2026-11-20T04:30+08:00 已经运行过，不再运行（每个时刻只运行一次）：\n  2026-11-26 09:00:00 开始（手动，",
		"结果：完成，job_runs 0，timer_runs 1")
	// Without -at it runs as of now, to the minute.
	out = runCmd(t, getenv, "", "jobs", "run", "cleanup")
	mustContain(t, "run now", out, "cleanup@2026-11-26T09:00+08:00 已运行")
}

// TestJobsList prints the table of schedules with each job's last run and outcome and its
// next run, in the office's time zone.
func TestJobsList(t *testing.T) {
	pinClock(t)
	_, getenv := feeEnv(t)
	runCmd(t, getenv, "", "jobs", "run", "cleanup", "-at", "2026-11-26 04:30")
	got := runCmd(t, getenv, "", "jobs")
	// Columns are aligned to the longest job name: compare the words of each line, so that a new
	// line of the table changes only its own line.
	rows := map[string]string{}
	for _, line := range strings.Split(got, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			rows[f[0]] = strings.Join(f, " ")
		}
	}
	for _, want := range []string{
		"任务 计划 最迟补跑 上次运行 结果 下次运行",
		"timers @every 30s 不限 从未运行 — 2026-11-26 09:00:30",
		"cleanup 30 4 * * * 6 小时 2026-11-26 04:30:00（手动） 完成，job_runs 0，timer_runs 0 2026-11-27 04:30:00",
	} {
		if rows[strings.Fields(want)[0]] != want {
			t.Errorf("guanjia jobs printed:\n%s\nwant a line %q", got, want)
		}
	}
	for _, l := range schedules {
		if _, ok := rows[l.Name]; !ok || !strings.Contains(got, "  "+l.Name+"："+l.About+"\n") {
			t.Errorf("guanjia jobs printed:\n%s\nwant job %s with what it does", got, l.Name)
		}
	}
	mustContain(t, "jobs", got, "\n时区 Asia/Shanghai。每个任务在每个时刻只运行一次，无论几个 guanjia 在运行。\n")
}

// TestJobsTimersList lists the timers waiting, with a failed one's retry.
func TestJobsTimersList(t *testing.T) {
	pinClock(t)
	cfg, getenv := feeEnv(t)
	if out := runCmd(t, getenv, "", "jobs", "timers"); out != "没有等待触发的定时。\n" {
		t.Errorf("no timers: %q", out)
	}
	st := openFeeStore(t, cfg)
	ctx := context.Background()
	at := time.Date(2026, 11, 26, 18, 0, 0, 0, shanghai)
	later, _ := guanjia.NewTimer("announce", "A20261126-0001", at, nil)
	failing, _ := guanjia.NewTimer("renotify", "E20261126-0001", at.Add(-10*time.Hour), nil)
	for _, tm := range []guanjia.Timer{later, failing} {
		if err := st.AddTimer(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	a := guanjia.TimerAttempt{ID: guanjia.TimerAttemptID(failing.ID, 1), Timer: failing.ID, Attempt: 1, Status: guanjia.JobFailed, Error: "telegram: 502"}
	if ok, err := st.ClaimTimerAttempts(ctx, []guanjia.TimerAttempt{a}); err != nil || !ok[0] {
		t.Fatal(ok, err)
	}
	want := `到期时间             类别      对象            状态
2026-11-26 08:00:00  renotify  E20261126-0001  第 1 次失败，稍后重试：telegram: 502
2026-11-26 18:00:00  announce  A20261126-0001  等待
`
	if got := runCmd(t, getenv, "", "jobs", "timers"); got != want {
		t.Errorf("guanjia jobs timers printed:\n%s\nwant:\n%s", got, want)
	}
}

// TestJobsMistakes types the jobs command wrong: each mistake is told in plain words.
func TestJobsMistakes(t *testing.T) {
	_, getenv := feeEnv(t)
	for _, c := range []struct {
		args  []string
		wants []string
	}{
		{[]string{"jobs", "run"}, []string{"jobs run 要写一个任务名，如 guanjia jobs run cleanup。任务有：" + jobNames() + "。", "用法（usage）：guanjia jobs"}},
		{[]string{"jobs", "run", "nope"}, []string{"没有任务「nope」。任务有：" + jobNames() + "。"}},
		{[]string{"jobs", "run", "cleanup", "-at", "tomorrow"}, []string{"时间「tomorrow」不对：请写成 2026-12-01 09:00（办公时区 Asia/Shanghai）"}},
		{[]string{"jobs", "-at", "2026-12-01"}, []string{"-at 只用于 jobs run。"}},
		{[]string{"jobs", "list"}, []string{"不认识「list」。"}},
		{[]string{"jobs", "timers", "-limit", "x"}, []string{"-limit 要写一个整数"}},
	} {
		name := strings.Join(c.args, " ")
		msg, out := runFail(t, getenv, c.args...)
		mustContain(t, name, msg, c.wants...)
		if out != "" {
			t.Errorf("%s printed as well as failing:\n%s", name, out)
		}
	}
}

// TestScheduleConfig changes schedules in the YAML file and the environment (which wins),
// turns one off, and refuses unknown jobs and bad specs with the names to use.
func TestScheduleConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "guanjia.yaml")
	if err := os.WriteFile(path, []byte("schedules:\n  cleanup: \"0 3 * * *\"\n  timers: off\njob_history: 168h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(env(map[string]string{"GUANJIA_CONFIG": path}))
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "config", cfg.Redacted(), "job_history: 168h0m0s\nschedules:\n  timers: \"off\"\n  cleanup: \"0 3 * * *\"\n")
	cfg, err = loadConfig(env(map[string]string{"GUANJIA_CONFIG": path, "GUANJIA_SCHEDULE_CLEANUP": "15 2 * * *"}))
	if err != nil || cfg.Jobs.spec(schedules[1]) != "15 2 * * *" {
		t.Fatalf("env did not win: %v %v", cfg.Jobs.Schedules, err)
	}
	sched, err := newScheduler(cfg, nil, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai)
	if next := sched.Next("cleanup", from); !next.Equal(time.Date(2026, 11, 27, 2, 15, 0, 0, shanghai)) {
		t.Errorf("cleanup next = %s", next)
	}
	if next := sched.Next("timers", from); !next.IsZero() {
		t.Errorf("timers is off but next = %s", next)
	}
	_, err = loadConfig(env(map[string]string{"GUANJIA_SCHEDULE_CLEANUP": "every night", "GUANJIA_JOB_HISTORY": "10m"}))
	if err == nil {
		t.Fatal("a bad spec was accepted")
	}
	mustContain(t, "bad spec", err.Error(), "GUANJIA_SCHEDULE_CLEANUP「every night」不是有效的时间表", "GUANJIA_JOB_HISTORY 至少要 1h")
	if err := os.WriteFile(path, []byte("schedules:\n  fee-notices: \"0 9 1 * *\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = loadConfig(env(map[string]string{"GUANJIA_CONFIG": path}))
	if err == nil || !strings.Contains(err.Error(), "schedules 里的「fee-notices」不是定时任务的名字，可用的有：timers, cleanup, ") {
		t.Errorf("an unknown job: %v", err)
	}
}
