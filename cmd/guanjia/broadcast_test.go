package main

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot/outbox"
	"github.com/guanjia/guanjia/bot/telegram/tgfake"
	"github.com/guanjia/guanjia/flows"
	"github.com/guanjia/guanjia/storage/mongostore"
)

// waitShown waits until out shows want, or fails.
func waitShown(t *testing.T, out *bytes.Buffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(out.String(), want) {
			return
		}
	}
	t.Fatalf("never shown %q:\n%s", want, out.String())
}

// A scheduled announcement whose timer stopped half-way (a crash after the first chat was
// queued) goes on when fired again, and no chat gets it twice.
func TestBroadcastFiredAgainSendsNoChatTwice(t *testing.T) {
	var out bytes.Buffer
	clk := newClock()
	app := openTestApp(t, testConfig(t), clk, &out)
	defer func() { _ = app.Close() }()
	app.say(t, "王管家@员工群: 通知 3号楼 周五下午二次供水水箱清洗", "王管家@员工群: 10分钟后", "王管家@员工群: 1")
	waitShown(t, &out, "已安排 N20261126-0001")
	ctx := context.Background()
	env := &jobEnv{out: app.Outbox, engine: app.Engine, store: app.Store, sched: app.Scheduler}
	timer := guanjia.Timer{Kind: flows.TimerBroadcast, Key: "N20261126-0001", Data: map[string]string{"community": mongostore.SampleCommunity}}
	clk.Advance(10 * time.Minute)
	replies, err := app.Engine.DueBroadcast(ctx, mongostore.SampleCommunity, "N20261126-0001")
	if err != nil || len(replies) < 2 {
		t.Fatalf("due broadcast: %d replies, %v", len(replies), err)
	}
	// The first chat was queued, then the process died.
	if err := env.sendEach(ctx, "broadcast/"+mongostore.SampleCommunity+"/N20261126-0001", replies[:1]); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := env.sendBroadcast(ctx, timer); err != nil {
			t.Fatal(err)
		}
	}
	waitShown(t, &out, "[张三] 【物业通知】")
	app.drain(t)
	for _, chat := range []string{"[3号楼业主群] 【物业通知】", "[张三] 【物业通知】", "[王管家] N20261126-0001 已发出"} {
		if n := strings.Count(out.String(), chat); n != 1 {
			t.Errorf("%s shown %d times, want once:\n%s", chat, n, out.String())
		}
	}
}

// A text of 10,000 characters goes out whole; one longer is refused and asked again; an
// empty one is refused.
func TestBroadcastTextLimits(t *testing.T) {
	var out bytes.Buffer
	clk := newClock()
	app := openTestApp(t, testConfig(t), clk, &out)
	defer func() { _ = app.Close() }()
	long := strings.Repeat("请勿使用电梯。", 10000/7) + strings.Repeat("停", 10000%7)
	app.say(t, "王管家@员工群: 紧急", "王管家@员工群: 电梯", "王管家@员工群: 3号楼", "王管家@员工群: "+long+"停")
	waitShown(t, &out, "正文太长了")
	app.say(t, "王管家@员工群: "+long)
	waitShown(t, &out, "紧急通知预览")
	app.say(t, "王管家@员工群: 1")
	waitShown(t, &out, "E20261126-0001 已发出")
	app.drain(t)
	if n := strings.Count(out.String(), long); n < 3 {
		t.Errorf("the whole text appears %d times (preview, group, 张三), want 3", n)
	}
	if _, reason, _ := broadcastTextParse(""); reason == "" {
		t.Error("an empty text was taken")
	}
}

// broadcastTextParse reaches the form's text check through the engine's exported surface:
// an empty answer cannot be typed on the console.
func broadcastTextParse(text string) (string, string, error) { return flows.CheckBroadcastText(text) }

// The preview's delivery time follows each channel's pace: Telegram's 30 a second overall,
// WeChat's gap between groups, shorter for an emergency.
func TestEstimateDelivery(t *testing.T) {
	tg := outbox.TelegramLimits()
	if d := estimateDelivery(tg, 500, 0, true); d < 16*time.Second || d > 18*time.Second {
		t.Errorf("500 Telegram groups: %v, want about 16.6s", d)
	}
	wx := outbox.WeChatLimits()
	if d := estimateDelivery(wx, 10, 0, false); d != 9*20*time.Second {
		t.Errorf("a notice to 10 WeChat groups: %v, want 3m0s", d)
	}
	if d := estimateDelivery(wx, 10, 0, true); d != 9*3500*time.Millisecond {
		t.Errorf("an emergency to 10 WeChat groups: %v, want 31.5s", d)
	}
	if d := estimateDelivery(outbox.ConsoleLimits(), 3, 3, true); d != 0 {
		t.Errorf("console: %v, want 0", d)
	}
}

// On Telegram: 王管家 raises an emergency in the staff group with buttons; it reaches the
// building group with 我已知晓 / 我安全; 张三 presses one in the group, again in private, and the
// status counts his household once.
func TestTelegramEmergencyAcknowledgedByButton(t *testing.T) {
	w := newTGWorld(t)
	w.setUp()
	preview := w.say(w.staff, w.wang, "紧急 3号楼 电梯困人，请勿使用电梯", "紧急通知预览")
	w.press(w.staff, w.wang, preview, "确认提交", "已发出")
	group := w.waitText(w.building.ID, "电梯困人")
	if !slices.Equal(group.Labels(), []string{"我已知晓", "我安全"}) {
		t.Fatalf("group message buttons %v", group.Labels())
	}
	w.press(w.building, w.zhang, group, "我已知晓", "收到，谢谢您告知")
	pm := tgfake.Private(w.zhang)
	private := w.waitText(pm.ID, "电梯困人")
	w.press(pm, w.zhang, private, "我安全", "已经记下了")
	no := regexp.MustCompile(`E\d{8}-\d{4}`).FindString(group.Text)
	status := w.say(tgfake.Private(w.wang), w.wang, "详情 "+no, "已确认户数")
	if !strings.Contains(status.Text, "3号楼 1/1") {
		t.Errorf("status does not count 张三's household once: %q", status.Text)
	}
	if n := len(w.fake.Unanswered()); n > 0 {
		t.Errorf("%d button presses left unanswered", n)
	}
}

// The broadcast settings come from the environment, and bad ones stop start-up with a plain
// reason.
func TestBroadcastConfig(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{"WECHAT_EMERGENCY_GAP": "5s", "BROADCAST_QUIET_HOURS": "23:00-07:30",
		"BROADCAST_SUPERVISOR_CONFIRM": "false", "BROADCAST_ROLLCALL_ESCALATE": "20m"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.WeChat.EmergencyGap != 5*time.Second || cfg.Broadcast.QuietHours != "23:00-07:30" || cfg.Broadcast.SupervisorConfirm ||
		cfg.Broadcast.RollCallEscalate != 20*time.Minute || cfg.Broadcast.StatusEvery != 10*time.Minute {
		t.Errorf("config = %+v, wechat %+v", cfg.Broadcast, cfg.WeChat)
	}
	if l := cfg.WeChat.limits(); l.EmergencyGap != 5*time.Second || l.BroadcastGap != 20*time.Second {
		t.Errorf("WeChat limits %+v", l)
	}
	d := defaults()
	if d.WeChat.EmergencyGap != 3*time.Second || d.Broadcast.QuietHours != "22:00-08:00" || !d.Broadcast.SupervisorConfirm {
		t.Errorf("defaults: %+v, %+v", d.Broadcast, d.WeChat)
	}
	_, err = loadConfig(env(map[string]string{"BROADCAST_QUIET_HOURS": "night", "WECHAT_EMERGENCY_GAP": "-1s"}))
	if err == nil || !strings.Contains(err.Error(), "BROADCAST_QUIET_HOURS") || !strings.Contains(err.Error(), "WECHAT_EMERGENCY_GAP") {
		t.Errorf("bad settings: %v", err)
	}
}
