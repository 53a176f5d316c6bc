package telegram_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/telegram/tgfake"
)

var categories = []bot.Choice{
	{Label: "水管漏水", Value: "plumbing"},
	{Label: "电路故障", Value: "electric"},
	{Label: "门窗损坏（包括门锁、窗户把手、纱窗等各种情况）", Value: "doors"},
}

func TestButtonPress(t *testing.T) {
	fake := tgfake.New(t)
	r := start(t, fake, newStore(t), newInbox(false))
	private := tgfake.Private(zhang)
	err := r.ch.Send(t.Context(), bot.Reply{Channel: "telegram", ChatID: "4711", Text: "请选择类别", Choices: categories, For: "4711"})
	if err != nil {
		t.Fatal(err)
	}
	sent := fake.WaitSentTo(private.ID, 1)[0]
	if got := sent.Labels(); len(got) != 3 || got[2] != categories[2].Label {
		t.Fatalf("buttons = %q", got)
	}
	for _, row := range sent.Markup.InlineKeyboard {
		if len(row) != 1 || len(row[0].CallbackData) == 0 || len(row[0].CallbackData) > 64 {
			t.Errorf("row %+v: want one button with 1-64 bytes of callback data", row)
		}
	}

	id, query := fake.Press(private, zhang, sent.MessageID, "电路故障")
	got := r.in.Next(t)
	want := bot.Message{Channel: "telegram", ID: strconv.FormatInt(id, 10), ChatID: "4711", ChatName: "张三",
		SenderID: "4711", SenderName: "张三", Text: "电路故障", Choice: "electric", Mentioned: true,
		PromptID: strconv.Itoa(sent.MessageID), At: got.At}
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if a := fake.WaitAnswered(query); a.Text != "" {
		t.Errorf("answer to a valid press = %q, want a silent one", a.Text)
	}
	if !fake.Wait(tgfake.WaitTimeout, func() bool { return fake.Keyboard(private.ID, sent.MessageID) == nil }) {
		t.Error("keyboard still on the message after a valid press")
	}

	// The same button again, from a client that still shows it: refused, not delivered twice.
	_, again := fake.PushCallback(private, zhang, sent.MessageID, sent.Markup.InlineKeyboard[1][0].CallbackData)
	if a := fake.WaitAnswered(again); a.Text != "这个按钮已过期，请按最新消息中的按钮操作。" {
		t.Errorf("second press answered %q", a.Text)
	}
	fake.PushText(private, zhang, "marker")
	r.in.NextText(t, "marker")
	if u := fake.Unanswered(); len(u) != 0 {
		t.Errorf("unanswered callback queries: %v", u)
	}
}

func TestButtonPressRefused(t *testing.T) {
	fake := tgfake.New(t)
	r := start(t, fake, newStore(t), newInbox(false))
	private := tgfake.Private(zhang)
	send := func(chat, forUser, text string) tgfake.Sent {
		t.Helper()
		n := len(fake.Sent())
		if err := r.ch.Send(t.Context(), bot.Reply{Channel: "telegram", ChatID: chat, Text: text, Choices: categories, For: forUser}); err != nil {
			t.Fatal(err)
		}
		if !fake.Wait(tgfake.WaitTimeout, func() bool { return len(fake.Sent()) > n }) {
			t.Fatal("not sent")
		}
		return fake.Sent()[n]
	}
	const (
		expired = "这个按钮已过期，请按最新消息中的按钮操作。"
		foreign = "这个按钮是给其他人的，请不要替别人选择。"
	)
	refused := func(name, answer string, query string) {
		t.Helper()
		if a := fake.WaitAnswered(query); a.Text != answer {
			t.Errorf("%s: answered %q, want %q", name, a.Text, answer)
		}
		fake.PushText(private, zhang, "marker")
		r.in.NextText(t, "marker")
	}

	// In a group, 李四 presses the buttons meant for 张三.
	card := send("-1001234567890", "4711", "张三，请选择类别")
	_, q := fake.Press(group, li, card.MessageID, "水管漏水")
	refused("foreign press", foreign, q)
	if fake.Keyboard(group.ID, card.MessageID) == nil {
		t.Error("a refused press removed the keyboard")
	}

	// 张三 presses a button on an older question after a newer one was asked.
	old := send("4711", "4711", "第一个问题")
	send("4711", "4711", "第二个问题")
	_, q = fake.Press(private, zhang, old.MessageID, "水管漏水")
	refused("old message", expired, q)
	// The same holds in a private chat when the reply names nobody.
	old = send("4711", "", "第三个问题")
	latest := send("4711", "", "第四个问题")
	_, q = fake.Press(private, zhang, old.MessageID, "水管漏水")
	refused("old message, For empty", expired, q)
	fake.Press(private, zhang, latest.MessageID, "水管漏水")
	r.in.NextText(t, "水管漏水")

	// A message the bot never recorded, and data that is not ours.
	_, q = fake.PushCallback(private, zhang, 999, "c:0")
	refused("unknown message", expired, q)
	_, q = fake.PushCallback(private, zhang, latest.MessageID, "something-else")
	refused("foreign data", expired, q)

	// Cards for anyone in a group stay valid side by side.
	first := send("-1001234567890", "", "工单一")
	send("-1001234567890", "", "工单二")
	fake.Press(group, li, first.MessageID, "电路故障")
	if m := r.in.NextText(t, "电路故障"); m.Choice != "electric" || m.SenderID != "4712" || !m.Group {
		t.Errorf("press on an older group card: %+v", m)
	}
}

// Telegram shows a message before the channel has written down its buttons; a press in that
// moment waits for the record instead of being refused as expired.
func TestButtonPressBeforeRecord(t *testing.T) {
	fake := tgfake.New(t)
	store := newStore(t)
	r := start(t, fake, store, newInbox(false))
	private := tgfake.Private(zhang)
	// A message whose buttons are recorded only after the press arrives.
	if err := r.ch.Send(t.Context(), bot.Reply{Channel: "telegram", ChatID: "4711", Text: "请选择类别"}); err != nil {
		t.Fatal(err)
	}
	sent := fake.WaitSentTo(private.ID, 1)[0]
	_, query := fake.PushCallback(private, zhang, sent.MessageID, "c:0")
	time.Sleep(300 * time.Millisecond)
	body := `{"for":"4711","values":["plumbing"],"labels":["水管漏水"]}`
	if err := store.SavePrompt(t.Context(), "telegram", "4711", sent.MessageID, "4711", []byte(body)); err != nil {
		t.Fatal(err)
	}
	if m := r.in.NextText(t, "水管漏水"); m.Choice != "plumbing" {
		t.Errorf("press delivered as %+v", m)
	}
	if a := fake.WaitAnswered(query); a.Text != "" {
		t.Errorf("press answered %q, want a silent answer", a.Text)
	}
}

// TestHandledPressNotAnsweredAgain: a press handled to the end just before a crash, whose
// update comes again after the restart (left in the journal, or redelivered), is neither
// answered nor delivered a second time.
func TestHandledPressNotAnsweredAgain(t *testing.T) {
	fake := tgfake.New(t)
	store := newStore(t)
	first := start(t, fake, store, newInbox(false))
	private := tgfake.Private(zhang)
	if err := first.ch.Send(t.Context(), bot.Reply{Channel: "telegram", ChatID: "4711", Text: "请选择类别", Choices: categories, For: "4711"}); err != nil {
		t.Fatal(err)
	}
	sent := fake.WaitSentTo(private.ID, 1)[0]
	id, query := fake.Press(private, zhang, sent.MessageID, "电路故障")
	m := first.in.Next(t)
	fake.WaitAnswered(query)
	// The mux committed its outcome; the process died before the journal entry was removed.
	if err := store.MarkHandled(t.Context(), "telegram", m.ID); err != nil {
		t.Fatal(err)
	}
	first.stop()
	answered := fake.Calls("answerCallbackQuery")

	second := start(t, fake, store, newInbox(false))
	fake.Redeliver(id)
	fake.PushText(private, zhang, "marker")
	second.in.NextText(t, "marker")
	if n := fake.Calls("answerCallbackQuery"); n != answered {
		t.Errorf("answerCallbackQuery called %d more times after the restart, want 0", n-answered)
	}
}
