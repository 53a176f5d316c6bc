package wechat_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/wechat/wxfake"
)

// relogin ends the login as WeChat does and logs in by a new scan: everyone gets a new
// UserName.
func (w *world) relogin(r running) {
	w.t.Helper()
	w.fake.Kick(1101)
	w.fake.ConfirmScan()
	w.waitReady(r)
}

// Problem 3: WeChat answers a remark name with Ret 0 and keeps nothing; the friend is still
// known after a new login, and a friend not found reloads the contacts at most once a minute.
func TestFriendKnownAfterReLoginWithoutRemarks(t *testing.T) {
	w := newWorld(t)
	w.fake.DropRemarks(true)
	w.fake.SetSignature("zhang", "岁月静好")
	r := w.login()
	ctx := context.Background()
	w.fake.PushText("zhang", "绑定 123456")
	m := r.in.NextText(t, "绑定 123456")
	if id, err := r.ch.BindAccount(ctx, m, "p-zhangsan"); err != nil || id != "f:p-zhangsan" {
		t.Fatalf("BindAccount = %q, %v", id, err)
	}
	if got := w.fake.Remark("zhang"); got != "" {
		t.Fatalf("the fake kept the remark %q", got)
	}
	w.relogin(r)
	w.fake.PushText("zhang", "我家的物业费")
	if m := r.in.NextText(t, "我家的物业费"); m.SenderID != "f:p-zhangsan" {
		t.Errorf("after a re-login without remarks: %+v", m)
	}
	if err := send(t, r.ch, "f:p-zhangsan", "已受理"); err != nil {
		t.Fatal(err)
	}
	w.fake.WaitSentTo("zhang", 1)

	// Reminders to someone no longer a friend: one reload, not one per reminder.
	before := w.fake.Calls("webwxgetcontact")
	for range 20 {
		err := send(t, r.ch, "f:p-gone", "提醒")
		if se := sendErr(t, err); se.Reason != "friend_not_found" {
			t.Fatalf("send to a friend gone: %v", err)
		}
	}
	if n := w.fake.Calls("webwxgetcontact") - before; n > 1 {
		t.Errorf("%d contact reloads for 20 sends to a friend gone; want at most one a minute", n)
	}
}

// Problem 3: two friends who look alike after a re-login are not guessed; each is asked once.
func TestUnsureFriendAskedOnce(t *testing.T) {
	w := newWorld(t)
	w.fake.DropRemarks(true)
	w.fake.AddFriend("zhang2", "张三")
	r := w.login()
	w.fake.PushText("zhang", "绑定 123456")
	m := r.in.NextText(t, "绑定 123456")
	if _, err := r.ch.BindAccount(context.Background(), m, "p-zhangsan"); err != nil {
		t.Fatal(err)
	}
	w.relogin(r)
	for _, text := range []string{"查一下物业费", "物业费多少"} {
		w.fake.PushText("zhang2", text)
		if m := r.in.NextText(t, text); !strings.HasPrefix(m.SenderID, "u:") {
			t.Errorf("a look-alike taken for the bound friend: %+v", m)
		}
	}
	got := w.fake.WaitSentTo("zhang2", 1)
	time.Sleep(200 * time.Millisecond)
	if got = w.fake.SentTo("zhang2"); len(got) != 1 || !strings.Contains(got[0].Text, "绑定") {
		t.Errorf("asked %+v; want once, to bind again", got)
	}
}

// Problem 4: members WeChat lists without names are not refused as a name clash, and a
// newcomer who takes a bound member's old display name is not taken for them.
func TestGroupMemberIdentityNotByNameAlone(t *testing.T) {
	w := newWorld(t)
	w.fake.AddMember("zhao", "赵六")
	w.fake.AddMember("sun", "孙七")
	w.fake.AddGroup("b5", "5号楼", "zhao", "sun")
	w.fake.HideMemberNames("b5")
	w.fake.SetDisplayName("b3", "li", "3-201李")
	r := w.login()
	ctx := context.Background()

	w.fake.PushGroupText("b5", "zhao", "绑定 123456")
	m := r.in.NextText(t, "绑定 123456")
	if m.SenderName != "赵六" {
		t.Errorf("nameless member: %+v", m)
	}
	if id, err := r.ch.BindAccount(ctx, m, "p-zhao"); err != nil || id != "m:p-zhao" {
		t.Errorf("BindAccount of a member listed without a name = %q, %v", id, err)
	}

	w.fake.PushGroupText("b3", "li", "绑定 123456")
	m = r.in.NextText(t, "绑定 123456")
	if _, err := r.ch.BindAccount(ctx, m, "p-lisi"); err != nil {
		t.Fatal(err)
	}
	// 李四 renames; a newcomer takes the old display name.
	w.fake.SetDisplayName("b3", "li", "李四")
	w.fake.AddMember("mallory", "陌生人")
	w.fake.AddToGroup("b3", "mallory")
	w.fake.SetDisplayName("b3", "mallory", "3-201李")
	time.Sleep(300 * time.Millisecond) // the join's system message refreshes the members
	w.fake.PushGroupText("b3", "mallory", "报修 门锁坏了")
	if m := r.in.NextText(t, "报修 门锁坏了"); m.SenderID == "m:p-lisi" {
		t.Errorf("a newcomer under a bound member's old display name taken for them: %+v", m)
	}
}

// Problem 4: known only by a name in a group, a member may report repairs but gets no
// personal answers.
func TestGroupOnlyMemberGetsNoPersonalAnswers(t *testing.T) {
	w := newWorld(t)
	r := w.login()
	w.fake.PushGroupText("b3", "li", "绑定 123456")
	m := r.in.NextText(t, "绑定 123456")
	if _, err := r.ch.BindAccount(context.Background(), m, "p-lisi"); err != nil {
		t.Fatal(err)
	}
	w.fake.PushGroupText("b3", "li", w.fake.Mention("b3")+"我家物业费欠多少")
	got := w.fake.WaitSentTo("b3", 1)
	if !strings.Contains(got[0].Text, "加我为好友") {
		t.Errorf("answer %q", got[0].Text)
	}
	w.fake.PushGroupText("b3", "li", "报修 楼道灯不亮")
	if m := r.in.NextText(t, "报修 楼道灯不亮"); m.SenderID != "m:p-lisi" {
		t.Errorf("repair from a group-only member: %+v", m)
	}
	// Answering the bot's question by a quote is part of the repair; answering a ticket card
	// is staff work.
	w.fake.PushQuote("b3", "li", "小管家", "哪一类问题？\n1) 水电", "1")
	if m := r.in.NextText(t, "1"); m.SenderID != "m:p-lisi" {
		t.Errorf("a quoted answer from a group-only member: %+v", m)
	}
	w.fake.PushQuote("b3", "li", "小管家", "【新报修】R20261126-0001 厨房漏水", "接单")
	if got := w.fake.WaitSentTo("b3", 2); !strings.Contains(got[1].Text, "加我为好友") {
		t.Errorf("answer to a card quote %q", got[1].Text)
	}
}

// WeChat's "operate too often" (1205) makes the queue wait, not give up.
func TestTooOftenWaits(t *testing.T) {
	w := newWorld(t)
	r := w.login()
	g := groupID(t, w, r)
	w.fake.TooOften(1)
	err := send(t, r.ch, g, "通知")
	if se := sendErr(t, err); se.Kind != bot.SendRateLimited || se.RetryAfter != time.Minute {
		t.Errorf("1205: %v", err)
	}
	if err := send(t, r.ch, g, "通知"); err != nil {
		t.Errorf("after the wait: %v", err)
	}
}

// Problem 5: a group not saved to the contacts is found by ChatSet after a re-login, and
// one not listed at all is waited for, not given up, right after a login.
func TestUnsavedGroupsAfterReLogin(t *testing.T) {
	w := newWorld(t)
	w.fake.AddGroup("quiet", "6号楼", "zhang", "li")
	w.fake.SetSaved("b3", false)
	w.fake.SetSaved("quiet", false)
	r := w.login()
	ids := map[string]string{}
	for _, g := range []string{"b3", "quiet"} {
		w.fake.PushGroupText(g, "zhang", "报修 "+g)
		ids[g] = r.in.NextText(t, "报修 "+g).ChatID
	}
	w.fake.SetRecent("quiet", false)
	w.relogin(r)
	if err := send(t, r.ch, ids["b3"], "停水通知"); err != nil {
		t.Fatalf("send to an unsaved recent group after a re-login: %v", err)
	}
	w.fake.WaitSentTo("b3", 1)
	err := send(t, r.ch, ids["quiet"], "紧急通知")
	if se := sendErr(t, err); se.Kind != bot.SendTransient {
		t.Errorf("send to a bound group WeChat does not list right after a login: %v, want it retried", err)
	}
	// Once it has a message, WeChat lists it again and the send goes through.
	w.fake.PushGroupText("quiet", "li", "大家好")
	time.Sleep(300 * time.Millisecond)
	if err := send(t, r.ch, ids["quiet"], "紧急通知"); err != nil {
		t.Errorf("send after the group spoke: %v", err)
	}
}

// Problem 6: emoji spans, an empty photo, a quote naming the bot by a remark, a quote of a
// quote.
func TestRealTextForms(t *testing.T) {
	w := newWorld(t)
	w.fake.AddFriend("emoji", `小<span class="emoji emoji1f3e0"></span>家`)
	r := w.login()
	w.fake.PushText("emoji", "你好")
	if m := r.in.NextText(t, "你好"); m.SenderName != "小🏠家" {
		t.Errorf("name %q, want the emoji itself", m.SenderName)
	}

	id := w.fake.PushImage("", "zhang", nil)
	w.fake.PushText("zhang", "后面的话")
	if m := r.in.Next(t); m.Photo != "" || m.Text != "后面的话" {
		t.Errorf("an empty image kept as a photo (%s): %+v", id, m)
	}
	if got := w.fake.WaitSentTo("zhang", 1); !strings.Contains(got[0].Text, "再发一次") {
		t.Errorf("asked %+v", got)
	}

	// The bot's card, quoted by someone who gave the bot the remark 物业客服.
	g := groupID(t, w, r)
	card := "【新报修】R20261126-0001 3号楼201 厨房漏水"
	if err := send(t, r.ch, g, card); err != nil {
		t.Fatal(err)
	}
	w.fake.WaitSentTo("b3", 1)
	w.fake.PushQuote("b3", "wang", "物业客服", card, "好的")
	m := r.in.NextText(t, "好的")
	if !m.Mentioned || m.Quote != "物业客服："+card {
		t.Errorf("quote under a remark name: %+v", m)
	}
	w.fake.PushQuote("b3", "wang", "张三", wxfake.QuoteOfQuote("我来处理"), "接单 R20261126-0001")
	m = r.in.NextText(t, "接单 R20261126-0001")
	if m.Quote != "张三：我来处理" {
		t.Errorf("quote of a quote: %q", m.Quote)
	}
}

// groupID is the channel's id of the group b3.
func groupID(t *testing.T, w *world, r running) string {
	t.Helper()
	w.fake.PushGroupText("b3", "zhang", "报修 找群")
	return r.in.NextText(t, "报修 找群").ChatID
}
