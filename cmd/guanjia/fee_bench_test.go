package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/storage/mongostore"
)

// The fee benchmarks run on the embedded FerretDB in the benchmark's own data folder, as the
// zero-setup default runs it. Their default size is small, so that a plain -bench run is
// short; GUANJIA_BENCH_HOUSEHOLDS sets it (the README's figures are for 100000, and 10000
// for the notices). CI runs no benchmarks.

// benchHouseholds is the number of households of a fee benchmark.
func benchHouseholds(b *testing.B, def int) int {
	if v := os.Getenv("GUANJIA_BENCH_HOUSEHOLDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("GUANJIA_BENCH_HOUSEHOLDS=%q: want a positive number", v)
		}
		return n
	}
	return def
}

// benchCommunity makes a community of n households (10 buildings) with rates and this
// month's readings; reachable of them have a resident bound with a private chat.
func benchCommunity(b *testing.B, n, reachable int) (*feeBench, func()) {
	b.Helper()
	cfg := testConfig(b)
	cfg.MongoURI = "" // the embedded store in the benchmark's data folder
	ctx := context.Background()
	clk := newClock()
	cfg.now = clk.Now
	a, err := Open(ctx, cfg, slog.New(slog.DiscardHandler), clk.Now)
	if err != nil {
		b.Fatal(err)
	}
	st := a.Store
	const c = "bench"
	rates := guanjia.Rates{PropertyPerM2: 250, ParkingPerSpace: 30000, WaterPerUnit: 420, ElectricityPerUnit: 62, DueDay: 15}
	if _, err := st.Collection("communities").InsertOne(ctx, guanjia.Community{ID: c, Name: "压测小区",
		Buildings: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, Rates: rates}); err != nil {
		b.Fatal(err)
	}
	var homes, readings, people, chats []any
	flush := func(coll string, docs *[]any) {
		if len(*docs) == 0 {
			return
		}
		if _, err := st.Collection(coll).InsertMany(ctx, *docs, options.InsertMany().SetOrdered(false)); err != nil {
			b.Fatal(err)
		}
		*docs = (*docs)[:0]
	}
	for i := range n {
		code := fmt.Sprintf("%d-%d-%d", i%10+1, i/10%4+1, 101+i/40)
		homes = append(homes, guanjia.Household{ID: guanjia.HouseholdID(c, code), Community: c, Code: code,
			Building: i%10 + 1, AreaCenti: 9000 + int64(i%50)*100, ParkingSpaces: i % 2})
		for _, kind := range []string{guanjia.FeeWater, guanjia.FeeElectricity} {
			readings = append(readings, mongostore.Reading{ID: mongostore.ReadingID(c, code, "2026-11", kind), Community: c,
				Household: code, Period: "2026-11", Kind: kind, PreviousCenti: 100000, CurrentCenti: 101200 + int64(i%7)*100})
		}
		if i < reachable {
			id := "bench-r" + strconv.Itoa(i)
			people = append(people, guanjia.Person{ID: id, Name: "住户" + strconv.Itoa(i), Community: c,
				Roles: []guanjia.Role{guanjia.RoleResident}, Household: code})
			chats = append(chats, guanjia.Chat{ID: guanjia.ChatID("console", id), Channel: "console", PlatformID: id,
				Name: id, Role: guanjia.ChatPrivate, Community: c, Person: id})
		}
		if len(homes) >= 5000 {
			flush("households", &homes)
			flush("readings", &readings)
			flush("people", &people)
			flush("chats", &chats)
		}
	}
	flush("households", &homes)
	flush("readings", &readings)
	flush("people", &people)
	flush("chats", &chats)
	// As a running guanjia has them after a restart: every collection with its _id index
	// (embedded.IndexIDs), also those made after the first start.
	for _, coll := range []string{"bills", "ledgers", "payments", "fee_messages", "dunning_actions", "timers"} {
		_ = st.Collection(coll).Database().CreateCollection(ctx, coll)
	}
	if err := a.Close(); err != nil {
		b.Fatal(err)
	}
	if a, err = Open(ctx, cfg, slog.New(slog.DiscardHandler), clk.Now); err != nil {
		b.Fatal(err)
	}
	st = a.Store
	env := &jobEnv{cfg: cfg, log: slog.New(slog.DiscardHandler), store: st, sched: a.Scheduler, engine: a.Engine, out: a.Outbox}
	return &feeBench{app: a, env: env, clk: clk, community: c}, func() { _ = a.Close() }
}

type feeBench struct {
	app       *App
	env       *jobEnv
	clk       *clock
	community string
}

// BenchmarkGenerateBills makes a month's bills for every household of a community.
func BenchmarkGenerateBills(b *testing.B) {
	n := benchHouseholds(b, 2000)
	f, done := benchCommunity(b, n, 0)
	defer done()
	ctx := context.Background()
	var took time.Duration
	for b.Loop() {
		start := time.Now()
		run, err := f.app.Store.GenerateCommunityBills(ctx, f.community, "2026-11", f.clk.Now())
		took += time.Since(start)
		if err != nil || run.Created+run.Existing != n {
			b.Fatalf("generate: %+v, %v", run, err)
		}
	}
	b.ReportMetric(took.Seconds()/float64(b.N), "s/run")
	b.ReportMetric(float64(n), "households")
}

// BenchmarkDunningSweep runs the daily sweep of the ladder a week past the due date over a
// community where every household owes and one in ten can be reminded.
func BenchmarkDunningSweep(b *testing.B) {
	n := benchHouseholds(b, 2000)
	f, done := benchCommunity(b, n, n/10)
	defer done()
	ctx := context.Background()
	if _, err := f.app.Store.GenerateCommunityBills(ctx, f.community, "2026-11", f.clk.Now()); err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 12, 23, 10, 0, 0, 0, shanghai)
	f.clk.Advance(at.Sub(f.clk.Now()))
	var took time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		var res guanjia.JobResult
		err := f.env.sweepCommunity(ctx, f.community, at.AddDate(0, 0, i), &res)
		took += time.Since(start)
		if err != nil || i == 0 && res.Counts["step_2"] != n/10 {
			b.Fatalf("sweep: %v, %v", res.Counts, err)
		}
	}
	b.ReportMetric(took.Seconds()/float64(b.N), "s/sweep")
	b.ReportMetric(float64(n), "households")
}

// BenchmarkFeeNotices queues the month's notices of every household, each with a resident
// who can be told.
func BenchmarkFeeNotices(b *testing.B) {
	n := benchHouseholds(b, 1000)
	f, done := benchCommunity(b, n, n)
	defer done()
	ctx := context.Background()
	if _, err := f.app.Store.GenerateCommunityBills(ctx, f.community, "2026-11", f.clk.Now()); err != nil {
		b.Fatal(err)
	}
	var took time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		c, err := f.env.noticeCommunity(ctx, f.community, "2026-11", f.clk.Now(), 0, false)
		took += time.Since(start)
		if err != nil || i == 0 && c.Sent != n {
			b.Fatalf("notices: %+v, %v", c, err)
		}
	}
	b.ReportMetric(took.Seconds()/float64(b.N), "s/run")
	b.ReportMetric(float64(n), "households")
}
