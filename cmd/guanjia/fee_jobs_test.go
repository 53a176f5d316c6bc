package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot/console"
	"github.com/guanjia/guanjia/bot/outbox"
	"github.com/guanjia/guanjia/flows"
	"github.com/guanjia/guanjia/storage/mongostore"
)

// feeApp is an app whose outbound queue is not running yet: what the jobs queue waits, as it
// would behind a long queue, until start.
type feeApp struct {
	*App
	env *jobEnv
	out *bytes.Buffer
	clk *clock
}

func openFeeApp(t *testing.T, cfg Config) *feeApp {
	t.Helper()
	ctx := context.Background()
	clk := newClock()
	cfg.now = clk.Now
	a, err := Open(ctx, cfg, slog.New(slog.DiscardHandler), clk.Now)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = a.Close() })
	if err := a.Store.SeedAt(ctx, clk.Now()); err != nil {
		t.Fatal(err)
	}
	out := &bytes.Buffer{}
	a.Attach(console.New(nil, out, clk.Now), outbox.ConsoleLimits())
	if _, err := a.Store.GenerateCommunityBills(ctx, mongostore.SampleCommunity, "2026-11", clk.Now()); err != nil {
		t.Fatal(err)
	}
	return &feeApp{App: a, out: out, clk: clk,
		env: &jobEnv{cfg: cfg, log: slog.New(slog.DiscardHandler), store: a.Store, sched: a.Scheduler, engine: a.Engine, out: a.Outbox}}
}

// deliver runs the outbound queue until it is empty and returns what was shown.
func (f *feeApp) deliver(t *testing.T) string {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = f.Outbox.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := f.Outbox.Depth(ctx, "console")
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	<-done
	return f.out.String()
}

// A reminder is checked again just before it is sent: a payment recorded while it waited in
// the queue, at the same moment as the sweep or after it, stops it; the home that still owes
// is reminded.
func TestReminderStopsWhenPaidMeanwhile(t *testing.T) {
	f := openFeeApp(t, testConfig(t))
	ctx := context.Background()
	f.clk.Advance(27 * 24 * time.Hour) // 2026-12-23, a week past the due date
	at := f.clk.Now()
	var wg sync.WaitGroup
	var sweepErr, payErr error
	wg.Add(2)
	go func() { defer wg.Done(); _, sweepErr = f.env.dunning(ctx, at) }()
	go func() {
		defer wg.Done()
		payErr = f.Store.RecordPayment(ctx, guanjia.Payment{Community: mongostore.SampleCommunity, Household: "3-1-1201",
			Period: "2026-11", Amount: 76821, At: at, By: "import", Ref: "bank-1"})
	}()
	wg.Wait()
	if sweepErr != nil || payErr != nil {
		t.Fatalf("sweep: %v; payment: %v", sweepErr, payErr)
	}
	got := f.deliver(t)
	if strings.Contains(got, "[张三]") {
		t.Errorf("张三 paid while the reminder waited, and was reminded:\n%s", got)
	}
	if !strings.Contains(got, "[李奶奶] 您好，房屋 1-1-101 的费用已超过缴费期限") {
		t.Errorf("李奶奶 still owes and was not reminded:\n%s", got)
	}
}

// A notice job that stopped in the middle (one household claimed and queued, one claimed but
// not queued, one not reached) is run again: every household hears once, none twice.
func TestFeeNoticeRestartMidway(t *testing.T) {
	f := openFeeApp(t, testConfig(t))
	ctx := context.Background()
	at := f.clk.Now()
	day := f.Engine.Day(at)
	purpose := guanjia.NoticePurpose("2026-11")
	// The run before the crash: 1-1-101 claimed and queued, 2-2-502 claimed only.
	for _, h := range []string{"1-1-101", "2-2-502"} {
		if _, ok, err := f.Store.ClaimFeeMessage(ctx, guanjia.FeeMessage{Community: mongostore.SampleCommunity,
			Household: h, Day: day, Purpose: purpose, At: at}); err != nil || !ok {
			t.Fatalf("claim %s: %v %v", h, ok, err)
		}
	}
	bill, err := f.Store.Bill(ctx, mongostore.SampleCommunity, "1-1-101", "2026-11")
	if err != nil {
		t.Fatal(err)
	}
	first, err := f.Engine.FeeNoticeReplies(flowsNotice(bill, at), recipientsFor(t, f, "1-1-101"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.env.send(ctx, feeKey(mongostore.SampleCommunity, "1-1-101", day), first); err != nil {
		t.Fatal(err)
	}
	// After the restart, an hour later.
	res, err := f.env.feeNotice(ctx, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts["sent"] != 2 || res.Counts["already"] != 1 {
		t.Errorf("counts = %v, want 2 sent (2-2-502, 3-1-1201) and 1 already (1-1-101)", res.Counts)
	}
	got := f.deliver(t)
	for _, who := range []string{"[李奶奶] 您好，房屋 1-1-101", "[李四] 您好，房屋 2-2-502", "[张三] 您好，房屋 3-1-1201"} {
		if n := strings.Count(got, who); n != 1 {
			t.Errorf("%s… shown %d times, want once:\n%s", who, n, got)
		}
	}
}

// Fee messages are held in the quiet hours: a run at night sends nothing and is run again by a
// timer at their end.
func TestFeeNoticeHeldInQuietHours(t *testing.T) {
	f := openFeeApp(t, testConfig(t))
	ctx := context.Background()
	f.clk.Advance(13 * time.Hour) // 22:00
	res, err := f.env.feeNotice(ctx, f.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Counts) != 0 || !strings.Contains(res.Note, "11-27 08:00") {
		t.Fatalf("result = %+v, want held until 08:00", res)
	}
	f.clk.Advance(10 * time.Hour) // 08:00 the next day
	if _, err := f.Scheduler.Sweep(ctx, f.clk.Now()); err != nil {
		t.Fatal(err)
	}
	got := f.deliver(t)
	if n := strings.Count(got, "的账单已出"); n != 3 {
		t.Errorf("%d notices after the quiet hours, want 3:\n%s", n, got)
	}
}

// A residents' group gets at most the office's general line, never an amount or a home; homes
// no one can be told are listed to the building's steward, homes only.
func TestFeeNoticeGroupLineAndUnreachable(t *testing.T) {
	cfg := testConfig(t)
	cfg.Fees.GroupLine = "本月账单已出，请私聊我查询"
	f := openFeeApp(t, cfg)
	ctx := context.Background()
	if err := f.Store.PutHousehold(ctx, guanjia.Household{ID: guanjia.HouseholdID(mongostore.SampleCommunity, "3-2-801"),
		Community: mongostore.SampleCommunity, Code: "3-2-801", Building: 3, AreaCenti: 9000}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Store.GenerateCommunityBills(ctx, mongostore.SampleCommunity, "2026-11", f.clk.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := f.env.feeNotice(ctx, f.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts["unreachable"] != 1 {
		t.Errorf("counts = %v, want 1 unreachable", res.Counts)
	}
	got := f.deliver(t)
	if !strings.Contains(got, "[3号楼业主群] 本月账单已出，请私聊我查询\n") {
		t.Errorf("the group did not get the general line:\n%s", got)
	}
	if !strings.Contains(got, "[王管家] 2026年11月缴费通知：以下 1 户没有可私信的已绑定住户，请线下通知（3 号楼）：\n  3-2-801\n") {
		t.Errorf("the steward was not told the home no one can be reached for:\n%s", got)
	}
	if leaks := residentGroupLeaks(got); len(leaks) > 0 {
		t.Errorf("private data in a residents' group: %q", leaks)
	}
}

// A steward given no building looks after every building: homes no one can be told reach them
// too, as tickets do.
func TestFeeNoticeUnreachableToStewardOfAllBuildings(t *testing.T) {
	f := openFeeApp(t, testConfig(t))
	ctx := context.Background()
	sun, err := f.Store.Person(ctx, "p-sun")
	if err != nil {
		t.Fatal(err)
	}
	sun.Buildings = nil
	if err := f.Store.PutPerson(ctx, sun); err != nil {
		t.Fatal(err)
	}
	if err := f.Store.PutHousehold(ctx, guanjia.Household{ID: guanjia.HouseholdID(mongostore.SampleCommunity, "3-2-801"),
		Community: mongostore.SampleCommunity, Code: "3-2-801", Building: 3, AreaCenti: 9000}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Store.GenerateCommunityBills(ctx, mongostore.SampleCommunity, "2026-11", f.clk.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.env.feeNotice(ctx, f.clk.Now()); err != nil {
		t.Fatal(err)
	}
	got := f.deliver(t)
	for _, who := range []string{"王管家", "孙管家"} {
		if !strings.Contains(got, "["+who+"] 2026年11月缴费通知：以下 1 户没有可私信的已绑定住户") {
			t.Errorf("%s was not told the home no one can be reached for:\n%s", who, got)
		}
	}
}

func flowsNotice(b guanjia.Bill, at time.Time) flows.FeeNotice {
	return flows.FeeNotice{Bill: b, At: at, HowToPay: map[string]string{"zh": "到服务中心缴费", "en": "at the office"}}
}

func recipientsFor(t *testing.T, f *feeApp, household string) []flows.Recipient {
	t.Helper()
	ctx := context.Background()
	residents, err := f.Store.PeopleByRole(ctx, mongostore.SampleCommunity, guanjia.RoleResident)
	if err != nil {
		t.Fatal(err)
	}
	chats, err := f.Store.PrivateChatsOf(ctx, mongostore.SampleCommunity)
	if err != nil {
		t.Fatal(err)
	}
	return recipientsOf(residents, chats)[household]
}

// A steward sends a month's notices now for one building, after a preview and a confirm; the
// job later tells the other homes and nobody twice.
func TestFeeNoticeByStewardForm(t *testing.T) {
	var out bytes.Buffer
	clk := newClock()
	cfg := testConfig(t)
	cfg.now = clk.Now
	app := openTestApp(t, cfg, clk, &out)
	defer func() { _ = app.Close() }()
	ctx := context.Background()
	if _, err := app.Store.GenerateCommunityBills(ctx, mongostore.SampleCommunity, "2026-11", clk.Now()); err != nil {
		t.Fatal(err)
	}
	app.say(t, "王管家@员工群: 发缴费通知 2026-11 3")
	if !strings.Contains(out.String(), "2026年11月缴费通知（3 号楼）：共 1 户有账单，其中 1 户可私信通知。") {
		t.Fatalf("no preview:\n%s", out.String())
	}
	app.say(t, "王管家@员工群: 确认提交")
	app.drain(t)
	env := &jobEnv{cfg: cfg, log: slog.New(slog.DiscardHandler), store: app.Store, sched: app.Scheduler, engine: app.Engine, out: app.Outbox}
	res, err := env.feeNotice(ctx, clk.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts["sent"] != 2 || res.Counts["already"] != 1 {
		t.Errorf("job counts = %v, want 2 sent and 1 already", res.Counts)
	}
	app.drain(t)
	got := out.String()
	if !strings.Contains(got, "已安排2026年11月缴费通知：1 户正在私信发送。") {
		t.Errorf("the steward was not told what was sent:\n%s", got)
	}
	for _, who := range []string{"[李奶奶] 您好，房屋 1-1-101", "[李四] 您好，房屋 2-2-502", "[张三] 您好，房屋 3-1-1201"} {
		if n := strings.Count(got, who); n != 1 {
			t.Errorf("%s… shown %d times, want once:\n%s", who, n, got)
		}
	}
}

// Bills are made on the community's own day and hour, and not at another hour; none is
// scheduled by default.
func TestBillsOnTheirDay(t *testing.T) {
	cfg := testConfig(t)
	f := openFeeApp(t, cfg) // its bills of 2026-11 exist: the run reports them as existing
	ctx := context.Background()
	res, err := f.env.generateBills(ctx, f.clk.Now())
	if err != nil || len(res.Counts) != 0 {
		t.Fatalf("without a bill_schedule: %v, %v; want nothing done", res.Counts, err)
	}
	f.env.cfg.Fees.BillSchedule = map[string]string{mongostore.SampleCommunity: "1 09:00"}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai)
	if res, err = f.env.generateBills(ctx, at.Add(time.Hour)); err != nil || len(res.Counts) != 0 {
		t.Fatalf("at 10:00: %v, %v; want nothing done", res.Counts, err)
	}
	f.clk.Advance(at.Sub(f.clk.Now()))
	if res, err = f.env.generateBills(ctx, at); err != nil || res.Counts["created"] != 3 {
		t.Fatalf("on 12-01 09:00: %v, %v; want December's 3 bills", res.Counts, err)
	}
	if _, err := f.Store.Bill(ctx, mongostore.SampleCommunity, "3-1-1201", "2026-12"); err != nil {
		t.Errorf("December's bill: %v", err)
	}
}

// The fee settings are checked at start: a bad ladder, bill day, quiet hours or a group line
// with digits in it is refused with what to write instead.
func TestFeesConfigProblems(t *testing.T) {
	c := FeesConfig{BillSchedule: map[string]string{"sample": "31 9点"}, DunningSteps: map[string]string{"sample": "7,0"},
		QuietHours: "晚上", GroupLine: "3-1-1201 欠 768.21"}
	if got := c.problems(); len(got) != 4 {
		t.Errorf("problems = %q, want 4", got)
	}
	if got := feesDefaults().problems(); len(got) != 0 {
		t.Errorf("defaults have problems: %q", got)
	}
	loc := shanghai
	d := feesDefaults()
	if end := d.quietUntil(time.Date(2026, 11, 26, 23, 0, 0, 0, loc)); !end.Equal(time.Date(2026, 11, 27, 8, 0, 0, 0, loc)) {
		t.Errorf("23:00 is quiet until %v, want 08:00 the next day", end)
	}
	if end := d.quietUntil(time.Date(2026, 11, 26, 7, 59, 0, 0, loc)); !end.Equal(time.Date(2026, 11, 26, 8, 0, 0, 0, loc)) {
		t.Errorf("07:59 is quiet until %v, want 08:00", end)
	}
	if end := d.quietUntil(time.Date(2026, 11, 26, 10, 0, 0, 0, loc)); !end.IsZero() {
		t.Errorf("10:00 is quiet until %v, want not quiet", end)
	}
}

// A run by hand (guanjia jobs run) in the quiet hours is the office's decision: not held.
func TestFeeNoticeByHandNotHeld(t *testing.T) {
	f := openFeeApp(t, testConfig(t))
	ctx := context.Background()
	f.clk.Advance(15*time.Hour + 30*time.Minute) // 00:30
	run, ran, err := f.Scheduler.RunAt(ctx, "fee-notice", f.clk.Now())
	if err != nil || !ran || run.Counts["sent"] != 3 {
		t.Fatalf("run by hand at 00:30: %+v, %v, %v; want 3 sent", run, ran, err)
	}
}

// A ladder set for every community holds for a community added after start, while one with
// its own ladder keeps it.
func TestDunningStepsForEveryCommunityHoldForNewOnes(t *testing.T) {
	cfg := testConfig(t)
	cfg.Fees.fromEnv(func(k string) string {
		if k == "GUANJIA_DUNNING_STEPS" {
			return "*=0,10,20,40;own=0,5"
		}
		return ""
	})
	var out bytes.Buffer
	app := openTestApp(t, cfg, newClock(), &out)
	defer func() { _ = app.Close() }()
	for community, want := range map[string]string{"added-later": "[0 10 20 40]", "own": "[0 5]", mongostore.SampleCommunity: "[0 10 20 40]"} {
		if got := fmt.Sprint(app.Engine.DunningSteps(community)); got != want {
			t.Errorf("%s: ladder %s, want %s", community, got, want)
		}
	}
}
