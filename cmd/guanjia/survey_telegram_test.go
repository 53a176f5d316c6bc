package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot/telegram/tgfake"
	"github.com/guanjia/guanjia/flows"
	"github.com/guanjia/guanjia/storage/mongostore"
)

// TestTelegramSurveyCountsInPlace: residents pressing a survey's buttons in their building's
// group are not answered in the group one by one; the survey message itself shows the counts
// so far, and each voter is told privately that their answer is kept.
func TestTelegramSurveyCountsInPlace(t *testing.T) {
	w := newTGWorld(t)
	w.setUp()
	li := tgfake.Person(1004, "李四")
	w.bind(li, "p-lisi")
	ctx := context.Background()
	sv := guanjia.Survey{Community: mongostore.SampleCommunity, Question: "周末放露天电影，选哪部？",
		Options: []string{"流浪地球", "你好，李焕英", "哪吒"}, Closes: time.Now().Add(48 * time.Hour),
		CreatedBy: "p-wang", CreatedAt: time.Now()}
	if err := w.app.Store.CreateSurvey(ctx, &sv); err != nil {
		t.Fatal(err)
	}
	msgs, err := w.app.Engine.SurveyMessages(ctx, sv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.app.Outbox.Enqueue(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	survey := w.waitText(w.building.ID, "【问卷】周末放露天电影")
	inGroup := len(w.fake.SentTo(w.building.ID))
	_, q1 := w.fake.Press(w.building, w.zhang, survey.MessageID, "哪吒")
	w.fake.WaitAnswered(q1)
	_, q2 := w.fake.Press(w.building, li, survey.MessageID, "流浪地球")
	w.fake.WaitAnswered(q2)
	w.waitText(tgfake.Private(w.zhang).ID, "已记下您的选择：哪吒")
	w.waitText(tgfake.Private(li).ID, "已记下您的选择：流浪地球")
	if !w.fake.Wait(10*time.Second, func() bool {
		for _, e := range w.fake.Edits() {
			if e.ChatID == w.building.ID && e.MessageID == survey.MessageID && strings.Contains(e.Text, "2 户已投") &&
				strings.Contains(e.Text, "1) 流浪地球：1") && strings.Contains(e.Text, "3) 哪吒：1") {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("the survey message was not brought up to date in place; edits: %+v", w.fake.Edits())
	}
	if kb := w.fake.Keyboard(w.building.ID, survey.MessageID); kb == nil || len(kb.InlineKeyboard) != 3 {
		t.Errorf("the survey's buttons after the edits: %+v", kb)
	}
	if n := len(w.fake.SentTo(w.building.ID)); n != inGroup {
		for _, s := range w.fake.SentTo(w.building.ID)[inGroup:] {
			t.Errorf("a vote was answered in the group: %q", s.Text)
		}
	}
	// The buttons still count after the edits: 张三 changes his mind.
	_, q3 := w.fake.Press(w.building, w.zhang, survey.MessageID, "流浪地球")
	w.fake.WaitAnswered(q3)
	w.waitText(tgfake.Private(w.zhang).ID, "已记下您的选择：流浪地球")
}

// TestSurveyEditsOfABurstSendOnlyTheLast: of the edits a burst of votes queues for a survey's
// group message, each is dropped at sending once a later vote queued a fresher one; the last
// one goes out.
func TestSurveyEditsOfABurstSendOnlyTheLast(t *testing.T) {
	clk := newClock()
	app := openTestApp(t, testConfig(t), clk, &strings.Builder{})
	defer app.Close()
	ctx := context.Background()
	sv := guanjia.Survey{ID: "sample/S20261126-0001", Community: mongostore.SampleCommunity, No: "S20261126-0001"}
	var unless []string
	for range 3 {
		n, err := app.State.CountAttempt(ctx, "survey-edit:"+sv.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		unless = append(unless, flows.SurveyEditUnless(sv, n))
	}
	for i, u := range unless {
		stale, err := app.Engine.ReminderStale(ctx, u)
		if err != nil || stale != (i < len(unless)-1) {
			t.Errorf("edit %d of 3: stale = %v, %v", i+1, stale, err)
		}
	}
}
