package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/flows"
	"github.com/guanjia/guanjia/flows/schedule"
)

// The fee jobs: bills made on each community's day, the month's notices to every household's
// residents, and the daily sweep of the dunning ladder. Each reads a community in a few bulk
// reads (bills, payments, residents, chats, the fee messages so far), never household by
// household, and sends what flows works out once per key. Every fee message first claims its
// household's day (mongostore.ClaimFeeMessage): at most one a day, and a run again after a
// crash finds its own claims and queues nothing twice, skipping no one.

// FeesConfig tunes the fee jobs.
type FeesConfig struct {
	// BillSchedule is the day of the month and the time each community's bills are made
	// ("sample": "1 09:00"); a community not named has its bills made by hand (guanjia bills).
	BillSchedule map[string]string `yaml:"bill_schedule"`
	// DunningSteps are the ladders of the communities that have their own ("sample": "0,7,15,30").
	DunningSteps map[string]string `yaml:"dunning_steps"`
	// GroupLine is the general line residents' groups get when a month's bills are out; empty
	// (the default) says nothing in groups. It must name no home and no amount.
	GroupLine string `yaml:"fee_group_line"`
	// QuietHours are when no fee notice or reminder goes out ("21:00-08:00"); a job that runs
	// then is held to their end.
	QuietHours string `yaml:"quiet_hours"`
}

func feesDefaults() FeesConfig { return FeesConfig{QuietHours: "21:00-08:00"} }

// fromEnv reads GUANJIA_BILL_SCHEDULE ("sample=1 09:00;other=5 08:30"), GUANJIA_DUNNING_STEPS
// ("0,7,15,30" for every community, or "sample=0,7,15,30;other=0,10,20"),
// GUANJIA_FEE_GROUP_LINE and GUANJIA_QUIET_HOURS.
func (c *FeesConfig) fromEnv(getenv func(string) string) {
	if v := strings.TrimSpace(getenv("GUANJIA_BILL_SCHEDULE")); v != "" {
		c.BillSchedule = pairs(v)
	}
	if v := strings.TrimSpace(getenv("GUANJIA_DUNNING_STEPS")); v != "" {
		if strings.Contains(v, "=") {
			c.DunningSteps = pairs(v)
		} else {
			c.DunningSteps = map[string]string{"*": v}
		}
	}
	if v := strings.TrimSpace(getenv("GUANJIA_FEE_GROUP_LINE")); v != "" {
		c.GroupLine = v
	}
	if v := strings.TrimSpace(getenv("GUANJIA_QUIET_HOURS")); v != "" {
		c.QuietHours = v
	}
}

// pairs reads "a=x;b=y".
func pairs(s string) map[string]string {
	m := map[string]string{}
	for _, p := range strings.Split(s, ";") {
		k, v, _ := strings.Cut(p, "=")
		if k = strings.TrimSpace(k); k != "" {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

// problems lists what is wrong with the fee settings.
func (c FeesConfig) problems() []string {
	var problems []string
	for community, s := range c.BillSchedule {
		if _, _, _, err := parseBillDay(s); err != nil {
			problems = append(problems, fmt.Sprintf("小区 %s 的出账时间 bill_schedule「%s」要写每月几号（1 到 28）和时间，如「1 09:00」（day of the month and a time）", community, s))
		}
	}
	for community, s := range c.DunningSteps {
		if _, err := guanjia.ParseDunningSteps(s); err != nil {
			problems = append(problems, fmt.Sprintf("小区 %s 的催缴节点 dunning_steps「%s」要写到期后的天数，从小到大，如「0,7,15,30」（rising days after the due date）", community, s))
		}
	}
	if _, _, err := parseQuiet(c.QuietHours); err != nil {
		problems = append(problems, fmt.Sprintf("GUANJIA_QUIET_HOURS「%s」要写成 21:00-08:00 这样，或写 off（e.g. 21:00-08:00, or off）", c.QuietHours))
	}
	if privateData := strings.ContainsAny(c.GroupLine, "0123456789"); privateData {
		problems = append(problems, "GUANJIA_FEE_GROUP_LINE 发在群里，不能写房号和金额，请去掉其中的数字（must name no home and no amount）")
	}
	slices.Sort(problems)
	return problems
}

// steps are the ladders by community ("*": every other community), for the flows.
func (c FeesConfig) steps() map[string][]int {
	out := map[string][]int{}
	for k, v := range c.DunningSteps {
		if s, err := guanjia.ParseDunningSteps(v); err == nil {
			out[k] = s
		}
	}
	return out
}

// String prints the fee settings for guanjia config.
func (c FeesConfig) String() string {
	return fmt.Sprintf("fees:\n  quiet_hours: %q\n  fee_group_line: %q\n  bill_schedule: %s\n  dunning_steps: %s\n",
		c.QuietHours, c.GroupLine, joinPairs(c.BillSchedule, "off"), joinPairs(c.DunningSteps, "0,7,15,30"))
}

// joinPairs writes a map as "a=x;b=y", in order, or none when it is empty.
func joinPairs(m map[string]string, none string) string {
	if len(m) == 0 {
		return strconv.Quote(none)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		keys[i] = k + "=" + m[k]
	}
	return strconv.Quote(strings.Join(keys, ";"))
}

// parseBillDay reads "1 09:00".
func parseBillDay(s string) (day, hour, minute int, err error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, 0, 0, guanjia.ErrInvalid
	}
	day, err = strconv.Atoi(f[0])
	if err != nil || day < 1 || day > 28 {
		return 0, 0, 0, guanjia.ErrInvalid
	}
	t, err := time.Parse("15:04", f[1])
	if err != nil {
		return 0, 0, 0, guanjia.ErrInvalid
	}
	return day, t.Hour(), t.Minute(), nil
}

// parseQuiet reads "21:00-08:00" as minutes of the day; "off" or "" is none (from == to).
func parseQuiet(s string) (from, to int, err error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "off" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(s, "-")
	ta, err1 := time.Parse("15:04", strings.TrimSpace(a))
	tb, err2 := time.Parse("15:04", strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, guanjia.ErrInvalid
	}
	return ta.Hour()*60 + ta.Minute(), tb.Hour()*60 + tb.Minute(), nil
}

// quietUntil is the end of the quiet hours now is in, or zero when it is not in them.
func (c FeesConfig) quietUntil(now time.Time) time.Time {
	from, to, err := parseQuiet(c.QuietHours)
	if err != nil || from == to {
		return time.Time{}
	}
	m := now.Hour()*60 + now.Minute()
	in := from < to && m >= from && m < to || from > to && (m >= from || m < to)
	if !in {
		return time.Time{}
	}
	end := time.Date(now.Year(), now.Month(), now.Day(), to/60, to%60, 0, 0, now.Location())
	if !end.After(now) {
		end = end.AddDate(0, 0, 1)
	}
	return end
}

// timerHeld is the kind of timer that runs a fee job held by the quiet hours at their end.
const timerHeld = "fee-held"

// held holds a fee job that would speak in the quiet hours: a timer runs it at their end. A
// run by hand (guanjia jobs run) is the office's own decision and is not held.
func (e *jobEnv) held(ctx context.Context, job string, at time.Time) (guanjia.JobResult, bool, error) {
	if t, ok := schedule.TriggerOf(ctx); ok && t == guanjia.TriggerManual {
		return guanjia.JobResult{}, false, nil
	}
	now := e.engine.Now().In(e.cfg.location())
	end := e.cfg.Fees.quietUntil(now)
	if end.IsZero() {
		return guanjia.JobResult{}, false, nil
	}
	if _, err := e.sched.AddTimer(ctx, timerHeld, job+"@"+at.UTC().Format(time.RFC3339), end, map[string]string{"job": job}); err != nil {
		return guanjia.JobResult{}, true, err
	}
	return guanjia.JobResult{Note: "安静时段，顺延到 " + end.Format("01-02 15:04")}, true, nil
}

// fireHeld runs a held fee job.
func fireHeld(e *jobEnv, ctx context.Context, t guanjia.Timer) error {
	for _, l := range schedules {
		if l.Name == t.Data["job"] {
			_, err := l.Run(e, ctx, t.Due)
			return err
		}
	}
	return fmt.Errorf("fee-held: no job %q", t.Data["job"])
}

// generateBills makes the bills of the communities whose bill day and time is at's hour.
func (e *jobEnv) generateBills(ctx context.Context, at time.Time) (guanjia.JobResult, error) {
	var res guanjia.JobResult
	at = at.In(e.cfg.location())
	for community, s := range e.cfg.Fees.BillSchedule {
		day, hour, _, err := parseBillDay(s)
		if err != nil || at.Day() != day || at.Hour() != hour {
			continue
		}
		run, err := e.store.GenerateCommunityBills(ctx, community, at.Format("2006-01"), at)
		if err != nil {
			return res, err
		}
		res.Add("created", run.Created)
		res.Add("existing", run.Existing)
		e.log.Info("bills generated", "community", community, "period", run.Period, "created", run.Created)
	}
	return res, nil
}

// feeKey is the key a household's fee message of one day is queued under: the day's claim
// makes it one message, whichever job or steward made it.
func feeKey(community, household, day string) string {
	return "fee@" + day + "/" + community + "/" + household
}

// recipientsOf groups a community's reachable residents by household.
func recipientsOf(residents []guanjia.Person, chats map[string][]guanjia.Chat) map[string][]flows.Recipient {
	by := map[string][]flows.Recipient{}
	for _, r := range residents {
		if r.Household != "" && len(chats[r.ID]) > 0 {
			by[r.Household] = append(by[r.Household], flows.Recipient{Person: r, Chats: chats[r.ID]})
		}
	}
	return by
}

// communityView is what the fee jobs read of a community, in bulk.
type communityView struct {
	id       string
	owing    map[string][]guanjia.Arrear
	to       map[string][]flows.Recipient
	sent     map[string][]guanjia.FeeMessage // by household
	howToPay map[string]string
}

// view reads a community for the fee jobs; before, if set, limits what is owed to the periods
// before it.
func (e *jobEnv) view(ctx context.Context, community string, since time.Time, before string) (communityView, error) {
	v := communityView{id: community, sent: map[string][]guanjia.FeeMessage{}}
	var err error
	if v.owing, err = e.store.ArrearsBefore(ctx, community, before); err != nil {
		return v, err
	}
	residents, err := e.store.PeopleByRole(ctx, community, guanjia.RoleResident)
	if err != nil {
		return v, err
	}
	chats, err := e.store.PrivateChatsOf(ctx, community)
	if err != nil {
		return v, err
	}
	v.to = recipientsOf(residents, chats)
	msgs, err := e.store.FeeMessages(ctx, community, since)
	if err != nil {
		return v, err
	}
	for _, m := range msgs {
		v.sent[m.Household] = append(v.sent[m.Household], m)
	}
	v.howToPay, err = e.engine.HowToPay(ctx, community)
	return v, err
}

// sentFor finds the household's message of a purpose.
func sentFor(list []guanjia.FeeMessage, purpose string) (guanjia.FeeMessage, bool) {
	i := slices.IndexFunc(list, func(m guanjia.FeeMessage) bool { return m.Purpose == purpose })
	if i < 0 {
		return guanjia.FeeMessage{}, false
	}
	return list[i], true
}

// keyedSend is a set of replies to queue under a key.
type keyedSend struct {
	key     string
	replies []bot.Reply
}

// sendWorkers is how many sends to the queue are under way at once: a send waits on Redis
// round trips, not on the processor, so a few at once queue ten thousand notices in seconds.
const sendWorkers = 8

// sendAll queues each under its key, a few at once; it reports which were queued now.
func (e *jobEnv) sendAll(ctx context.Context, list []keyedSend) ([]bool, error) {
	sent := make([]bool, len(list))
	errs := make([]error, len(list))
	workers := sendWorkers
	if len(list) < 100 {
		workers = 1 // a few are queued in household order, as people would read them
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(list)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				sent[i], errs[i] = e.send(ctx, list[i].key, list[i].replies)
			}
		}()
	}
	for i := range list {
		next <- i
	}
	close(next)
	wg.Wait()
	return sent, errors.Join(errs...)
}
