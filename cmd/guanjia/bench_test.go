package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/outbox"
	"github.com/guanjia/guanjia/storage/mongostore"
)

// nullChannel accepts every message at once, so a benchmark measures guanjia, not a network.
type nullChannel struct{ name string }

func (n nullChannel) Name() string                               { return n.name }
func (n nullChannel) Run(ctx context.Context, _ bot.Inbox) error { <-ctx.Done(); return nil }
func (n nullChannel) Send(context.Context, bot.Reply) error      { return nil }

// benchApp opens the app on real Redis and its own embedded FerretDB, as the zero-setup
// default runs, with a null channel.
func benchApp(b testing.TB) (*App, func()) {
	b.Helper()
	cfg := testConfig(b)
	cfg.MongoURI = "" // the embedded store in the benchmark's data folder
	ctx, cancel := context.WithCancel(context.Background())
	app, err := Open(ctx, cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := app.Store.Seed(ctx); err != nil {
		b.Fatal(err)
	}
	group := guanjia.Chat{Channel: "bench", PlatformID: "building-3", Name: "3号楼业主群", Role: guanjia.ChatBuilding,
		Community: mongostore.SampleCommunity, Buildings: []int{3}}
	if err := app.Store.PutChat(ctx, group); err != nil {
		b.Fatal(err)
	}
	app.Attach(nullChannel{name: "bench"}, outbox.Limits{Concurrency: 8})
	done := make(chan struct{})
	go func() { defer close(done); _ = app.Outbox.Run(ctx) }()
	return app, func() { cancel(); <-done; _ = app.Close() }
}

// BenchmarkInboundRepairFlow files complete repair reports (seven messages each, from many
// residents at once) through the mux, the flows, real Redis and the embedded FerretDB.
func BenchmarkInboundRepairFlow(b *testing.B) {
	app, stop := benchApp(b)
	defer stop()
	ctx := context.Background()
	steps := []string{"报修", "3-1-1201", "1", "厨房水管漏水了", "跳过", "1", "1"}
	var seq atomic.Int64
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			person := fmt.Sprint("resident-", seq.Add(1))
			for _, text := range steps {
				m := bot.Message{Channel: "bench", ID: fmt.Sprint("update-", seq.Add(1)), ChatID: "building-3",
					ChatName: "3号楼业主群", Group: true, SenderID: person, SenderName: person, Text: text}
				<-app.Mux.Deliver(ctx, m)
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	filed, err := app.Store.ListTickets(ctx, mongostore.TicketFilter{Community: mongostore.SampleCommunity})
	if err != nil || len(filed) != b.N {
		b.Fatalf("%d tickets filed for %d reports (%v)", len(filed), b.N, err)
	}
	b.ReportMetric(float64(b.N*len(steps))/elapsed.Seconds(), "updates/s")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "reports/s")
}

// BenchmarkOutboundThroughput queues and sends messages through the Redis queue, unpaced.
func BenchmarkOutboundThroughput(b *testing.B) {
	app, stop := benchApp(b)
	defer stop()
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	const batch = 100
	for i := 0; i < b.N; i += batch {
		replies := make([]bot.Reply, 0, batch)
		for j := range min(batch, b.N-i) {
			replies = append(replies, bot.Reply{Channel: "bench", ChatID: fmt.Sprint("chat-", j%50), Text: "通知"})
		}
		done, err := app.Outbox.Enqueue(ctx, replies)
		if err != nil {
			b.Fatal(err)
		}
		<-done
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkFeeQuestion answers 张三's "账单" in a community of 200 more homes with a year of
// bills each: the answer reads his bill, bills and payments among 2 400.
func BenchmarkFeeQuestion(b *testing.B) {
	app, stop := benchApp(b)
	defer stop()
	ctx := context.Background()
	for i := range 200 {
		h := guanjia.Household{Community: mongostore.SampleCommunity, Code: fmt.Sprintf("%d-%d-%d", 4+i/100, 1+i%2, 101+i%100),
			Building: 4 + i/100, AreaCenti: 9000}
		if err := app.Store.PutHousehold(ctx, h); err != nil {
			b.Fatal(err)
		}
	}
	now := time.Now()
	for m := 11; m >= 0; m-- {
		period := time.Date(now.Year(), now.Month()-time.Month(m), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
		if _, err := app.Store.GenerateCommunityBills(ctx, mongostore.SampleCommunity, period, now); err != nil {
			b.Fatal(err)
		}
	}
	if err := app.Store.PutIdentity(ctx, guanjia.Identity{Channel: "bench", PlatformID: "zhang", Person: "p-zhangsan"}); err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		m := bot.Message{Channel: "bench", ID: fmt.Sprint("fee-", seq.Add(1)), ChatID: "zhang", ChatName: "张三",
			SenderID: "zhang", SenderName: "张三", Text: "账单"}
		<-app.Mux.Deliver(ctx, m)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "answers/s")
}

// BenchmarkSubmitFiftyAtOnce brings 50 residents to the summary of a repair report and has
// them all press 确认提交 at the same moment; it reports the time from a confirmation's arrival
// to its outcome being committed (ticket filed, number queued, conversation ended), p50 and p99.
// The residents write in their building's group, or each in a private chat.
func BenchmarkSubmitFiftyAtOnce(b *testing.B) {
	b.Run("group", func(b *testing.B) { benchSubmitFifty(b, true) })
	b.Run("private", func(b *testing.B) { benchSubmitFifty(b, false) })
}

func benchSubmitFifty(b *testing.B, group bool) {
	app, stop := benchApp(b)
	defer stop()
	ctx := context.Background()
	const residents = 50
	steps := []string{"报修", "3-1-1201", "1", "厨房水管漏水了", "跳过", "1"}
	var seq atomic.Int64
	msg := func(person, text string) bot.Message {
		if !group {
			return bot.Message{Channel: "bench", ID: fmt.Sprint("update-", seq.Add(1)), ChatID: person,
				ChatName: person, SenderID: person, SenderName: person, Text: text}
		}
		return bot.Message{Channel: "bench", ID: fmt.Sprint("update-", seq.Add(1)), ChatID: "building-3",
			ChatName: "3号楼业主群", Group: true, SenderID: person, SenderName: person, Text: text}
	}
	var took []time.Duration
	var cpu time.Duration
	b.ResetTimer()
	for round := range b.N {
		b.StopTimer()
		people := make([]string, residents)
		var wg sync.WaitGroup
		for i := range people {
			people[i] = fmt.Sprintf("resident-%d-%d", round, i)
			wg.Go(func() {
				for _, text := range steps {
					<-app.Mux.Deliver(ctx, msg(people[i], text))
				}
			})
		}
		wg.Wait()
		b.StartTimer()
		cpu0 := processCPU()
		times := make([]time.Duration, residents)
		for i := range people {
			wg.Go(func() {
				start := time.Now()
				<-app.Mux.Deliver(ctx, msg(people[i], "1"))
				times[i] = time.Since(start)
			})
		}
		wg.Wait()
		cpu += processCPU() - cpu0
		took = append(took, times...)
	}
	b.StopTimer()
	filed, err := app.Store.ListTickets(ctx, mongostore.TicketFilter{Community: mongostore.SampleCommunity})
	if err != nil || len(filed) != b.N*residents {
		b.Fatalf("%d tickets filed for %d confirmations (%v)", len(filed), b.N*residents, err)
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99_ms")
	// The CPU the process (guanjia and its embedded FerretDB) spent per confirmation: on a
	// machine shared with other work the latencies stretch, this does not.
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N*residents), "cpu_ms/submit")
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
