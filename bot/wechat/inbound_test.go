package wechat_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guanjia/guanjia/bot"
)

func TestGroupMessagesMeantForTheBot(t *testing.T) {
	w := newWorld(t)
	r := w.login()
	f := w.fake

	// Plain talk among neighbours is not for the bot.
	f.PushGroupText("b3", "zhang", "今天电梯好像有点慢")
	// A mention by the bot's display name in the group, stripped from the text.
	f.PushGroupText("b3", "zhang", f.Mention("b3")+"厨房漏水了")
	m := r.in.NextText(t, "厨房漏水了")
	if !m.Group || !m.Mentioned || !strings.HasPrefix(m.ChatID, "g:") || m.ChatName != "3号楼邻里" || m.SenderName != "张三" {
		t.Errorf("mentioned message: %+v", m)
	}
	group, zhang := m.ChatID, m.SenderID

	// The nickname counts too; a longer name that merely starts with it does not.
	f.PushGroupText("b3", "li", "@小管家家 你好")
	f.PushGroupText("b3", "li", "@物业小管家 在吗")
	if m := r.in.NextText(t, "在吗"); !m.Mentioned {
		t.Errorf("nickname mention not seen: %+v", m)
	}
	// A command word starts a message meant for the bot, mention or not.
	f.PushGroupText("b3", "wang", "接单 R20261126-0001")
	if m := r.in.NextText(t, "接单 R20261126-0001"); m.Mentioned {
		t.Errorf("a command without a mention reported as mentioned: %+v", m)
	}
	f.PushGroupText("b3", "li", "报修楼道灯不亮")
	r.in.NextText(t, "报修楼道灯不亮")

	// A person in a conversation in the group is followed: answers, numbers, photos.
	f.PushGroupText("b3", "zhang", "1")
	f.PushText("zhang", "私聊")
	r.in.NextText(t, "私聊")
	w.convs.set(group, zhang, true)
	f.PushGroupText("b3", "zhang", "2")
	r.in.NextText(t, "2")
	photo := []byte("\xff\xd8\xff\xe0 kitchen photo")
	id := f.PushImage("b3", "zhang", photo)
	m = r.in.Next(t)
	if m.Photo != "wx:"+id+".jpg" || m.SenderID != zhang {
		t.Fatalf("photo message: %+v", m)
	}
	got, err := os.ReadFile(filepath.Join(w.data, "wechat-media", id+".jpg"))
	if err != nil || !bytes.Equal(got, photo) {
		t.Errorf("photo file: %q, %v", got, err)
	}
	// A photo from someone not in a conversation is neither delivered nor downloaded.
	other := f.PushImage("b3", "li", photo)
	f.PushText("zhang", "私聊标记")
	r.in.NextText(t, "私聊标记")
	if _, err := os.Stat(filepath.Join(w.data, "wechat-media", other+".jpg")); !os.IsNotExist(err) {
		t.Errorf("a photo not meant for the bot was downloaded: %v", err)
	}
}

func TestChoicesAreNumberedLines(t *testing.T) {
	w := newWorld(t)
	r := w.login()
	w.fake.PushText("zhang", "报修")
	m := r.in.NextText(t, "报修")
	err := send(t, r.ch, m.ChatID, "请问是哪一类问题？",
		bot.Choice{Label: "水电", Value: "water"}, bot.Choice{Label: "门窗", Value: "door"})
	if err != nil {
		t.Fatal(err)
	}
	if got := w.fake.WaitSentTo("zhang", 1)[0].Text; got != "请问是哪一类问题？\n1) 水电\n2) 门窗" {
		t.Errorf("sent %q", got)
	}
}

func TestFriendBindsAndIsKnownAfterReLogin(t *testing.T) {
	w := newWorld(t)
	r := w.login()
	ctx := context.Background()
	w.fake.PushText("zhang", "绑定 123456")
	m := r.in.NextText(t, "绑定 123456")
	oldID, oldUser := m.SenderID, w.fake.UserName("zhang")
	id, err := r.ch.BindAccount(ctx, m, "p-zhangsan")
	if err != nil || id != "f:p-zhangsan" {
		t.Fatalf("BindAccount = %q, %v", id, err)
	}
	if got := w.fake.Remark("zhang"); got != "gj-p-zhangsan" {
		t.Errorf("remark %q", got)
	}
	w.fake.PushText("zhang", "报修")
	if m := r.in.NextText(t, "报修"); m.SenderID != "f:p-zhangsan" || m.ChatID != "f:p-zhangsan" {
		t.Errorf("after binding: %+v", m)
	}

	// A new login: everyone has a new UserName, the remark stays.
	w.fake.Kick(1101)
	w.fake.ConfirmScan()
	w.waitReady(r)
	if w.fake.UserName("zhang") == oldUser {
		t.Fatal("the fake kept the UserName across a scan")
	}
	w.fake.PushText("zhang", "我的报修怎么样了")
	if m := r.in.NextText(t, "我的报修怎么样了"); m.SenderID != "f:p-zhangsan" {
		t.Errorf("after the re-login: %+v", m)
	}
	if err := send(t, r.ch, "f:p-zhangsan", "已受理"); err != nil {
		t.Fatal(err)
	}
	if got := w.fake.WaitSentTo("zhang", 1); got[0].Text != "已受理" {
		t.Errorf("sent %+v", got)
	}
	// The id of the earlier login is gone for good.
	err = send(t, r.ch, oldID, "x")
	if se := sendErr(t, err); se.Kind != bot.SendPermanent || se.Reason != "stale_id" {
		t.Errorf("send to an id of an earlier login: %v", err)
	}
}

func TestGroupMemberBindsByDisplayNameUnlessAmbiguous(t *testing.T) {
	w := newWorld(t)
	w.fake.AddMember("li2", "李四")
	w.fake.AddGroup("b2", "2号楼邻里", "li", "li2", "zhang")
	w.fake.SetDisplayName("b2", "li2", "二楼李四")
	r := w.login()
	ctx := context.Background()

	w.fake.PushGroupText("b3", "li", "绑定 123456")
	m := r.in.NextText(t, "绑定 123456")
	id, err := r.ch.BindAccount(ctx, m, "p-lisi")
	if err != nil || id != "m:p-lisi" {
		t.Fatalf("BindAccount = %q, %v", id, err)
	}
	w.fake.PushGroupText("b3", "li", "报修")
	if m := r.in.NextText(t, "报修"); m.SenderID != "m:p-lisi" {
		t.Errorf("bound member: %+v", m)
	}
	// Another group, where 李四 never bound: not recognised there.
	w.fake.PushGroupText("b2", "li", "报修")
	if m := r.in.NextText(t, "报修"); !strings.HasPrefix(m.SenderID, "u:") {
		t.Errorf("recognised in a group the binding was not made in: %+v", m)
	}

	// Someone else joins b3 under the same name: the bound name is no longer enough.
	w.fake.AddToGroup("b3", "li2")
	w.fake.PushGroupText("b3", "li", w.fake.Mention("b3")+"报修")
	w.fake.PushText("zhang", "标记")
	r.in.NextText(t, "标记")
	refusals := w.fake.WaitSentTo("b3", 1)
	if !strings.Contains(refusals[0].Text, "无法确认您的身份") {
		t.Errorf("refusal %q", refusals[0].Text)
	}
	// And a new binding by that name is refused before it can spend a code.
	w.fake.PushGroupText("b3", "li2", "绑定 654321")
	w.fake.PushText("zhang", "标记2")
	r.in.NextText(t, "标记2")
	w.fake.WaitSentTo("b3", 2)
}

func TestGroupsOfOneNameToldApartAcrossLogins(t *testing.T) {
	w := newWorld(t)
	w.fake.AddMember("a", "阿甲")
	w.fake.AddMember("b", "阿乙")
	w.fake.AddGroup("east", "业主群", "zhang", "a")
	w.fake.AddGroup("west", "业主群", "wang", "b")
	r := w.login()
	ids := map[string]string{}
	for round := range 3 {
		for _, g := range []string{"east", "west"} {
			w.fake.PushGroupText(g, "zhang", "报修")
			if g == "west" {
				w.fake.PushGroupText(g, "wang", "报修 "+g)
			} else {
				w.fake.PushGroupText(g, "zhang", "报修 "+g)
			}
		}
		for range 2 {
			m := r.in.Next(t)
			if m.Text == "报修" {
				m = r.in.Next(t)
			}
			g := strings.TrimPrefix(m.Text, "报修 ")
			if ids[g] == "" {
				ids[g] = m.ChatID
			} else if ids[g] != m.ChatID {
				t.Fatalf("round %d: %s is %s, was %s", round, g, m.ChatID, ids[g])
			}
		}
		if ids["east"] == ids["west"] {
			t.Fatalf("two groups, one id: %v", ids)
		}
		w.fake.Kick(1102)
		w.fake.ConfirmScan()
		w.waitReady(r)
	}
	if err := send(t, r.ch, ids["west"], "通知"); err != nil {
		t.Fatal(err)
	}
	if got := w.fake.WaitSentTo("west", 1); got[0].Text != "通知" {
		t.Errorf("sent %+v", got)
	}
	err := send(t, r.ch, "g:000000000000", "x")
	if se := sendErr(t, err); se.Kind != bot.SendPermanent || se.Reason != "group_not_found" {
		t.Errorf("send to a group the account is not in: %v", err)
	}
}

func sendErr(t *testing.T, err error) *bot.SendError {
	t.Helper()
	se, ok := err.(*bot.SendError)
	if !ok {
		t.Fatalf("error %v (%T) is not a *bot.SendError", err, err)
	}
	return se
}
