package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/flows"
	"github.com/guanjia/guanjia/flows/schedule"
	"github.com/guanjia/guanjia/storage/mongostore"
)

// jobLine is one line of the table of schedules.
type jobLine struct {
	// Name names the job in its records, in guanjia jobs and in the config
	// (schedules: {name: spec}, GUANJIA_SCHEDULE_<NAME>).
	Name string
	// Spec is the default schedule, in the office's time zone (see schedule.Job.Spec).
	Spec string
	// MaxLate is how long after its slot a run still means something (0: however late).
	MaxLate time.Duration
	// About says what it does, for guanjia jobs.
	About string
	// Run is the job, a plain method that tests call without a clock.
	Run func(e *jobEnv, ctx context.Context, at time.Time) (guanjia.JobResult, error)
}

// schedules is every job guanjia runs on a clock. A new job is one line here and one method
// of jobEnv.
var schedules = []jobLine{
	{Name: "timers", Spec: "@every 30s", MaxLate: 0, Run: (*jobEnv).sweepTimers,
		About: "触发到期的一次性定时（定时公告、稍后提醒、期限），每个只触发一次；失败的稍后重试"},
	{Name: "cleanup", Spec: "30 4 * * *", MaxLate: 6 * time.Hour, Run: (*jobEnv).cleanup,
		About: "删除超过保留期（job_history）的任务运行记录和已了结定时的记录"},
	{Name: "sla", Spec: "@every 1m", MaxLate: 0, Run: (*jobEnv).sla,
		About: "工单时限：到期前提醒经手人，超时私信主管并记入工单；回访 24 小时无回复转电话回访；交班未确认提醒接班人、再告知主管"},
	{Name: "morning-plan", Spec: "*/5 * * * *", MaxLate: time.Hour, Run: (*jobEnv).morningPlan,
		About: "岗前计划：每位管家上班时（默认 08:30，可按人设置）私信当天计划"},
	{Name: "events", Spec: "@every 5m", MaxLate: 2 * time.Hour, Run: (*jobEnv).events,
		About: "社区活动和问卷：定时邀请、截止前再邀请、活动前私信提醒、活动后请评价、给员工群发总结、问卷截止公布票数；每条只发一次"},
	{Name: "bills-generate", Spec: "0 * * * *", MaxLate: time.Hour, Run: (*jobEnv).generateBills,
		About: "按各小区的出账日和时间（bill_schedule，默认不设）生成当月账单；已有的账单不变"},
	{Name: "fee-notice", Spec: "0 10 * * *", MaxLate: 12 * time.Hour, Run: (*jobEnv).feeNotice,
		About: "把最新一期账单私信通知每户已绑定住户（每户每月一次，每户每天最多一条费用消息）；无人可通知的房号告诉楼栋管家"},
	{Name: "dunning", Spec: "30 10 * * *", MaxLate: 12 * time.Hour, Run: (*jobEnv).dunning,
		About: "催缴阶梯（到期日、+7、+15、+30 天）：私信提醒欠费住户，最后一步给楼栋管家电话/上门任务；已缴、暂停、承诺期内的不提醒"},
}

// timerKinds are the kinds of one-off timers guanjia fires, each with its handler: a feature
// that acts at a time of its own (an announcement at 18:00, a reminder in 10 minutes) adds
// its kind here and sets timers with Scheduler.AddTimer.
var timerKinds = []timerLine{
	{Kind: flows.TimerBroadcast, MaxLate: 0, Fire: (*jobEnv).sendBroadcast},
	{Kind: flows.TimerEmergencyRound, MaxLate: 0, Fire: (*jobEnv).emergencyRound},
	{Kind: flows.TimerRollCallEscalate, MaxLate: 0, Fire: (*jobEnv).escalateRollCall},
	{Kind: timerHeld, MaxLate: 12 * time.Hour, Fire: fireHeld},
}

// timerLine is one kind of timer: how late it may still fire, and what firing does.
type timerLine struct {
	Kind    string
	MaxLate time.Duration
	Fire    func(e *jobEnv, ctx context.Context, t guanjia.Timer) error
}

// jobEnv is what the jobs work with.
type jobEnv struct {
	cfg   Config
	log   *slog.Logger
	store *mongostore.Store
	sched *schedule.Scheduler
	// engine is the flows engine: what a proactive job says is worked out there, as a plain
	// method returning replies.
	engine *flows.Engine
	// out queues what the office says first (notices, reminders, alarms).
	out bot.Committer
}

// proactiveChannel marks, in the handled-message records, the messages the office sent first.
const proactiveChannel = "proactive"

// send queues replies once under key (e.g. "fee-notice@2026-12-01T09:00+08:00/sample:3-1-1201"):
// a job or timer that runs again after a crash, or on two instances, queues nothing twice. The
// key is remembered as long as handled messages are (three days by default), which is longer
// than any job is retried. It reports whether this call queued them.
func (e *jobEnv) send(ctx context.Context, key string, replies []bot.Reply) (bool, error) {
	if len(replies) == 0 {
		return false, nil
	}
	if e.out == nil {
		return false, fmt.Errorf("jobs: send %s: no outbound queue", key)
	}
	_, err := e.out.Commit(ctx, bot.Commit{Channel: proactiveChannel, MessageID: key, Replies: replies})
	if errors.Is(err, guanjia.ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("jobs: send %s: %w", key, err)
	}
	return true, nil
}

// newScheduler makes the scheduler of the table, with the specs the config gives.
func newScheduler(cfg Config, log *slog.Logger, st *mongostore.Store, engine *flows.Engine, out bot.Committer, now func() time.Time) (*schedule.Scheduler, error) {
	s := schedule.New(st, st, schedule.Options{Location: cfg.location(), Now: now, Log: log})
	env := &jobEnv{cfg: cfg, log: log, store: st, sched: s, engine: engine, out: out}
	if engine != nil {
		// A steward's 发缴费通知 sends by the rules of the fee-notice job.
		engine.Notices = env
	}
	for _, l := range schedules {
		err := s.Add(schedule.Job{Name: l.Name, Spec: cfg.Jobs.spec(l), About: l.About, MaxLate: l.MaxLate,
			Run: func(ctx context.Context, at time.Time) (guanjia.JobResult, error) { return l.Run(env, ctx, at) }})
		if err != nil {
			return nil, err
		}
	}
	for _, k := range timerKinds {
		err := s.Handle(schedule.TimerKind{Kind: k.Kind, MaxLate: k.MaxLate,
			Fire: func(ctx context.Context, t guanjia.Timer) error { return k.Fire(env, ctx, t) }})
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// startJobs starts the scheduler and returns what stops it, waiting for running jobs.
func (a *App) startJobs(ctx context.Context) (stop func()) {
	a.Scheduler.Start(ctx)
	return a.Scheduler.Stop
}

// sweepTimers fires the timers due by at.
func (e *jobEnv) sweepTimers(ctx context.Context, at time.Time) (guanjia.JobResult, error) {
	return e.sched.Sweep(ctx, at)
}

// cleanup removes the records of job runs and of timers done with, older than the history
// kept: FerretDB has no TTL indexes to do it.
func (e *jobEnv) cleanup(ctx context.Context, at time.Time) (guanjia.JobResult, error) {
	var res guanjia.JobResult
	cutoff := at.Add(-e.cfg.Jobs.History)
	n, err := e.store.DeleteJobRunsBefore(ctx, cutoff)
	if err != nil {
		return res, err
	}
	res.Add("job_runs", n)
	if n, err = e.store.DeleteTimerAttemptsBefore(ctx, cutoff); err != nil {
		return res, err
	}
	res.Add("timer_runs", n)
	return res, nil
}

// JobsConfig is the scheduler's part of Config.
type JobsConfig struct {
	// Schedules changes the spec of jobs by name; "off" leaves a job to guanjia jobs run.
	Schedules map[string]string `yaml:"schedules"`
	// History is how long records of job runs and fired timers are kept.
	History time.Duration `yaml:"job_history"`
}

func jobsDefaults() JobsConfig { return JobsConfig{History: 30 * 24 * time.Hour} }

// spec is the job's schedule: the configured one, or the table's.
func (c JobsConfig) spec(l jobLine) string {
	if s, ok := c.Schedules[l.Name]; ok && strings.TrimSpace(s) != "" {
		return strings.TrimSpace(s)
	}
	return l.Spec
}

// scheduleEnv is the environment variable of a job's spec: GUANJIA_SCHEDULE_CLEANUP.
func scheduleEnv(name string) string {
	return "GUANJIA_SCHEDULE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// fromEnv reads GUANJIA_JOB_HISTORY and each job's GUANJIA_SCHEDULE_<NAME>.
func (c *JobsConfig) fromEnv(getenv func(string) string) error {
	if v := strings.TrimSpace(getenv("GUANJIA_JOB_HISTORY")); v != "" {
		if err := setDuration(&c.History, v); err != nil {
			return fmt.Errorf("config: GUANJIA_JOB_HISTORY: %w", err)
		}
	}
	for _, l := range schedules {
		if v := strings.TrimSpace(getenv(scheduleEnv(l.Name))); v != "" {
			if c.Schedules == nil {
				c.Schedules = map[string]string{}
			}
			c.Schedules[l.Name] = v
		}
	}
	return nil
}

// problems lists what is wrong with the scheduler's settings.
func (c JobsConfig) problems() []string {
	var problems []string
	names := make([]string, len(schedules))
	for i, l := range schedules {
		names[i] = l.Name
	}
	for name, spec := range c.Schedules {
		if !slices.Contains(names, name) {
			problems = append(problems, fmt.Sprintf("schedules 里的「%s」不是定时任务的名字，可用的有：%s（no such job）", name, strings.Join(names, ", ")))
			continue
		}
		if spec = strings.TrimSpace(spec); spec != schedule.Off && spec != "" {
			if _, err := schedule.Parse(spec); err != nil {
				problems = append(problems, fmt.Sprintf("%s「%s」不是有效的时间表，请写成「30 4 * * *」「@every 30s」这样，或写 off（not a cron spec）", scheduleEnv(name), spec))
			}
		}
	}
	slices.Sort(problems)
	if c.History < time.Hour {
		problems = append(problems, "GUANJIA_JOB_HISTORY 至少要 1h（must be at least 1h）")
	}
	return problems
}

// String prints the effective schedules for guanjia config.
func (c JobsConfig) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "job_history: %s\nschedules:\n", c.History)
	for _, l := range schedules {
		fmt.Fprintf(&b, "  %s: %s\n", l.Name, strconv.Quote(c.spec(l)))
	}
	return b.String()
}
