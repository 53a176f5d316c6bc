package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/flows/schedule"
)

// BenchmarkSweep10000Timers fires 10,000 timers that are all due, in one sweep, on the
// embedded FerretDB as the zero-setup default runs it: each is claimed by an insert, fired,
// its outcome written and the timer removed.
func BenchmarkSweep10000Timers(b *testing.B) {
	const n = 10000
	cfg := testConfig(b)
	cfg.MongoURI = "" // the embedded store in the benchmark's data folder
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	st, fdb, err := openStore(ctx, cfg, log)
	if err != nil {
		b.Fatal(err)
	}
	defer closeStore(st, fdb)
	at := time.Date(2026, 11, 27, 18, 0, 0, 0, shanghai)
	s := schedule.New(st, st, schedule.Options{Location: shanghai, Now: func() time.Time { return at }, Log: log})
	var fired atomic.Int64
	if err := s.Handle(schedule.TimerKind{Kind: "bench", Fire: func(context.Context, guanjia.Timer) error {
		fired.Add(1)
		return nil
	}}); err != nil {
		b.Fatal(err)
	}
	var took time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		for k := range n {
			if _, err := s.AddTimer(ctx, "bench", fmt.Sprintf("%d-%d", i, k), at.Add(-time.Duration(k)*time.Millisecond), nil); err != nil {
				b.Fatal(err)
			}
		}
		fired.Store(0)
		b.StartTimer()
		start := time.Now()
		res, err := s.Sweep(ctx, at)
		took += time.Since(start)
		if err != nil || res.Counts["fired"] != n || fired.Load() != n {
			b.Fatalf("sweep: %v, counted %v, fired %d; want %d", err, res.Counts, fired.Load(), n)
		}
	}
	if left, err := st.PendingTimers(ctx, 0); err != nil || len(left) != 0 {
		b.Fatalf("%d timers left (%v)", len(left), err)
	}
	b.ReportMetric(float64(n*b.N)/took.Seconds(), "timers/s")
}
