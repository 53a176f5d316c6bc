package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// report is 张三's kitchen leak, filed as R20261126-0001.
var report = []string{"张三: 报修 厨房水管漏水", "张三: 1", "张三: 1", "张三: 跳过", "张三: 1", "张三: 1"}

// TestWorkerToldWhenJobCalledOff: the worker a job is assigned to is told privately when it is
// closed, a false alarm or given to someone else, so that he does not set out; and
// when it is reopened, that it is still his.
func TestWorkerToldWhenJobCalledOff(t *testing.T) {
	for _, c := range []struct {
		name   string
		before []string
		lines  []string
		want   []string
		not    []string
	}{
		{"closed", report, []string{"王管家@员工群: 派单 R20261126-0001 刘师傅", "王管家@员工群: 关闭 R20261126-0001"},
			[]string{"[刘师傅] 维修任务 R20261126-0001 已由王管家关闭，您不用再去了，谢谢。"}, nil},
		{"given to someone else", report, []string{"王管家@员工群: 派单 R20261126-0001 刘师傅", "王管家@员工群: 派单 R20261126-0001 王管家"},
			[]string{"[刘师傅] 维修任务 R20261126-0001 已由王管家改派给王管家，您不用再去了，谢谢。"}, nil},
		{"false alarm", []string{"张三: 电梯困人了！我被困在3号楼1单元电梯里"},
			[]string{"王管家@员工群: 派单 H20261126-0001 刘师傅", "王管家@员工群: 误报 H20261126-0001 已核实"},
			[]string{"[刘师傅] H20261126-0001 经王管家核实是误报，已取消，您不用再去了，谢谢。"}, nil},
		{"reopened", report, []string{"王管家@员工群: 派单 R20261126-0001 刘师傅", "刘师傅: 完成 R20261126-0001", "王管家@员工群: 重开 R20261126-0001"},
			[]string{"[刘师傅] 维修任务 R20261126-0001 已由王管家重新打开，仍由您负责"}, nil},
		{"closed unassigned", report, []string{"王管家@员工群: 关闭 R20261126-0001"}, nil, []string{"[刘师傅]"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			app := openTestApp(t, testConfig(t), newClock(), &out)
			defer app.Close()
			app.say(t, c.before...)
			app.say(t, c.lines...)
			got := out.String()
			checkText(t, got, c.want, c.not)
		})
	}
}

// TestAssignTwiceToSameWorker: assigning a job again to whoever has it changes nothing.
func TestAssignTwiceToSameWorker(t *testing.T) {
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), newClock(), &out)
	defer app.Close()
	app.say(t, report...)
	app.say(t, "王管家@员工群: 派单 R20261126-0001 刘师傅")
	from := out.Len()
	app.say(t, "王管家@员工群: 派单 R20261126-0001 刘师傅")
	got := out.String()[from:]
	if !strings.Contains(got, "R20261126-0001 已经派给刘师傅了") {
		t.Errorf("not told it is assigned already:\n%s", got)
	}
	for _, w := range []string{"[刘师傅]", "[张三]"} {
		if strings.Contains(got, w) {
			t.Errorf("%s told again:\n%s", w, got)
		}
	}
	from = out.Len()
	app.say(t, "王管家@员工群: 详情 R20261126-0001")
	if n := strings.Count(out.String()[from:], "王管家 派单"); n != 1 {
		t.Errorf("details show %d assignments:\n%s", n, out.String()[from:])
	}
}

// TestBareDoneFromWorker: 「完成」 alone from a worker with one open job completes it, naming it;
// with several he is asked which; with none he gets the usage.
func TestBareDoneFromWorker(t *testing.T) {
	second := []string{"李四: 报修 卫生间灯不亮", "李四: 1", "李四: 1", "李四: 跳过", "李四: 1", "李四: 1"}
	for _, c := range []struct {
		name string
		jobs []string
		done string
		want []string
		not  []string
	}{
		{"one job", []string{"王管家@员工群: 派单 R20261126-0001 刘师傅"}, "刘师傅: 完成",
			[]string{"[刘师傅] 已标记完成：R20261126-0001", "[张三] 您的报修 R20261126-0001 已处理完成"}, []string{"格式不对"}},
		{"one job in own words", []string{"王管家@员工群: 派单 R20261126-0001 刘师傅"}, "刘师傅: 修好了",
			[]string{"[刘师傅] 已标记完成：R20261126-0001"}, nil},
		{"two jobs", []string{"王管家@员工群: 派单 R20261126-0001 刘师傅", "王管家@员工群: 派单 R20261126-0002 刘师傅"}, "刘师傅: 完成",
			[]string{"[刘师傅] 您手上有 2 个未完成的任务，请问完成的是哪一个？", "R20261126-0001", "R20261126-0002"},
			[]string{"已标记完成", "已处理完成"}},
		{"no job", nil, "刘师傅: 完成", []string{"[刘师傅] 格式不对"}, []string{"已标记完成"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			app := openTestApp(t, testConfig(t), newClock(), &out)
			defer app.Close()
			app.say(t, report...)
			app.say(t, second...)
			app.say(t, c.jobs...)
			from := out.Len()
			app.say(t, c.done)
			got := out.String()[from:]
			checkText(t, got, c.want, c.not)
		})
	}
}

// TestStaffAskAboutTheirWork: staff asking about their work in their own words get their tasks
// (workers) or the to-do list (the office); words nothing fits get the staff commands, not the
// residents' menu with the steward.
func TestStaffAskAboutTheirWork(t *testing.T) {
	for i, c := range []struct {
		say  string
		want string
		not  []string
	}{
		{"刘师傅: 今天有啥活", "[刘师傅] 您的任务：\n", []string{"转给管家", "您是想"}},
		{"刘师傅: 我的活", "[刘师傅] 您的任务：\n", []string{"社区活动", "您是想"}},
		{"刘师傅: 今天干什么", "[刘师傅] 您的任务：\n", []string{"仅限"}},
		{"王管家: my tasks", "[王管家] 待办", []string{"您目前没有进行中的报修或投诉"}},
		{"王管家: 今天要干嘛", "[王管家] 待办", []string{"转给管家"}},
		{"刘师傅: 那个蓝色盒子放哪边", "[刘师傅] 抱歉，我没太明白您的意思。工作人员常用指令：\n  · 我的任务", []string{"转给管家"}},
		{"王管家: 那个蓝色盒子放哪边", "[王管家] 抱歉，我没太明白您的意思。工作人员常用指令：\n  · 待办", []string{"转给管家"}},
		{"张三: 那个蓝色盒子放哪边", "转给管家", []string{"工作人员常用指令"}},
	} {
		t.Run("case"+strconv.Itoa(i), func(t *testing.T) {
			var out bytes.Buffer
			app := openTestApp(t, testConfig(t), newClock(), &out)
			defer app.Close()
			app.say(t, report...)
			app.say(t, "王管家@员工群: 派单 R20261126-0001 刘师傅")
			from := out.Len()
			app.say(t, c.say)
			got := out.String()[from:]
			if !strings.Contains(got, c.want) {
				t.Errorf("missing %q in:\n%s", c.want, got)
			}
			for _, w := range c.not {
				if strings.Contains(got, w) {
					t.Errorf("unexpected %q in:\n%s", w, got)
				}
			}
		})
	}
}

// TestWorkerAskingToSendANotice: a worker starting a notice is told stewards and supervisors
// send them, not given the residents' advice on emergencies.
func TestWorkerAskingToSendANotice(t *testing.T) {
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), newClock(), &out)
	defer app.Close()
	app.say(t, "刘师傅@员工群: 通知 3号楼 明天停水")
	checkText(t, out.String(), []string{"群发通知需要由管家或主管操作"}, []string{"如果您遇到紧急情况"})
}

// TestHandoverItemConfirmedTwice: confirming a handover item again says it was confirmed
// already, not "confirmed" once more.
func TestHandoverItemConfirmedTwice(t *testing.T) {
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), newClock(), &out)
	defer app.Close()
	app.say(t, "张三: 报修", "张三: 1", "张三: 1", "张三: 厨房水管接头一直在漏水", "张三: 跳过", "张三: 1", "张三: 1",
		"李四: 报修", "李四: 1", "李四: 2", "李四: 门锁坏了打不开", "李四: 跳过", "李四: 1", "李四: 1",
		"王管家: 交班", "王管家: 等配件，明天上午到", "王管家: 等业主在家再上门", "王管家: 无", "王管家: 1",
		"孙管家: 接班 1")
	from := out.Len()
	app.say(t, "孙管家: 接班 1")
	checkText(t, out.String()[from:], []string{"第 1 项已经确认过了", "还有 1 项待确认"}, []string{"已确认。"})
}
