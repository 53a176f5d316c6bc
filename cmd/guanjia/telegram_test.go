package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/telegram"
	"github.com/guanjia/guanjia/bot/telegram/tgfake"
	"github.com/guanjia/guanjia/storage/mongostore"
)

// tgWorld is guanjia running on Telegram against the fake Bot API, with the sample data.
type tgWorld struct {
	t    testing.TB
	cfg  Config
	fake *tgfake.Server
	app  *App
	tg   *telegram.Channel
	stop func()

	zhang, wang, zhao models.User
	staff, building   models.Chat
}

func newTGWorld(t testing.TB) *tgWorld {
	t.Helper()
	w := &tgWorld{t: t, cfg: testConfig(t), fake: tgfake.New(t),
		zhang: tgfake.Person(1001, "张三"), wang: tgfake.Person(1002, "王管家"), zhao: tgfake.Person(1003, "赵主管"),
		staff: tgfake.Group(-1001001, "示例花园物业"), building: tgfake.Group(-1001003, "3号楼邻里")}
	w.cfg.Telegram = TelegramConfig{Token: tgfake.Token, APIURL: w.fake.URL(), PollTimeout: time.Second}
	w.start()
	if err := w.app.Store.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	return w
}

// start opens the app and runs it on the Telegram channel until stop.
func (w *tgWorld) start() {
	t := w.t
	ctx, cancel := context.WithCancel(context.Background())
	app, err := Open(ctx, w.cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := telegram.New(ctx, w.cfg.telegramChannel(), app.State, app.State, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	limits, _ := w.cfg.telegramLimits()
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, Channel{Channel: tg, Limits: limits}) }()
	w.app, w.tg = app, tg
	stopped := false
	w.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		_ = app.Close()
	}
	t.Cleanup(w.stop)
}

func (w *tgWorld) restart() {
	w.stop()
	w.start()
}

// waitText waits for a message to chat containing want and returns it.
func (w *tgWorld) waitText(chat int64, want string) tgfake.Sent {
	w.t.Helper()
	return w.waitNew(chat, 0, want)
}

// waitNew waits for a message to chat, after the first skip ones, containing want.
func (w *tgWorld) waitNew(chat int64, skip int, want string) tgfake.Sent {
	w.t.Helper()
	var got tgfake.Sent
	ok := w.fake.Wait(5*time.Second, func() bool {
		sent := w.fake.SentTo(chat)
		for _, s := range sent[min(skip, len(sent)):] {
			if strings.Contains(s.Text, want) {
				got = s
				return true
			}
		}
		return false
	})
	if !ok {
		var texts []string
		for _, s := range w.fake.SentTo(chat) {
			texts = append(texts, s.Text)
		}
		w.t.Fatalf("no message with %q in chat %d; got:\n%s", want, chat, strings.Join(texts, "\n---\n"))
	}
	return got
}

// say sends text as from in chat and waits for an answer containing want there.
func (w *tgWorld) say(chat models.Chat, from models.User, text, want string) tgfake.Sent {
	w.t.Helper()
	skip := len(w.fake.SentTo(chat.ID))
	w.fake.PushText(chat, from, text)
	return w.waitNew(chat.ID, skip, want)
}

// press presses the button labelled label on msg and waits for an answer containing want.
func (w *tgWorld) press(chat models.Chat, from models.User, msg tgfake.Sent, label, want string) tgfake.Sent {
	w.t.Helper()
	if !slices.Contains(msg.Labels(), label) {
		w.t.Fatalf("message %q has no button %q (has %v)", msg.Text, label, msg.Labels())
	}
	skip := len(w.fake.SentTo(chat.ID))
	_, query := w.fake.Press(chat, from, msg.MessageID, label)
	w.fake.WaitAnswered(query)
	return w.waitNew(chat.ID, skip, want)
}

// bind binds a Telegram user to a sample person with a code, as `guanjia code` issues it.
func (w *tgWorld) bind(u models.User, person string) {
	w.t.Helper()
	code, err := w.app.Store.IssueCode(context.Background(), person, time.Now(), time.Hour)
	if err != nil {
		w.t.Fatal(err)
	}
	w.say(tgfake.Private(u), u, "/start "+code, "绑定成功")
}

// setUp binds 张三, 王管家 and the admin 赵主管, and binds the staff and building groups.
func (w *tgWorld) setUp() {
	w.bind(w.zhang, "p-zhangsan")
	w.bind(w.wang, "p-wang")
	w.bind(w.zhao, "p-zhao")
	w.say(w.staff, w.wang, "/bind staff 示例花园", "只有物业管理员")
	w.say(w.staff, w.zhao, "/bind@guanjia_bot staff 示例花园", "员工群")
	w.say(w.building, w.zhao, "/bind building 示例花园 3", "3号楼业主群")
}

var tgTicketNo = regexp.MustCompile(`R\d{8}-\d{4}`)

// reportByButtons files a repair in 张三's private chat, answering with buttons.
func (w *tgWorld) reportByButtons(description string) string {
	pm := tgfake.Private(w.zhang)
	msg := w.say(pm, w.zhang, "/repair", "报修地址是 3-1-1201 吗")
	msg = w.press(pm, w.zhang, msg, "是的，就是这里", "哪一类问题")
	w.press(pm, w.zhang, msg, "水电", "描述一下问题")
	w.say(pm, w.zhang, description, "拍一张照片")
	w.fake.PushPhoto(pm, w.zhang, "")
	w.waitText(pm.ID, "照片收到了（共 1 张）")
	msg = w.say(pm, w.zhang, "好了", "紧急吗")
	msg = w.press(pm, w.zhang, msg, "一般", "请确认报修信息")
	done := w.press(pm, w.zhang, msg, "确认提交", "报修已提交")
	no := tgTicketNo.FindString(done.Text)
	if no == "" {
		w.t.Fatalf("no ticket number in %q", done.Text)
	}
	return no
}

func TestTelegramRepairWithButtonsAndStaffInGroup(t *testing.T) {
	w := newTGWorld(t)
	w.setUp()
	pm := tgfake.Private(w.zhang)
	no := w.reportByButtons("厨房水龙头一直滴水")
	card := w.waitText(w.staff.ID, "【新报修】"+no)
	if strings.Contains(card.Text, "1380000") {
		t.Errorf("the card shows a phone number: %q", card.Text)
	}
	// A resident pressing the staff card is refused by the command, and the card keeps working.
	w.press(w.staff, w.zhang, card, "接单", "只有物业工作人员可以「接单」")
	w.press(w.staff, w.wang, card, "接单", "已接单："+no)
	w.waitText(pm.ID, "您的报修 "+no+" 已由王管家受理")
	w.press(w.staff, w.wang, card, "详情", "工单 "+no+"（已受理）")

	tk, err := w.app.Store.Ticket(context.Background(), mongostore.SampleCommunity, no)
	if err != nil || tk.Status != "accepted" || len(tk.Photos) != 1 || !strings.HasPrefix(tk.Photos[0], "tg:") {
		t.Errorf("stored ticket: %+v, %v", tk, err)
	}
	// The staff see the resident's photo with the card.
	if card.Method != "sendPhoto" || len(tk.Photos) != 1 || "tg:"+card.Photo != tk.Photos[0] {
		t.Errorf("card sent by %s with photo %q; want the ticket's photo %v", card.Method, card.Photo, tk.Photos)
	}

	// Accepting by text works as well as by button.
	second := w.reportByButtons("卫生间地漏反味")
	secondCard := w.waitText(w.staff.ID, "【新报修】"+second)
	w.say(w.staff, w.wang, "接单 "+second, "已接单："+second)
	w.waitText(pm.ID, "您的报修 "+second+" 已由王管家受理")
	// Replying to a card names its ticket.
	skip := len(w.fake.SentTo(w.staff.ID))
	w.fake.PushReply(w.staff, w.wang, "进展 师傅下午两点上门", secondCard.MessageID)
	w.waitNew(w.staff.ID, skip, "已记录进展："+second)
	w.waitText(pm.ID, "师傅下午两点上门")
	if un := w.fake.Unanswered(); len(un) > 0 {
		t.Errorf("callback queries left unanswered: %v", un)
	}
}

func TestTelegramGroupCommandContinuesInPrivate(t *testing.T) {
	w := newTGWorld(t)
	w.setUp()
	pointer := w.say(w.building, w.zhang, "/repair@guanjia_bot", "私聊")
	if !strings.Contains(pointer.Text, "https://t.me/guanjia_bot?start=repair-sample") {
		t.Fatalf("no deep link in %q", pointer.Text)
	}
	if strings.Contains(pointer.Text, "3-1-1201") {
		t.Errorf("the group pointer shows the home address: %q", pointer.Text)
	}
	w.say(tgfake.Private(w.zhang), w.zhang, "/start repair-sample", "报修地址是 3-1-1201 吗")

	// Someone not bound yet follows the same link and can still report, typing the address.
	li := tgfake.Person(2002, "李先生")
	w.say(w.building, li, "/repair@guanjia_bot", "start=repair-sample")
	w.say(tgfake.Private(li), li, "/start repair-sample", "请告诉我报修地址")

	// A complaint is never held in the group: neighbours read along.
	pointer = w.say(w.building, w.zhang, "/complaint@guanjia_bot", "https://t.me/guanjia_bot?start=complaint-sample")
	if !strings.Contains(pointer.Text, "投诉请私聊我继续") {
		t.Errorf("complaint pointer %q", pointer.Text)
	}
	w.say(tgfake.Private(w.zhang), w.zhang, "/start complaint-sample", "我来帮您登记投诉")
}

func TestTelegramRedeliveredUpdateHandledOnce(t *testing.T) {
	w := newTGWorld(t)
	pm := tgfake.Private(w.zhang)
	id := w.fake.PushText(pm, w.zhang, "帮助")
	w.waitText(pm.ID, "物业小管家")
	w.fake.Redeliver(id)
	w.say(pm, w.zhang, "菜单", "需要办理什么")
	n := 0
	for _, s := range w.fake.SentTo(pm.ID) {
		if strings.Contains(s.Text, "物业小管家") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the help answer was sent %d times for one update delivered twice", n)
	}
}

func TestTelegram429HoldsOnlyThatChat(t *testing.T) {
	w := newTGWorld(t)
	zhang, li := tgfake.Private(w.zhang), tgfake.Person(2002, "李先生")
	w.fake.FailNext(zhang.ID, 429, 2, 1)
	start := time.Now()
	w.fake.PushText(zhang, w.zhang, "帮助")
	w.say(tgfake.Private(li), li, "帮助", "物业小管家")
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("the other chat waited %v behind a 429", d)
	}
	got := w.waitText(zhang.ID, "物业小管家")
	if d := got.At.Sub(start); d < 2*time.Second {
		t.Errorf("resent after %v, before retry_after (2s)", d)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(w.fake.SentTo(zhang.ID)); n != 1 {
		t.Errorf("the limited chat got %d messages, want exactly 1", n)
	}
}

func TestTelegramRestartSendsQueuedOnce(t *testing.T) {
	w := newTGWorld(t)
	pm := tgfake.Private(w.zhang)
	// Telegram answers 500 for a while: the messages stay queued across a restart.
	w.fake.FailNext(pm.ID, 500, 0, 1)
	var replies []bot.Reply
	for i := range 5 {
		replies = append(replies, bot.Reply{Channel: telegram.Name, ChatID: fmt.Sprint(pm.ID), Text: fmt.Sprint("通知 ", i)})
	}
	if _, err := w.app.Outbox.Enqueue(context.Background(), replies); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	w.stop()
	if n := len(w.fake.SentTo(pm.ID)); n != 0 {
		t.Fatalf("%d sent before the restart, want none", n)
	}
	w.start()
	w.waitText(pm.ID, "通知 4")
	w.restart()
	time.Sleep(500 * time.Millisecond)
	var got []string
	for _, s := range w.fake.SentTo(pm.ID) {
		got = append(got, s.Text)
	}
	if strings.Join(got, ",") != "通知 0,通知 1,通知 2,通知 3,通知 4" {
		t.Errorf("sent %v, want each notice once, in order", got)
	}
}

func TestTelegramReadyz(t *testing.T) {
	w := newTGWorld(t)
	w.stop()
	w.cfg.HTTPAddr = "127.0.0.1:0"
	w.start()
	if !w.fake.Wait(5*time.Second, func() bool { return w.tg.Ready(context.Background()) == nil }) {
		t.Fatal("telegram never ready")
	}
	status := w.app.readiness(context.Background())
	for _, k := range []string{"redis", "mongodb", "channel:telegram"} {
		if status[k] != "ok" {
			t.Errorf("%s: %q", k, status[k])
		}
	}
	srv, err := w.app.serveHTTP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.shutdown()
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": `"channel:telegram":"ok"`, "/metrics": "guanjia_outbound_queue_depth"} {
		resp, err := http.Get("http://" + srv.ln.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
}
