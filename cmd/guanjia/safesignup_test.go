package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestBindSameAccountAgain: an account bound to a person that binds to them again is told
// it is bound already, and neither the person nor the office is alerted a second time.
func TestBindSameAccountAgain(t *testing.T) {
	clk := newClock()
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), clk, &out)
	defer app.Close()
	app.say(t, "Mary: bind 李四 0502")
	first := out.String()
	if !strings.Contains(first, "[Mary] 绑定成功") {
		t.Fatalf("the first binding did not succeed:\n%s", first)
	}
	out.Reset()
	app.say(t, "Mary: 绑定 李四 0502")
	got := out.String()
	if !strings.Contains(got, "[Mary] 您已经绑定了") {
		t.Errorf("the second binding was not told it is bound already:\n%s", got)
	}
	for _, unwanted := range []string{"绑定成功", "安全提醒", "【绑定提醒】"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("the second binding sent %q:\n%s", unwanted, got)
		}
	}
}

// TestMySignUpsAskedInGroup: "我的报名" in a residents' group is answered in the private
// chat; the group is told only that it was sent there.
func TestMySignUpsAskedInGroup(t *testing.T) {
	clk := newClock()
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), clk, &out)
	defer app.Close()
	ev := newEvent(t, app.App, 10, clk.Now())
	app.say(t, "张三: 报名 "+ev.No)
	if !strings.Contains(out.String(), ev.No) {
		t.Fatalf("张三 did not sign up:\n%s", out.String())
	}
	out.Reset()
	app.say(t, "张三@3号楼业主群: @管家 我的报名")
	got := out.String()
	if !strings.Contains(got, "[张三] 您家的活动报名") || !strings.Contains(got, "您家的报名情况属于个人信息，已私信您") {
		t.Errorf("not answered privately:\n%s", got)
	}
	for _, l := range strings.Split(got, "\n") {
		if strings.HasPrefix(l, "[3号楼业主群]") && (strings.Contains(l, ev.Title) || strings.Contains(l, ev.No)) {
			t.Errorf("the group was shown the sign-up: %q", l)
		}
	}
}

// TestCancelSignUpInPlainWords: with the home signed up for one event still to come,
// "不去了" and "去不了了" cancel the sign-up as 取消报名 does; a bare 取消 outside any
// conversation asks first and cancels nothing; with no sign-up, nothing changes.
func TestCancelSignUpInPlainWords(t *testing.T) {
	for i, tc := range []struct {
		say     string
		signed  bool
		want    string
		cancels bool
	}{
		{"不去了", true, "已取消您家对", true},
		{"去不了了", true, "已取消您家对", true},
		{"取消报名", true, "已取消您家对", true},
		{"我们家不去了", true, "已取消您家对", true},
		{"取消", true, "要取消", false},
		{"取消", false, "当前没有进行中的事项，不需要取消", false},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			clk := newClock()
			var out bytes.Buffer
			app := openTestApp(t, testConfig(t), clk, &out)
			defer app.Close()
			ev := newEvent(t, app.App, 10, clk.Now())
			if tc.signed {
				app.say(t, "张三: 报名 "+ev.No)
			}
			out.Reset()
			app.say(t, "张三: "+tc.say)
			got := out.String()
			if !strings.Contains(got, tc.want) {
				t.Errorf("%q: want %q in:\n%s", tc.say, tc.want, got)
			}
			if tc.signed && !tc.cancels && !strings.Contains(got, ev.No) {
				t.Errorf("%q: the question does not name the event:\n%s", tc.say, got)
			}
			out.Reset()
			app.say(t, "张三: 我的报名")
			still := strings.Contains(out.String(), ev.No)
			if tc.signed && still == tc.cancels {
				t.Errorf("%q: signed up afterwards = %v, want %v:\n%s", tc.say, still, !tc.cancels, out.String())
			}
		})
	}
}

// TestHouseholdSafeAfterEmergency: after an emergency notice to building 3, a reply saying
// the household is safe counts as safe; a question or a negation does not.
func TestHouseholdSafeAfterEmergency(t *testing.T) {
	for i, tc := range []struct {
		line string
		safe bool
	}{
		{"张三: 我们家都安全", true},
		{"张三: 家里人都平安", true},
		{"张三: 全家都好", true},
		{"张三: 我们都没事", true},
		{"张三: 家里不安全", false},
		{"张三: 没事吧?", false},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			clk := newClock()
			var out bytes.Buffer
			app := openTestApp(t, testConfig(t), clk, &out)
			defer app.Close()
			app.say(t, "王管家@员工群: 紧急 3号楼 燃气泄漏，请立即撤离", "王管家@员工群: 1")
			out.Reset()
			app.say(t, tc.line)
			got := out.String()
			if counted := strings.Contains(got, "您安全就好"); counted != tc.safe {
				t.Errorf("%q counted safe = %v, want %v:\n%s", tc.line, counted, tc.safe, got)
			}
		})
	}
}

// TestWhatHappenedAfterEmergency: a resident who got an emergency notice and asks what it was
// (什么事啊, 没收到?) is shown it again with how to answer; someone who got none is not.
func TestWhatHappenedAfterEmergency(t *testing.T) {
	clk := newClock()
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), clk, &out)
	defer app.Close()
	app.say(t, "王管家@员工群: 紧急 3号楼 燃气泄漏，请立即撤离", "王管家@员工群: 1")
	for _, line := range []string{"张三: 什么事啊", "张三: 没收到?"} {
		from := out.Len()
		app.say(t, line)
		checkText(t, out.String()[from:], []string{"这是刚才发给您的紧急通知（E20261126-0001）", "燃气泄漏", "回复「安全」"}, nil)
	}
	from := out.Len()
	app.say(t, "李四: 什么事啊")
	checkText(t, out.String()[from:], nil, []string{"这是刚才发给您的紧急通知"})
}
