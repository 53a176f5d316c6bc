package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot"
)

// What the office says first is queued once per key: a job run again after a crash, or on a
// second instance, sends nothing twice.
func TestProactiveSendOncePerKey(t *testing.T) {
	var out bytes.Buffer
	clk := newClock()
	app := openTestApp(t, testConfig(t), clk, &out)
	defer func() { _ = app.Close() }()
	env := &jobEnv{out: app.Outbox}
	ctx := context.Background()
	r := []bot.Reply{{Channel: "console", ChatID: "张三", Text: "本月账单已出", Lane: bot.LaneNotice}}
	for i, want := range []bool{true, false, false} {
		sent, err := env.send(ctx, "fee-notice@2026-12-01T09:00+08:00/sample:3-1-1201", r)
		if err != nil || sent != want {
			t.Fatalf("send %d: %v, %v; want %v", i, sent, err, want)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "本月账单已出") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if n := strings.Count(out.String(), "本月账单已出"); n != 1 {
		t.Fatalf("the notice was shown %d times, want once:\n%s", n, out.String())
	}
}
