package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot/telegram/tgfake"
)

// TestUnboundReportAsksWhichCommunity: someone not bound yet, where the office runs two
// communities, is asked which one before the address, and the report is filed there, with
// the address checked against that community's buildings.
func TestUnboundReportAsksWhichCommunity(t *testing.T) {
	clk := newClock()
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), clk, &out)
	defer app.Close()
	ctx := context.Background()
	if err := app.Store.PutCommunity(ctx, guanjia.Community{ID: "lake", Name: "湖景苑", Buildings: []int{5, 6}}); err != nil {
		t.Fatal(err)
	}
	app.say(t, "陌生人: 报修 厨房下水道堵了", "陌生人: 湖景园", "陌生人: 湖景苑", "陌生人: 3-1-1201", "陌生人: 5号楼2单元")
	got := out.String()
	for _, want := range []string{
		"[陌生人] 请问您住在哪个小区？\n  1) 湖景苑\n  2) 示例花园\n",
		"[陌生人] 请从下面的选项中选一个，回复序号或选项文字即可。\n  请问您住在哪个小区？",
		"[陌生人] 好的，我来帮您登记报修。请告诉我报修地址",
		"[陌生人] 湖景苑没有 3 号楼，本小区有 5、6 号楼。",
		"[陌生人] 请问是哪一类问题？",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	app.say(t, "陌生人: 5", "陌生人: 跳过", "陌生人: 1", "陌生人: 1")
	tk, err := app.Store.Ticket(ctx, "lake", "R20261126-0001")
	if err != nil {
		t.Fatalf("the report was not filed in 湖景苑: %v\n%s", err, out.String())
	}
	if tk.Address != "5号楼2单元" || tk.Building != 5 || tk.Description != "厨房下水道堵了" {
		t.Errorf("ticket = address %q, building %d, description %q", tk.Address, tk.Building, tk.Description)
	}
}

// TestTelegramProgressAskedInGroup: "进度" in a residents' group, without a mention, is answered
// as fee questions are: privately for someone with a private chat, with a deep link for
// someone without one; the group never sees a ticket.
func TestTelegramProgressAskedInGroup(t *testing.T) {
	w := newTGWorld(t)
	w.setUp()
	no := w.reportByButtons("厨房水管接头一直在漏水")
	pm := tgfake.Private(w.zhang)
	skip := len(w.fake.SentTo(pm.ID))
	note := w.say(w.building, w.zhang, "进度", "已私信您")
	if strings.Contains(note.Text, no) {
		t.Errorf("the group was shown the ticket: %q", note.Text)
	}
	w.waitNew(pm.ID, skip, no)

	li := tgfake.Person(2002, "李先生")
	pointer := w.say(w.building, li, "进度", "私聊我查询")
	if !strings.Contains(pointer.Text, "https://t.me/guanjia_bot?start=progress") {
		t.Fatalf("no deep link in %q", pointer.Text)
	}
	w.say(tgfake.Private(li), li, "/start progress", "您目前没有进行中的报修或投诉")
}
