package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"github.com/guanjia/guanjia/bot/telegram/tgfake"
	"github.com/guanjia/guanjia/storage/mongostore"
)

// TestTelegramManyResidentsAndARestart has eight residents report repairs at the same time
// by buttons, with guanjia restarted in the middle and Telegram's limits enforced by the fake.
// Every report is saved once, every answer is delivered once, and no limit is broken.
func TestTelegramManyResidentsAndARestart(t *testing.T) {
	w := newTGWorld(t)
	limits := tgfake.TelegramLimits()
	limits.Enforce = true
	w.fake.SetLimits(limits)
	w.bind(w.wang, "p-wang")
	w.bind(w.zhao, "p-zhao")
	w.say(w.staff, w.zhao, "/bind staff 示例花园", "员工群")

	var people []models.User
	for i := range 8 {
		people = append(people, tgfake.Person(int64(5001+i), fmt.Sprint("住户", i+1)))
	}
	// step pushes one action per resident at once, then waits for each answer.
	step := func(act func(i int, u models.User), want string) []tgfake.Sent {
		t.Helper()
		skips := make([]int, len(people))
		for i, u := range people {
			skips[i] = len(w.fake.SentTo(u.ID))
			act(i, u)
		}
		got := make([]tgfake.Sent, len(people))
		for i, u := range people {
			got[i] = w.waitNew(u.ID, skips[i], want)
		}
		return got
	}
	text := func(s string) func(int, models.User) {
		return func(i int, u models.User) {
			msg := s
			if strings.Contains(s, "%") {
				msg = fmt.Sprintf(s, i+1)
			}
			w.fake.PushText(tgfake.Private(u), u, msg)
		}
	}
	press := func(msgs *[]tgfake.Sent, label string) func(int, models.User) {
		return func(i int, u models.User) { w.fake.Press(tgfake.Private(u), u, (*msgs)[i].MessageID, label) }
	}
	step(text("/start repair-sample"), "请告诉我报修地址")
	msgs := step(text("3号楼%d层楼道"), "哪一类问题")
	step(press(&msgs, "门窗"), "描述一下问题")
	step(text("阳台推拉窗关不严，漏风（第%d户）"), "拍一张照片")
	w.restart()
	msgs = step(text("跳过"), "紧急吗")
	msgs = step(press(&msgs, "一般"), "请确认报修信息")
	done := step(press(&msgs, "确认提交"), "报修已提交")

	var cards []tgfake.Sent
	for _, d := range done {
		no := tgTicketNo.FindString(d.Text)
		cards = append(cards, w.waitText(w.staff.ID, "【新报修】"+no))
	}
	for _, c := range cards {
		w.fake.Press(w.staff, w.wang, c.MessageID, "接单")
	}
	for _, d := range done {
		w.waitText(w.staff.ID, "已接单："+tgTicketNo.FindString(d.Text))
	}

	filed, err := w.app.Store.ListTickets(context.Background(), mongostore.TicketFilter{Community: mongostore.SampleCommunity})
	if err != nil {
		t.Fatal(err)
	}
	if len(filed) != len(people) {
		t.Errorf("%d tickets saved for %d reports", len(filed), len(people))
	}
	for _, tk := range filed {
		if tk.Status != "accepted" {
			t.Errorf("%s is %s, want accepted", tk.No, tk.Status)
		}
	}
	for _, u := range people {
		seen := map[string]bool{}
		for _, s := range w.fake.SentTo(u.ID) {
			if seen[s.Text] {
				t.Errorf("%s got %q twice", u.FirstName, s.Text)
			}
			seen[s.Text] = true
		}
		if n := strings.Count(fmt.Sprint(w.fake.SentTo(u.ID)), "报修已提交"); n != 1 {
			t.Errorf("%s was told of a submitted report %d times", u.FirstName, n)
		}
	}
	if v := w.fake.Violations(); len(v) > 0 {
		t.Errorf("%d limit violations (answered with 429), first: %s", len(v), v[0])
	}
	if un := w.fake.Unanswered(); len(un) > 0 {
		t.Errorf("unanswered button presses: %v", un)
	}
}
