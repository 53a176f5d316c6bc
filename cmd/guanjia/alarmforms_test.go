package main

import (
	"strings"
	"testing"
)

// section is what was shown after the script line "> line" (its last occurrence), up to the
// next script line.
func section(out, line string) string {
	i := strings.LastIndex(out, "> "+line+"\n")
	if i < 0 {
		return ""
	}
	rest := out[i+len(line)+3:]
	if j := strings.Index(rest, "\n> "); j >= 0 {
		rest = rest[:j+1]
	}
	return rest
}

// TestAlarmAboutOwnHomeInAGroupIsPlacedAtTheHome: words about the reporter's own home put the
// alarm at the home on file, in a group as in private; the group never sees the home.
func TestAlarmAboutOwnHomeInAGroupIsPlacedAtTheHome(t *testing.T) {
	cases := []struct {
		name, line, want string
		home             bool
	}{
		{"group_my_home", "李奶奶@3号楼业主群: 救命 我家厨房冒烟了", "位置：1-1-101", true},
		{"group_at_home", "李奶奶@3号楼业主群: 家里着火了", "位置：1-1-101", true},
		{"group_our_home", "李奶奶@3号楼业主群: 我们家燃气泄漏了", "位置：1-1-101", true},
		{"group_indoors", "李奶奶@3号楼业主群: 屋里好大的烟，着火了", "位置：1-1-101", true},
		{"group_neighbour", "李奶奶@3号楼业主群: 邻居家里着火了", "位置：3号楼（李奶奶报告：邻居家）", false},
		{"group_stairs", "李奶奶@3号楼业主群: 楼道里着火了", "位置：3号楼（3号楼业主群）", false},
		{"group_place_named", "李奶奶@3号楼业主群: 我家着火了 2-1-301", "位置：2-1-301", false},
		{"private", "李奶奶: 救命 我家厨房冒烟了", "位置：1-1-101", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := runScript(t, c.line+"\n王管家@员工群: 详情 H20261126-0001\n王管家@员工群: 接单 H20261126-0001\n"+
				"王管家@员工群: 完成 H20261126-0001 已处理\n")
			said := section(out, c.line)
			staff := ""
			for _, l := range strings.Split(said, "\n") {
				if strings.HasPrefix(l, "[员工群]") || strings.HasPrefix(l, "[王管家]") || strings.HasPrefix(l, "[赵主管]") {
					staff += l + "\n"
				}
			}
			if !strings.Contains(said, c.want) {
				t.Errorf("want %q in the staff's card, got:\n%s", c.want, said)
			}
			if strings.Contains(c.line, "@") {
				// What the residents' group read (its lines up to the next chat's), then or later,
				// has no home in it.
				for _, l := range strings.Split(out, "\n[") {
					if strings.HasPrefix(strings.TrimPrefix(l, "["), "3号楼业主群]") && strings.Contains(l, "1-1-101") {
						t.Errorf("the residents' group was shown the home:\n%s", said)
					}
				}
			}
			details := section(out, "王管家@员工群: 详情 H20261126-0001")
			if c.home && !strings.Contains(details, "1-1-101") {
				t.Errorf("the ticket is not at the home:\n%s", out)
			}
		})
	}
}

// TestAlarmAboutANeighboursHomeIsNotPlacedAtTheReportersHome: a danger at someone else's home
// is placed where the message says, or at the building, never at the reporter's home on file.
func TestAlarmAboutANeighboursHomeIsNotPlacedAtTheReportersHome(t *testing.T) {
	cases := []struct {
		name, line, want, notWant string
	}{
		{"group_named_room_unknown", "张三@3号楼业主群: 1单元101李奶奶家里好像有煤气味，敲门没人应",
			"位置：3号楼（张三报告：邻居家）", "3-1-1201"},
		{"group_named_room_on_file", "李四@3号楼业主群: 1单元1201王阿姨家里好像有煤气味",
			"位置：3-1-1201", "2-2-502"},
		{"group_downstairs", "张三@3号楼业主群: 楼下李奶奶家里冒烟了", "位置：3号楼（张三报告：邻居家）", "3-1-1201"},
		{"private_opposite", "李四: 对门家里好像有煤气味", "位置：2号楼（李四报告：邻居家）", "2-2-502"},
		{"private_own", "李四: 我家里好像有煤气味", "位置：2-2-502", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := runScript(t, c.line+"\n王管家@员工群: 详情 H20261126-0001\n")
			said := section(out, c.line)
			if !strings.Contains(said, c.want) {
				t.Errorf("want %q in the staff's card, got:\n%s", c.want, said)
			}
			if c.notWant != "" && strings.Contains(out, c.notWant) {
				t.Errorf("the alarm is placed at the reporter's home %s:\n%s", c.notWant, out)
			}
			if !strings.Contains(said, strings.SplitN(c.line, ": ", 2)[1]) {
				t.Errorf("the message is not on the card:\n%s", said)
			}
		})
	}
}

// TestConfirmWordsAtAFreeTextFieldAskAgain: 确认提交 and the other words of a form's confirm
// step, sent where a form waits for free text, are not taken as the text: the question is asked
// again, saying what to send.
func TestConfirmWordsAtAFreeTextFieldAskAgain(t *testing.T) {
	cases := []struct {
		name  string
		start []string
		word  string
		want  string
	}{
		{"emergency_submit", []string{"王管家@员工群: 紧急 1号楼 停电"}, "确认提交", "请发送通知正文"},
		{"emergency_confirm", []string{"王管家@员工群: 紧急 1号楼 停电"}, "确认", "请发送通知正文"},
		{"notice_submit", []string{"王管家@员工群: 通知 3号楼", "王管家@员工群: 2"}, "提交", "请发送通知正文"},
		{"notice_redo", []string{"王管家@员工群: 通知 3号楼", "王管家@员工群: 2"}, "重新填写", "请发送通知正文"},
		{"event_title", []string{"王管家: 活动"}, "确认提交", "活动名称是什么"},
		{"survey_question", []string{"王管家: 问卷"}, "确认提交！", "问卷"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			who, _, _ := strings.Cut(c.start[0], ":")
			line := who + ": " + c.word
			out := runScript(t, strings.Join(c.start, "\n")+"\n"+line+"\n")
			said := section(out, line)
			if !strings.Contains(said, "还没到确认") || !strings.Contains(said, c.want) {
				t.Errorf("after %q: want the question %q asked again, got:\n%s", c.word, c.want, out)
			}
			if strings.Contains(said, "请确认") || strings.Contains(said, c.word+"\n") {
				t.Errorf("after %q: taken as the text:\n%s", c.word, out)
			}
		})
	}
}

// TestOnlySupervisorsApprove: 批准 from anyone who may not approve — a steward, a worker, in
// the staff group or privately, by words or by the card's button — is politely refused.
func TestOnlySupervisorsApprove(t *testing.T) {
	draft := "王管家@员工群: 通知 全小区 本周六上午小区统一消杀，请关好门窗\n王管家@员工群: 立即发送\n王管家@员工群: 1\n"
	cases := []struct{ name, line, who string }{
		{"steward_group", "王管家@员工群: 批准 N20261126-0001", "[员工群] @王管家"},
		{"worker_group", "刘师傅@员工群: 批准 N20261126-0001", "[员工群] @刘师傅"},
		{"worker_private", "刘师傅: 批准 N20261126-0001", "[刘师傅]"},
		{"worker_private_lower", "刘师傅: 批准 n20261126-0001", "[刘师傅]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := runScript(t, draft+c.line+"\n")
			said := section(out, c.line)
			if !strings.HasPrefix(said, c.who+" 只有主管可以批准通知 N20261126-0001") {
				t.Errorf("%s: want the refusal, got:\n%s", c.line, out)
			}
			if strings.Contains(out, "已批准") {
				t.Errorf("%s: approved:\n%s", c.line, out)
			}
		})
	}
}

// TestEventInvitationsWaitOutQuietHours: an invitation to go out now, or at a time, in quiet
// hours is held to their end, as announcements are, and the steward is told when it goes; the
// last call too.
func TestEventInvitationsWaitOutQuietHours(t *testing.T) {
	form := func(invite string) string {
		return "王管家: 活动\n王管家: 冬至包饺子\n王管家: 2026-11-30 15:00\n王管家: 社区活动室\n王管家: 20\n王管家: 3\n" +
			"王管家: 2026-11-30 02:00\n王管家: " + invite + "\n王管家: 不用\n王管家: 无\n王管家: 1\n"
	}
	cases := []struct {
		name, wait, invite, created string
		jobs                        []struct{ at, want string }
	}{
		{"now_at_night", "!wait 17h56m", "现在", "为免夜间打扰，邀请将于 2026-11-27 08:00 发到 1 个业主群", nil},
		{"at_a_time_in_the_night", "!wait 1m", "2026-11-26 23:30", "为免夜间打扰，邀请将于 2026-11-27 08:00 发到 1 个业主群", nil},
		{"now_by_day", "!wait 1m", "现在", "邀请已发到 1 个业主群", nil},
	}
	cases[0].jobs = []struct{ at, want string }{{"2026-11-27 03:00", ""}, {"2026-11-27 08:00", "【社区活动】"},
		// The last call, a day before the deadline at 02:00, waits for the morning too.
		{"2026-11-29 02:05", ""}, {"2026-11-29 08:00", "冬至包饺子"}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			script := c.wait + "\n" + form(c.invite)
			for _, j := range c.jobs {
				script += "!job events " + j.at + "\n"
			}
			out := runScript(t, script)
			created := section(out, "王管家: 1")
			if !strings.Contains(created, c.created) {
				t.Fatalf("want %q, got:\n%s", c.created, out)
			}
			if held := !strings.Contains(c.created, "已发到"); held && strings.Contains(created, "【社区活动】") {
				t.Errorf("the invitation went out in quiet hours:\n%s", created)
			}
			for _, j := range c.jobs {
				said := section(out, "!job events "+j.at)
				if j.want == "" && strings.Contains(said, "[3号楼业主群]") || j.want != "" && !strings.Contains(said, "[3号楼业主群] "+j.want) &&
					!strings.Contains(said, j.want) {
					t.Errorf("job at %s: want %q, got:\n%s", j.at, j.want, out)
				}
			}
		})
	}
}
