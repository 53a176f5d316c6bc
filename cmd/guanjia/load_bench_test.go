package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot/telegram/tgfake"
)

// BenchmarkTelegramConversations has 100 residents report repairs side by side in private
// chats through the fake Bot API with Telegram's limits enforced, each answering as soon as
// the bot has asked: it reports the getUpdates calls per seven-step conversation and the time
// from a press of 确认提交 to 「报修已提交」 arriving (mostly Telegram's pacing of the replies,
// 30 messages a second for the bot as a whole).
func BenchmarkTelegramConversations(b *testing.B) {
	const residents = 100
	for range b.N {
		w := newTGWorld(b)
		// As guanjia runs unless configured otherwise.
		w.stop()
		w.cfg.Telegram.PollGather = defaults().Telegram.PollGather
		w.start()
		limits := tgfake.TelegramLimits()
		limits.Enforce = true
		w.fake.SetLimits(limits)
		// The staff group is bound: each report also sends it a card.
		w.bind(w.zhao, "p-zhao")
		w.say(w.staff, w.zhao, "/bind staff 示例花园", "员工群")
		before := w.fake.Calls("getUpdates")
		var mu sync.Mutex
		var took []time.Duration
		var wg sync.WaitGroup
		for i := range residents {
			u := tgfake.Person(int64(7001+i), fmt.Sprint("住户", i+1))
			wg.Go(func() {
				wait := func(skip int, want string) (tgfake.Sent, bool) {
					var got tgfake.Sent
					ok := w.fake.Wait(2*time.Minute, func() bool {
						sent := w.fake.SentTo(u.ID)
						for _, s := range sent[min(skip, len(sent)):] {
							if strings.Contains(s.Text, want) {
								got = s
								return true
							}
						}
						return false
					})
					return got, ok
				}
				steps := []struct{ text, press, want string }{
					{text: "/start repair-sample", want: "请告诉我报修地址"},
					{text: "3号楼2层楼道", want: "哪一类问题"},
					{press: "门窗", want: "描述一下问题"},
					{text: "阳台推拉窗关不严，漏风", want: "拍一张照片"},
					{text: "跳过", want: "紧急吗"},
					{press: "一般", want: "请确认报修信息"},
					{press: "确认提交", want: "报修已提交"},
				}
				var last tgfake.Sent
				for _, s := range steps {
					skip := len(w.fake.SentTo(u.ID))
					start := time.Now()
					if s.press != "" {
						w.fake.Press(tgfake.Private(u), u, last.MessageID, s.press)
					} else {
						w.fake.PushText(tgfake.Private(u), u, s.text)
					}
					var ok bool
					if last, ok = wait(skip, s.want); !ok {
						b.Errorf("%s never got %q", u.FirstName, s.want)
						return
					}
					if s.press == "确认提交" {
						mu.Lock()
						took = append(took, time.Since(start))
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		b.StopTimer()
		calls := w.fake.Calls("getUpdates") - before
		w.stop()
		b.StartTimer()
		if len(took) == 0 {
			b.Fatal("no report was submitted")
		}
		slices.Sort(took)
		b.ReportMetric(float64(calls)/residents, "getUpdates/conversation")
		b.ReportMetric(float64(took[len(took)/2].Milliseconds()), "submit_p50_ms")
		if v := w.fake.Violations(); len(v) > 0 {
			b.Errorf("%d limit violations, first: %s", len(v), v[0])
		}
	}
}
