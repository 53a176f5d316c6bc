package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// guanjia jobs run sla -at a later time, by hand beside the running guanjia, escalates a repair
// nobody accepted: the running guanjia tells 赵主管 privately, once, however often it is run.
func TestSLAByHand(t *testing.T) {
	cfg := testConfig(t)
	clk := newClock()
	cfg.now = clk.Now
	var out syncBuffer
	app := openTestApp(t, cfg, clk, &out)
	defer func() { _ = app.Close() }()
	app.say(t, "张三: 报修", "张三: 1", "张三: 1", "张三: 厨房水管接头一直在漏水", "张三: 跳过", "张三: 1", "张三: 1")
	if !strings.Contains(out.String(), "R20261126-0001") {
		t.Fatalf("no ticket filed:\n%s", out.String())
	}
	ctx := context.Background()
	for range 2 {
		var admin bytes.Buffer
		if err := adminCommands["jobs"](ctx, cfg, slog.New(slog.DiscardHandler), []string{"run", "sla", "-at", "2026-11-26 09:30"}, &admin); err != nil {
			t.Fatalf("jobs run sla: %v", err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	const want = "[赵主管] ⚠️ 超时：报修 R20261126-0001（3-1-1201）应于 11-26 09:15 前受理"
	for !strings.Contains(out.String(), want) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	got := out.String()
	if n := strings.Count(got, "⚠️ 超时"); n != 1 || !strings.Contains(got, want) {
		t.Fatalf("escalations shown %d times, want once to 赵主管:\n%s", n, got)
	}
	if strings.Contains(got, "[员工群] ⚠️") || strings.Contains(got, "[王管家] ⚠️") {
		t.Errorf("the escalation went beyond the supervisors:\n%s", got)
	}
}
