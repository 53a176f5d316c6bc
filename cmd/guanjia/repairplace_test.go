package main

import (
	"strings"
	"testing"
)

// TestRepairOfANamedPlaceIsFiledThere: a first message that names a place (「2号楼电梯坏了」)
// files the repair there, checked as a typed address, not at the resident's home on file; the
// description is the message as told.
func TestRepairOfANamedPlaceIsFiledThere(t *testing.T) {
	cases := []struct {
		name, line, want, notWant string
	}{
		{"elevator", "李四: 2号楼电梯坏了", "报修地址：2号楼电梯", "2-2-502"},
		{"stair_light", "李四: 3号楼1单元楼道灯不亮了", "报修地址：3号楼1单元楼道", "2-2-502"},
		{"no_such_building", "李四: 9号楼电梯坏了", "没有 9 号楼", "报修地址："},
		{"home_asked", "李四: 厨房水管漏水了", "报修地址是 2-2-502 吗", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := runScript(t, c.line+"\n")
			said := section(out, c.line)
			if !strings.Contains(said, c.want) {
				t.Errorf("want %q, got:\n%s", c.want, said)
			}
			if c.notWant != "" && strings.Contains(said, c.notWant) {
				t.Errorf("did not want %q, got:\n%s", c.notWant, said)
			}
		})
	}
}

// TestRepairAtANamedPlaceKeepsTheDescription: the whole first message is the description, and
// the ticket is at the place it named.
func TestRepairAtANamedPlaceKeepsTheDescription(t *testing.T) {
	out := runScript(t, "李四: 2号楼电梯坏了\n李四: 1\n李四: 没有\n李四: 1\n李四: 确认提交\n")
	if !strings.Contains(out, "2号楼电梯坏了") || !strings.Contains(out, "2号楼电梯") {
		t.Fatalf("no description or place:\n%s", out)
	}
	if strings.Contains(out, "2-2-502") {
		t.Errorf("the repair was placed at the home on file:\n%s", out)
	}
}
