package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestAlarmsOfDifferentDangersStaySeparate: in a building group, a fire and then someone else
// trapped in the lift are two alarms, each with its own advice; the same danger told again by
// a neighbour, or a bare 「救命」 from the one trapped, joins the alarm already raised. A lift
// that has someone 困住 is a trapped-person alarm, and a group's alarm is placed in its building.
func TestAlarmsOfDifferentDangersStaySeparate(t *testing.T) {
	clk := newClock()
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), clk, &out)
	defer app.Close()
	say := func(line string) string {
		from := out.Len()
		app.say(t, line)
		return out.String()[from:]
	}
	fire := say("李四@3号楼业主群: 着火了")
	if !strings.Contains(fire, "H20261126-0001") || !strings.Contains(fire, "位置：3号楼（3号楼业主群）") {
		t.Errorf("fire alarm:\n%s", fire)
	}
	lift := say("小明@3号楼业主群: 救命 电梯里困住了")
	if !strings.Contains(lift, "H20261126-0002") || strings.Contains(lift, "警情补充") || !strings.Contains(lift, "电梯") {
		t.Errorf("someone trapped after the fire: want an alarm of its own with lift advice, got:\n%s", lift)
	}
	again := say("王五@3号楼业主群: 楼道里好多烟")
	if !strings.Contains(again, "H20261126-0001") || strings.Contains(again, "H20261126-0003") {
		t.Errorf("the fire told again by a neighbour should join H20261126-0001:\n%s", again)
	}
	help := say("小明@3号楼业主群: 救命")
	if !strings.Contains(help, "H20261126-0002") || strings.Contains(help, "H20261126-0003") {
		t.Errorf("a bare 救命 from the one trapped should join H20261126-0002:\n%s", help)
	}
	private := say("张三: 电梯里困住了")
	if !strings.Contains(private, "电梯") || !strings.Contains(private, "H20261126-0003") {
		t.Errorf("trapped in a lift, privately:\n%s", private)
	}
}

// TestAlarmAssignedSaysSomeoneIsComing: the resident of an alarm hears that someone is on the
// way, not that a worker will "come to repair" and call first.
func TestAlarmAssignedSaysSomeoneIsComing(t *testing.T) {
	clk := newClock()
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), clk, &out)
	defer app.Close()
	app.say(t, "张三: 厨房着火了", "王管家@员工群: 接单 H20261126-0001")
	from := out.Len()
	app.say(t, "王管家@员工群: 派单 H20261126-0001 刘师傅")
	got := out.String()[from:]
	checkText(t, got, []string{"H20261126-0001 已安排刘师傅前往处理"}, []string{"上门维修"})
}
