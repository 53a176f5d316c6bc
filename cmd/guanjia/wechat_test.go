package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/guanjia/guanjia/bot/telegram"
	"github.com/guanjia/guanjia/bot/telegram/tgfake"
	"github.com/guanjia/guanjia/bot/wechat"
	"github.com/guanjia/guanjia/bot/wechat/wxfake"
	"github.com/guanjia/guanjia/storage/mongostore"
)

// wxWorld is guanjia running on WeChat (and Telegram, for the staff alerts) against the
// fakes, with the sample data.
type wxWorld struct {
	t    *testing.T
	cfg  Config
	wx   *wxfake.Server
	tg   *tgfake.Server
	app  *App
	ch   *wechat.Channel
	stop func()
}

// The people and groups of the fake WeChat account: 赵主管 and 王管家 are friends of the
// bot's account, 张三 is only in the building group.
const (
	wxStaff    = "staff"
	wxBuilding = "b3"
)

func newWXWorld(t *testing.T, edit ...func(*Config)) *wxWorld {
	t.Helper()
	w := &wxWorld{t: t, cfg: testConfig(t), wx: wxfake.New(t), tg: tgfake.New(t)}
	// Tests kick right after a scan; only the brake's own tests brake.
	w.cfg.WeChat = WeChatConfig{Enabled: true, Gap: 5 * time.Millisecond, GapJitter: 5 * time.Millisecond, BroadcastGap: 20 * time.Millisecond,
		BrakeAfterScan: time.Nanosecond}
	w.cfg.Telegram = TelegramConfig{Token: tgfake.Token, APIURL: w.tg.URL(), PollTimeout: time.Second}
	for _, e := range edit {
		e(&w.cfg)
	}
	w.wx.AddFriend("zhao", "赵主管")
	w.wx.AddFriend("wang", "王管家")
	w.wx.AddMember("zhang", "张三")
	w.wx.AddMember("li", "李四")
	w.wx.AddGroup(wxStaff, "示例花园物业", "zhao", "wang")
	w.wx.AddGroup(wxBuilding, "3号楼邻里", "zhao", "zhang", "li")
	w.wx.SetBotDisplayName(wxBuilding, "小管家")
	w.start()
	if err := w.app.Store.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	return w
}

// start opens the app and runs it on WeChat and Telegram until stop. It does not wait for
// the WeChat login.
func (w *wxWorld) start() {
	t := w.t
	ctx, cancel := context.WithCancel(context.Background())
	app, err := Open(ctx, w.cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := app.newWeChat(io.Discard, w.wx.Transport())
	if err != nil {
		t.Fatal(err)
	}
	tg, err := telegram.New(ctx, w.cfg.telegramChannel(), app.State, app.State, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	tgLimits, _ := w.cfg.telegramLimits()
	robots, err := app.weComChannel()
	if err != nil {
		t.Fatal(err)
	}
	channels := append([]Channel{{Channel: ch, Limits: w.cfg.WeChat.limits()}, {Channel: tg, Limits: tgLimits}}, robots...)
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, channels...)
	}()
	w.app, w.ch = app, ch
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

// waitReady waits until the WeChat channel works.
func (w *wxWorld) waitReady() {
	w.t.Helper()
	if !w.wx.Wait(10*time.Second, func() bool { return w.ch.Ready(context.Background()) == nil }) {
		w.t.Fatalf("wechat not ready: %v", w.ch.Ready(context.Background()))
	}
}

// waitNew waits for a message to a WeChat chat, after the first skip ones, containing want.
func (w *wxWorld) waitNew(chat string, skip int, want string) wxfake.Sent {
	w.t.Helper()
	var got wxfake.Sent
	ok := w.wx.Wait(5*time.Second, func() bool {
		sent := w.wx.SentTo(chat)
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
		for _, s := range w.wx.SentTo(chat) {
			texts = append(texts, s.Text)
		}
		w.t.Fatalf("no message with %q to %s; got:\n%s", want, chat, strings.Join(texts, "\n---\n"))
	}
	return got
}

// say has a friend say text privately and waits for an answer containing want.
func (w *wxWorld) say(from, text, want string) wxfake.Sent {
	w.t.Helper()
	skip := len(w.wx.SentTo(from))
	w.wx.PushText(from, text)
	return w.waitNew(from, skip, want)
}

// sayIn has a member say text in a group and waits for an answer there containing want.
func (w *wxWorld) sayIn(group, from, text, want string) wxfake.Sent {
	w.t.Helper()
	skip := len(w.wx.SentTo(group))
	w.wx.PushGroupText(group, from, text)
	return w.waitNew(group, skip, want)
}

func (w *wxWorld) code(person string) string {
	w.t.Helper()
	code, err := w.app.Store.IssueCode(context.Background(), person, time.Now(), time.Hour)
	if err != nil {
		w.t.Fatal(err)
	}
	return code
}

// setUp logs in, binds 赵主管 and 王管家 privately, binds both groups and has 张三 bind in
// the building group, where he is no friend of the bot's.
func (w *wxWorld) setUp() {
	w.wx.ConfirmScan()
	w.waitReady()
	w.say("zhao", "绑定 "+w.code("p-zhao"), "绑定成功")
	w.say("wang", "绑定 "+w.code("p-wang"), "绑定成功")
	w.sayIn(wxStaff, "wang", "绑定群 员工群 示例花园", "只有物业管理员")
	w.sayIn(wxStaff, "zhao", "绑定群 员工群 示例花园", "员工群")
	w.sayIn(wxBuilding, "zhao", "绑定群 楼栋 示例花园 3", "3号楼业主群")
	w.sayIn(wxBuilding, "zhang", "绑定 "+w.code("p-zhangsan"), "绑定成功")
}

func TestWeChatGroupRepairByNumbersAcceptedByStaff(t *testing.T) {
	w := newWXWorld(t)
	w.setUp()
	f := w.wx
	// Talk not meant for the bot gets no answer.
	f.PushGroupText(wxBuilding, "li", "谁家装修这么吵")
	ask := w.sayIn(wxBuilding, "zhang", f.Mention(wxBuilding)+"报修", "报修地址是您登记的房屋吗")
	if !strings.Contains(ask.Text, "1) 是的，就是这里") || !strings.HasPrefix(ask.Text, "@张三 ") {
		t.Errorf("question %q: want the choice as a numbered line, addressed to 张三", ask.Text)
	}
	if strings.Contains(ask.Text, "3-1-1201") {
		t.Errorf("the home address was posted in the group: %q", ask.Text)
	}
	cat := w.sayIn(wxBuilding, "zhang", "1", "哪一类问题")
	if !strings.Contains(cat.Text, "1) 水电") {
		t.Errorf("categories %q", cat.Text)
	}
	w.sayIn(wxBuilding, "zhang", "1", "描述一下问题")
	w.sayIn(wxBuilding, "zhang", "厨房水龙头一直滴水", "拍一张照片")
	skip := len(f.SentTo(wxBuilding))
	f.PushImage(wxBuilding, "zhang", []byte("\xff\xd8\xff\xe0 photo"))
	w.waitNew(wxBuilding, skip, "照片收到了（共 1 张）")
	w.sayIn(wxBuilding, "zhang", "好了", "紧急吗")
	w.sayIn(wxBuilding, "zhang", "1", "请确认报修信息")
	done := w.sayIn(wxBuilding, "zhang", "1", "报修已提交")
	no := tgTicketNo.FindString(done.Text)
	if no == "" {
		t.Fatalf("no ticket number in %q", done.Text)
	}
	for _, s := range f.SentTo(wxBuilding) {
		if strings.Contains(s.Text, "谁家装修") || strings.Contains(s.Text, "没听懂") {
			t.Errorf("the bot answered talk not meant for it: %q", s.Text)
		}
	}

	card := w.waitNew(wxStaff, 0, "【新报修】"+no)
	if strings.Contains(card.Text, "1380000") {
		t.Errorf("the card shows a phone number: %q", card.Text)
	}
	w.sayIn(wxStaff, "wang", "接单 "+no, "已接单："+no)
	// Quoting the card is enough to name its ticket.
	quote := "「" + wxfake.BotNick + "：" + card.Text + "」\n- - - - - - - - - - - - - - -\n派单 刘师傅"
	w.sayIn(wxStaff, "wang", quote, "已派单："+no+" 交给刘师傅")
	// So is answering it with the number of one of its options.
	quote = "「" + wxfake.BotNick + "：" + card.Text + "」\n- - - - - - - - - - - - - - -\n3"
	w.sayIn(wxStaff, "wang", quote, "工单 "+no+"（已派单）")

	tk, err := w.app.Store.Ticket(context.Background(), mongostore.SampleCommunity, no)
	if err != nil || tk.Status != "assigned" || tk.ReporterName != "张三" || len(tk.Photos) != 1 || !strings.HasPrefix(tk.Photos[0], "wx:") {
		t.Errorf("stored ticket: %+v, %v", tk, err)
	}
	w.noUserNamesStored()
}

func TestWeChatRestartNeedsNoQR(t *testing.T) {
	w := newWXWorld(t)
	w.wx.ConfirmScan()
	w.waitReady()
	w.say("zhao", "绑定 "+w.code("p-zhao"), "绑定成功")
	w.stop()
	w.start()
	w.waitReady()
	if n := w.wx.QRShown(); n != 1 {
		t.Errorf("%d QR codes after a restart, want the first only", n)
	}
	w.say("zhao", "帮助", "物业小管家")
	w.noUserNamesStored()
}

// telegramStaff binds 赵主管 on Telegram and a Telegram group as the community's staff group
// too, which then has the bind confirmation as its first message.
func (w *wxWorld) telegramStaff() models.Chat {
	w.t.Helper()
	staff := tgfake.Group(-1001001, "示例花园物业")
	zhao := tgfake.Person(1003, "赵主管")
	w.tg.PushText(tgfake.Private(zhao), zhao, "/start "+w.code("p-zhao"))
	w.tg.WaitSentTo(zhao.ID, 1)
	w.tg.PushText(staff, zhao, "/bind staff 示例花园")
	w.tg.WaitSentTo(staff.ID, 1)
	return staff
}

func TestWeChatKickOnReadyzAndToTelegramStaff(t *testing.T) {
	w := newWXWorld(t)
	w.setUp()
	tgStaff := w.telegramStaff()

	srv, err := w.app.serveHTTP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.shutdown()
	w.wx.Kick(1102)
	alert := w.tg.WaitSentTo(tgStaff.ID, 2)[1]
	if !strings.Contains(alert.Text, "微信通道已断开") || !strings.Contains(alert.Text, "1102") {
		t.Errorf("alert %q", alert.Text)
	}
	resp, err := http.Get("http://" + srv.ln.Addr().String() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"channel:wechat":"wechat:`) {
		t.Errorf("/readyz: %d %s", resp.StatusCode, body)
	}
	w.wx.ConfirmScan()
	w.waitReady()
	if back := w.tg.WaitSentTo(tgStaff.ID, 3)[2]; !strings.Contains(back.Text, "微信通道已恢复") {
		t.Errorf("recovery %q", back.Text)
	}
	// The new login has new UserNames; the bound people and groups are known all the same:
	// 赵主管 is staff in the staff group and in private, 张三 is himself in the building group.
	w.sayIn(wxStaff, "zhao", "帮助", "工作人员指令")
	w.say("zhao", "帮助", "工作人员指令")
	w.sayIn(wxBuilding, "zhang", w.wx.Mention(wxBuilding)+"报修", "报修地址是您登记的房屋吗")
	w.noUserNamesStored()
}

// noUserNamesStored fails the test if any UserName the fake handed out is in MongoDB.
func (w *wxWorld) noUserNamesStored() {
	w.t.Helper()
	ctx := context.Background()
	client, err := mongo.Connect(options.Client().ApplyURI(w.cfg.MongoURI))
	if err != nil {
		w.t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	db := client.Database(w.cfg.MongoDatabase)
	issued := w.wx.IssuedUserNames()
	for _, coll := range []string{"identities", "chats", "tickets"} {
		cur, err := db.Collection(coll).Find(ctx, bson.D{})
		if err != nil {
			w.t.Fatal(err)
		}
		var docs []bson.M
		if err := cur.All(ctx, &docs); err != nil {
			w.t.Fatal(err)
		}
		wechatDocs := 0
		for _, d := range docs {
			raw, _ := bson.MarshalExtJSON(d, false, false)
			if strings.Contains(string(raw), `"wechat`) {
				wechatDocs++
			}
			for _, u := range issued {
				if strings.Contains(string(raw), u) {
					w.t.Errorf("%s holds a WeChat UserName: %s", coll, raw)
				}
			}
		}
		if coll == "identities" && wechatDocs == 0 {
			w.t.Errorf("no WeChat identity stored: the check proves nothing")
		}
	}
}

// TestWeChatPhotoReachesTelegramStaff files a repair with a photo in a WeChat group of a
// community whose staff also has a Telegram group: the Telegram card comes with the photo,
// uploaded from the data folder.
func TestWeChatPhotoReachesTelegramStaff(t *testing.T) {
	w := newWXWorld(t)
	w.setUp()
	tgStaff := w.telegramStaff()

	f := w.wx
	w.sayIn(wxBuilding, "zhang", f.Mention(wxBuilding)+"报修 厨房水龙头一直滴水", "报修地址是您登记的房屋吗")
	w.sayIn(wxBuilding, "zhang", "1", "哪一类问题")
	w.sayIn(wxBuilding, "zhang", "1", "拍一张照片")
	skip := len(f.SentTo(wxBuilding))
	f.PushImage(wxBuilding, "zhang", []byte("\xff\xd8\xff\xe0 photo"))
	w.waitNew(wxBuilding, skip, "照片收到了（共 1 张）")
	w.sayIn(wxBuilding, "zhang", "好了", "紧急吗")
	w.sayIn(wxBuilding, "zhang", "1", "请确认报修信息")
	done := w.sayIn(wxBuilding, "zhang", "1", "报修已提交")
	no := tgTicketNo.FindString(done.Text)
	card := w.tg.WaitSentTo(tgStaff.ID, 2)[1]
	if !strings.Contains(card.Text, "【新报修】"+no) || card.Method != "sendPhoto" || !strings.HasPrefix(card.Photo, "upload:") {
		t.Errorf("Telegram card: %s %q with photo %q; want the card with the WeChat photo uploaded", card.Method, card.Text, card.Photo)
	}
}
