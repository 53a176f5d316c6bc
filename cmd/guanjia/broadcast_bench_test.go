package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/console"
	"github.com/guanjia/guanjia/bot/outbox"
	"github.com/guanjia/guanjia/bot/telegram"
	"github.com/guanjia/guanjia/bot/telegram/tgfake"
	"github.com/guanjia/guanjia/storage/mongostore"
)

// broadcastWorld is the app with the Telegram channel on the fake Bot API, Telegram's limits
// enforced there (a send that breaks one gets a 429), and a console where the steward works.
type broadcastWorld struct {
	app  *App
	fake *tgfake.Server
	con  *console.Console
	stop func()
}

func newBroadcastWorld(b *testing.B, groups int) *broadcastWorld {
	b.Helper()
	cfg := testConfig(b)
	fake := tgfake.New(b)
	limits := tgfake.TelegramLimits()
	limits.Enforce = true
	fake.SetLimits(limits)
	cfg.Telegram = TelegramConfig{Token: tgfake.Token, APIURL: fake.URL(), PollTimeout: time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.DiscardHandler)
	app, err := Open(ctx, cfg, log, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := app.Store.Seed(ctx); err != nil {
		b.Fatal(err)
	}
	for g := range groups {
		chat := guanjia.Chat{Channel: telegram.Name, PlatformID: fmt.Sprint(-1003000000 - g), Name: fmt.Sprintf("3号楼%d群", g),
			Role: guanjia.ChatBuilding, Community: mongostore.SampleCommunity, Buildings: []int{3}}
		if err := app.Store.PutChat(ctx, chat); err != nil {
			b.Fatal(err)
		}
	}
	tg, err := telegram.New(ctx, cfg.telegramChannel(), app.State, app.State, log)
	if err != nil {
		b.Fatal(err)
	}
	tgLimits, _ := cfg.telegramLimits()
	app.Attach(tg, tgLimits)
	con := console.New(nil, io.Discard, nil)
	app.Attach(con, outbox.ConsoleLimits())
	done := make(chan struct{})
	go func() { defer close(done); _ = app.Outbox.Run(ctx) }()
	return &broadcastWorld{app: app, fake: fake, con: con, stop: func() { cancel(); <-done; _ = app.Close() }}
}

func (w *broadcastWorld) say(b *testing.B, line string) {
	b.Helper()
	if err := w.con.Line(context.Background(), w.app.Mux, line); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkEmergencyTo500TelegramGroups: a steward's emergency to a building with 500 Telegram
// groups, through the real queue and client to the fake Bot API with Telegram's limits
// enforced. Reported: wall time from the confirm to the last group's message against the
// 500/30 s bound, 429s and duplicates (goal: within 10%, 0, 0).
func BenchmarkEmergencyTo500TelegramGroups(b *testing.B) {
	const groups = 500
	for i := range b.N {
		b.StopTimer()
		w := newBroadcastWorld(b, groups)
		w.say(b, "王管家@员工群: 紧急 3号楼 电梯困人，请勿使用电梯")
		b.StartTimer()
		start := time.Now()
		w.say(b, "王管家@员工群: 1")
		if !w.fake.Wait(2*time.Minute, func() bool { return len(w.fake.Sent()) >= groups }) {
			b.Fatalf("only %d of %d groups reached", len(w.fake.Sent()), groups)
		}
		took := time.Since(start)
		b.StopTimer()
		time.Sleep(time.Second) // a duplicate would arrive now
		sent := w.fake.Sent()
		per := map[int64]int{}
		for _, s := range sent {
			per[s.ChatID]++
		}
		dups := len(sent) - len(per)
		bound := time.Duration(groups) * time.Second / 30
		b.ReportMetric(took.Seconds(), "s/broadcast")
		b.ReportMetric(took.Seconds()/bound.Seconds(), "x_bound")
		b.ReportMetric(float64(len(w.fake.Rejections())), "429s")
		b.ReportMetric(float64(dups), "duplicates")
		if i == 0 {
			b.Logf("%d groups in %v (bound %v), %d 429s, %d duplicates, %d violations",
				groups, took.Round(time.Millisecond), bound.Round(time.Millisecond), len(w.fake.Rejections()), dups, len(w.fake.Violations()))
		}
		w.stop()
	}
}

// BenchmarkEmergencyAheadOf10000Routine: 10,000 routine messages wait in the Telegram queue;
// a steward confirms an emergency. Reported: time from the confirm to the first emergency
// message out (goal: under one second).
func BenchmarkEmergencyAheadOf10000Routine(b *testing.B) {
	for i := range b.N {
		b.StopTimer()
		w := newBroadcastWorld(b, 1)
		routine := make([]bot.Reply, 10000)
		for j := range routine {
			routine[j] = bot.Reply{Channel: telegram.Name, ChatID: fmt.Sprint(5000000 + j%2000), Text: fmt.Sprintf("缴费提醒 %d", j), Lane: bot.LaneNotice}
		}
		if _, err := w.app.Outbox.Enqueue(context.Background(), routine); err != nil {
			b.Fatal(err)
		}
		w.say(b, "王管家@员工群: 紧急 3号楼 燃气泄漏，请立即撤离")
		b.StartTimer()
		start := time.Now()
		w.say(b, "王管家@员工群: 1")
		if !w.fake.Wait(time.Minute, func() bool {
			for _, s := range w.fake.Sent() {
				if strings.Contains(s.Text, "燃气泄漏") {
					return true
				}
			}
			return false
		}) {
			b.Fatal("the emergency never went out")
		}
		took := time.Since(start)
		b.StopTimer()
		routineOut := 0
		for _, s := range w.fake.Sent() {
			if strings.Contains(s.Text, "缴费提醒") {
				routineOut++
			}
		}
		depth, _ := w.app.Outbox.Depth(context.Background(), telegram.Name)
		b.ReportMetric(took.Seconds()*1000, "ms_to_first")
		if i == 0 {
			b.Logf("first emergency message out %v after the confirm; %d routine messages went before it, %d still queued",
				took.Round(time.Millisecond), routineOut, depth)
		}
		w.stop()
	}
}
