package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/telegram/tgfake"
	"github.com/guanjia/guanjia/bot/wecom/wecomfake"
)

// A WeCom robot bound as the community's staff group receives the ticket card of a new
// repair, with the commands to answer it written out.
func TestWeComRobotReceivesTicketCard(t *testing.T) {
	fake := wecomfake.New(t, "k1")
	w := newWXWorld(t, func(c *Config) { c.WeCom.Robots = map[string]string{"office": fake.URL("k1")} })
	w.setUp()
	var out bytes.Buffer
	log := slog.New(slog.DiscardHandler)
	if err := runWeCom(context.Background(), w.cfg, log, []string{"bind", "OFFICE", "示例花园"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "员工群") {
		t.Errorf("bind said %q", out.String())
	}
	f := w.wx
	w.sayIn(wxBuilding, "zhang", f.Mention(wxBuilding)+"报修", "报修地址是您登记的房屋吗")
	w.sayIn(wxBuilding, "zhang", "1", "哪一类问题")
	w.sayIn(wxBuilding, "zhang", "1", "描述一下问题")
	w.sayIn(wxBuilding, "zhang", "厨房水龙头一直滴水", "拍一张照片")
	w.sayIn(wxBuilding, "zhang", "没有", "紧急吗")
	w.sayIn(wxBuilding, "zhang", "1", "请确认报修信息")
	done := w.sayIn(wxBuilding, "zhang", "1", "报修已提交")
	no := tgTicketNo.FindString(done.Text)
	var card string
	if !fake.Wait(10*time.Second, func() bool {
		for _, m := range fake.Messages("k1") {
			if strings.Contains(m.Text, no) {
				card = m.Text
				return true
			}
		}
		return false
	}) {
		t.Fatalf("the robot got no card of %s: %+v", no, fake.Messages("k1"))
	}
	if !strings.Contains(card, "接单 "+no) || !strings.Contains(card, "厨房水龙头一直滴水") {
		t.Errorf("card:\n%s", card)
	}
	out.Reset()
	if err := runWeCom(context.Background(), w.cfg, log, []string{"list"}, &out); err != nil || !strings.Contains(out.String(), "office  → ") {
		t.Errorf("list: %q, %v", out.String(), err)
	}
	out.Reset()
	if err := runWeCom(context.Background(), w.cfg, log, []string{"unbind", "office"}, &out); err != nil {
		t.Fatalf("unbind: %v", err)
	}
	out.Reset()
	if err := runWeCom(context.Background(), w.cfg, log, []string{"list"}, &out); err != nil || !strings.Contains(out.String(), "office  （未绑定）") {
		t.Errorf("list after unbind: %q, %v", out.String(), err)
	}
	if err := runWeCom(context.Background(), w.cfg, log, []string{"bind", "nobody", "示例花园"}, &out); err == nil ||
		!strings.Contains(err.Error(), "WECOM_ROBOT_NOBODY") {
		t.Errorf("binding an unconfigured robot: %v", err)
	}
}

func TestWeComConfig(t *testing.T) {
	t.Setenv("WECOM_ROBOT_OFFICE", "secret-key-1")
	out := runCmd(t, env(nil), "", "config")
	if !strings.Contains(out, "wecom:\n  robots:\n    office: (webhook key hidden)\n") || strings.Contains(out, "secret-key-1") {
		t.Errorf("config:\n%s", out)
	}
	t.Setenv("WECOM_ROBOT_OFFICE", "http://")
	var o, e bytes.Buffer
	if err := run(context.Background(), []string{"config"}, env(nil), nil, &o, &e); err == nil || !strings.Contains(err.Error(), "WECOM_ROBOT_OFFICE") {
		t.Errorf("a bad webhook: %v", err)
	}
	if l := weComLimits(); l.Group.Max != 20 || l.Group.Window != time.Minute || l.MaxText*4 > 2048 {
		t.Errorf("limits %+v", l)
	}
}

// guanjia channels shows which chats reach each building, and the buildings none does.
func TestChannelsCoverage(t *testing.T) {
	w := newWXWorld(t)
	w.setUp()
	var out bytes.Buffer
	log := slog.New(slog.DiscardHandler)
	if err := runChannels(context.Background(), w.cfg, log, nil, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"示例花园", "wechat「3号楼邻里」✓", "没有能用的业主群：1、2 号楼"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("channels lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := runChannels(context.Background(), w.cfg, log, []string{"-json"}, &out); err != nil {
		t.Fatal(err)
	}
	var cov []communityCoverage
	if err := json.Unmarshal(out.Bytes(), &cov); err != nil || len(cov) == 0 {
		t.Fatalf("json %s: %v", out.String(), err)
	}
	// With WeChat off, building 3 has no working chat either.
	cfg := w.cfg
	cfg.WeChat.Enabled = false
	out.Reset()
	if err := runChannels(context.Background(), cfg, log, nil, &out); err != nil || !strings.Contains(out.String(), "1、2、3 号楼") {
		t.Errorf("WeChat off: %v\n%s", err, out.String())
	}
	// /readyz names the buildings without a working chat, and stays ready for it.
	status := w.app.readiness(context.Background())
	if got := status["coverage:"+cov[0].ID]; !strings.Contains(got, "buildings 1, 2") {
		t.Errorf("readiness %v", status)
	}
}

// A building whose only group removed the bot has lost its last chat: the staff hear it.
func TestStaffToldWhenBuildingLosesLastChat(t *testing.T) {
	w := newWXWorld(t)
	w.setUp()
	tgStaff := w.telegramStaff()
	b1 := tgfake.Group(-1002002, "1号楼业主群")
	zhao := tgfake.Person(1003, "赵主管")
	w.tg.PushText(b1, zhao, "/bind building 示例花园 1")
	w.tg.WaitSentTo(b1.ID, 1)
	w.tg.Block(b1.ID)
	if _, err := w.app.Outbox.Enqueue(context.Background(), []bot.Reply{{Channel: "telegram",
		ChatID: strconv.FormatInt(b1.ID, 10), Group: true, Text: "停水通知"}}); err != nil {
		t.Fatal(err)
	}
	got := w.waitNew(wxStaff, 0, "没有能用的业主群")
	if !strings.Contains(got.Text, "1号楼") || strings.Contains(got.Text, "3号楼") {
		t.Errorf("notice %q", got.Text)
	}
	if !w.tg.Wait(5*time.Second, func() bool {
		for _, m := range w.tg.SentTo(tgStaff.ID) {
			if strings.Contains(m.Text, "1号楼") {
				return true
			}
		}
		return false
	}) {
		t.Error("the Telegram staff group was not told")
	}
}
