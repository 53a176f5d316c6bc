package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestStewardPatrolsAndHazards: a hazard's place is checked as a repair's address is, a form
// word of the day in the middle of a form starts that form instead of answering, and a patrol
// waiting for its confirm takes the patrol's own work as the yes. A list asked for in between is
// answered, and the form says it still waits.
func TestStewardPatrolsAndHazards(t *testing.T) {
	cases := []struct {
		name  string
		lines []string
		// want appear in the replies to the last line, in order; never do not appear there.
		want, never []string
	}{
		{"no such building", []string{"隐患 9号楼 电动车在楼道充电"},
			[]string{"示例花园没有 9 号楼，本小区有 1、2、3 号楼。", "隐患在哪里？"}, []string{"请确认隐患信息"}},
		{"no such building, written together", []string{"隐患 9号楼楼道堆满杂物"},
			[]string{"没有 9 号楼", "隐患在哪里？"}, nil},
		{"the place cannot be skipped", []string{"隐患 9号楼 电动车在楼道充电", "跳过"},
			[]string{"地点不能跳过", "隐患在哪里？"}, []string{"请拍一张现场照片"}},
		{"asked again, a wrong building again", []string{"隐患 9号楼 电动车在楼道充电", "8号楼"},
			[]string{"没有 8 号楼", "隐患在哪里？"}, nil},
		{"asked again, a right building", []string{"隐患 9号楼 电动车在楼道充电", "3号楼1层楼道", "跳过"},
			[]string{"地点：3号楼1层楼道", "情况：电动车在楼道充电"}, []string{"9号楼"}},
		{"a building that exists", []string{"隐患 3号楼 电动车在楼道充电", "跳过"},
			[]string{"地点：3号楼"}, []string{"没有"}},
		{"交班 in a hazard report", []string{"隐患 3号楼", "交班"},
			[]string{"「隐患上报」先不办了", "交班备注"}, []string{"哪类隐患"}},
		{"巡查 in a hazard report", []string{"隐患 3号楼", "巡查"},
			[]string{"「隐患上报」先不办了", "请选择巡查路线"}, []string{"哪类隐患"}},
		{"隐患 in a handover", []string{"交班", "隐患 3号楼 电动车在楼道充电"},
			[]string{"先不办了", "请拍一张现场照片"}, nil},
		{"今日计划 in a hazard report", []string{"隐患 3号楼", "今日计划"},
			[]string{"今日计划", "您的「隐患上报」还没有填完", "请回复「取消」", "请描述一下隐患的情况"}, []string{"哪类隐患", "先不办了"}},
		{"待办 in a hazard report", []string{"隐患 3号楼", "待办"},
			[]string{"目前没有待办事项", "还没有填完", "请描述一下隐患的情况"}, []string{"哪类隐患"}},
		{"接班 in a hazard report", []string{"隐患 3号楼", "接班"},
			[]string{"没有等您确认的交班", "还没有填完", "请描述一下隐患的情况"}, []string{"哪类隐患"}},
		{"取消 in a hazard report", []string{"隐患 3号楼", "取消"},
			[]string{"已取消"}, []string{"哪类隐患"}},
		{"the form goes on after a list", []string{"隐患 3号楼", "待办", "楼道堆满杂物", "跳过"},
			[]string{"类别：垃圾", "情况：楼道堆满杂物"}, nil},
		{"已查 confirms the patrol", []string{"巡查", "消防设施", "已查 1 2"},
			[]string{"（消防设施）已开始", "已查：灭火器、消火栓。还有 2 个检查点。"}, []string{"没有进行中的巡查"}},
		{"隐患 confirms the patrol", []string{"巡查", "消防设施", "隐患 3 灭火器过期了"},
			[]string{"（消防设施）已开始", "这属于哪类隐患？"}, []string{"请从下面的选项中选一个"}},
		{"the hazard is the patrol's", []string{"巡查", "消防设施", "隐患 3 灭火器过期了", "3", "跳过", "1", "巡查结束"},
			[]string{"未查：灭火器、消火栓、消防通道", "发现隐患：H"}, nil},
		{"the patrol's confirm still takes 1", []string{"巡查 消防设施", "1"},
			[]string{"（消防设施）已开始"}, nil},
		{"the patrol's confirm still takes 取消", []string{"巡查 消防设施", "取消", "已查 1"},
			[]string{"没有进行中的巡查"}, nil},
	}
	for i, c := range cases {
		// Numbered: a test's name names its database, which takes no Chinese or commas.
		t.Run(fmt.Sprint("case", i), func(t *testing.T) {
			clk := newClock()
			var out bytes.Buffer
			app := openTestApp(t, testConfig(t), clk, &out)
			defer app.Close()
			from := 0
			for _, l := range c.lines {
				from = out.Len()
				app.say(t, "王管家: "+l)
			}
			got := out.String()[from:]
			at := 0
			for _, w := range c.want {
				i := strings.Index(got[at:], w)
				if i < 0 {
					t.Fatalf("%s: after %q: want %q (in order), got:\n%s", c.name, c.lines, w, got)
				}
				at += i + len(w)
			}
			for _, n := range c.never {
				if strings.Contains(got, n) {
					t.Errorf("%s: after %q: %q should not be said, got:\n%s", c.name, c.lines, n, got)
				}
			}
		})
	}
}
