package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestArrearsListShowsLatestReminder: the office's list of arrears shows a reminder sent by
// hand as the latest, after the ladder's steps.
func TestArrearsListShowsLatestReminder(t *testing.T) {
	out := runScript(t, `$ guanjia bills generate 2026-11
!wait 648h
$ guanjia jobs run dunning -at 2026-12-23T10:00
!wait 24h
王管家@员工群: 催缴 3-1-1201
王管家@员工群: 欠费名单
`)
	got := replyTo(out, "王管家@员工群: 欠费名单")
	line := ""
	for _, l := range strings.Split(got, "\n") {
		if strings.Contains(l, "3-1-1201") {
			line = l
		}
	}
	if !strings.Contains(line, "已手动提醒 12-24") {
		t.Errorf("3-1-1201 in the list = %q, want 已手动提醒 12-24; transcript:\n%s", line, out)
	}
}

// TestArrearsListOfABuildingThatDoesNotExist: 「欠费名单 9」 where there is no building 9 says so,
// with the buildings there are, instead of "nothing owed".
func TestArrearsListOfABuildingThatDoesNotExist(t *testing.T) {
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), newClock(), &out)
	defer app.Close()
	app.say(t, "王管家@员工群: 欠费名单 9")
	checkText(t, out.String(), []string{"没有 9 号楼，本小区有 1、2、3 号楼"}, []string{"目前没有欠费"})
}

// TestRemindByHandRespectsAPause: 催缴 on a home whose reminders a steward paused says so and
// how to lift it; once resumed, it is sent.
func TestRemindByHandRespectsAPause(t *testing.T) {
	out := runScript(t, `$ guanjia bills generate 2026-11
!wait 648h
王管家@员工群: 暂停催缴 3-1-1201 业主出国
王管家@员工群: 催缴 3-1-1201
王管家@员工群: 恢复催缴 3-1-1201
王管家@员工群: 催缴 3-1-1201
`)
	lines := strings.Split(out, "> 王管家@员工群: 催缴 3-1-1201")
	if len(lines) != 3 {
		t.Fatalf("transcript:\n%s", out)
	}
	first, second := lines[1], lines[2]
	checkText(t, first, []string{"催缴现在不发：已暂停：业主出国", "恢复催缴 3-1-1201"}, []string{"已私信提醒"})
	checkText(t, second, []string{"已私信提醒"}, []string{"催缴现在不发"})
}
