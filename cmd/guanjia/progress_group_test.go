package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestProgressAskedInGroupInOwnWords: a resident asking after their report in the group, in
// words the rules do not know or by the number alone, is answered in their private chat as a
// typed 「进度」 is; the group is told only that, never the ticket's story.
func TestProgressAskedInGroupInOwnWords(t *testing.T) {
	clk := newClock()
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), clk, &out)
	defer app.Close()
	app.say(t, "张三: 报修", "张三: 1", "张三: 1", "张三: 厨房水管漏水了", "张三: 跳过", "张三: 1", "张三: 1")
	if !strings.Contains(out.String(), "R20261126-0001") {
		t.Fatalf("no ticket filed:\n%s", out.String())
	}
	for _, line := range []string{
		"张三@3号楼业主群: @管家 我前天报修的那个现在弄得怎么样了",
		"张三@3号楼业主群: R20261126-0001",
	} {
		from := out.Len()
		app.say(t, line)
		got := out.String()[from:]
		if !strings.Contains(got, "[张三] ") || !strings.Contains(got, "R20261126-0001") || !strings.Contains(got, "已私信您") {
			t.Errorf("%q: want the ticket told privately and the group told so, got:\n%s", line, got)
		}
		for _, l := range strings.Split(got, "\n") {
			if strings.HasPrefix(l, "[3号楼业主群") && strings.Contains(l, "厨房水管") {
				t.Errorf("%q: the group was shown the ticket: %s", line, l)
			}
		}
	}
}

// TestInternalNotesStayWithStaff: a steward's 备注 is the office's: the resident asking after
// the ticket, by 进度 or by its number, never sees it; staff reading the ticket do.
func TestInternalNotesStayWithStaff(t *testing.T) {
	clk := newClock()
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), clk, &out)
	defer app.Close()
	app.say(t, "张三: 报修 马桶漏水", "张三: 1", "张三: 1", "张三: 跳过", "张三: 1", "张三: 1",
		"王管家@员工群: 备注 R20261126-0001 业主电话打不通，疑似欠费户")
	for _, line := range []string{"张三: 进度 R20261126-0001", "张三: R20261126-0001", "张三: 进度"} {
		from := out.Len()
		app.say(t, line)
		if got := out.String()[from:]; strings.Contains(got, "疑似欠费户") || strings.Contains(got, "内部备注") {
			t.Errorf("%q showed the resident the office's note:\n%s", line, got)
		}
	}
	from := out.Len()
	app.say(t, "王管家@员工群: 详情 R20261126-0001")
	if got := out.String()[from:]; !strings.Contains(got, "疑似欠费户") {
		t.Errorf("the steward does not see the note in the ticket's details:\n%s", got)
	}
}

// TestProgressOfOneKind: 「我的投诉怎么样了」 is about complaints: with none open the resident is
// told so (and shown what is open), never a repair passed off as the complaint.
func TestProgressOfOneKind(t *testing.T) {
	clk := newClock()
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), clk, &out)
	defer app.Close()
	app.say(t, "张三: 报修 马桶漏水", "张三: 1", "张三: 1", "张三: 跳过", "张三: 1", "张三: 1")
	from := out.Len()
	app.say(t, "张三: 我的投诉怎么样了")
	if got := out.String()[from:]; !strings.Contains(got, "您目前没有进行中的投诉") {
		t.Errorf("asked after complaints with only a repair open:\n%s", got)
	}
	app.say(t, "张三: 投诉 楼上半夜装修", "张三: 1", "张三: 跳过", "张三: 2", "张三: 1")
	from = out.Len()
	app.say(t, "张三: 我的投诉怎么样了")
	got := out.String()[from:]
	if !strings.Contains(got, "C20261126-0001") || strings.Contains(got, "R20261126-0001") {
		t.Errorf("asked after complaints: want the complaint only:\n%s", got)
	}
}

// TestFeesOfAnotherHome: asking what another home owes is refused politely, in a group or in
// private; the asker's own bill is not sent in its place, nor the other home's figures.
func TestFeesOfAnotherHome(t *testing.T) {
	clk := newClock()
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), clk, &out)
	defer app.Close()
	for _, line := range []string{"张三@3号楼业主群: @管家 2-2-502欠多少钱", "张三: 2-2-502的物业费多少"} {
		from := out.Len()
		app.say(t, line)
		got := out.String()[from:]
		if !strings.Contains(got, "只能查询您自己家的") || strings.Contains(got, "元") {
			t.Errorf("%q:\n%s", line, got)
		}
	}
	from := out.Len()
	app.say(t, "张三: 3-1-1201的物业费多少")
	if got := out.String()[from:]; strings.Contains(got, "只能查询您自己家的") {
		t.Errorf("his own home named: refused:\n%s", got)
	}
}

// TestWhySoMuchBeforeThisMonthsBill: 「为什么这么多」 while this month's bill is not out yet
// explains the bill that is owed, not a bill that does not exist.
func TestWhySoMuchBeforeThisMonthsBill(t *testing.T) {
	out := runScript(t, `$ guanjia bills generate 2026-10
李奶奶: 为什么这么多
`)
	got := replyTo(out, "李奶奶: 为什么这么多")
	checkText(t, got, []string{"2026年10月账单", "×"}, []string{"2026年11月的账单还没有生成"})
}
