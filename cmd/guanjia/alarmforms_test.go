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
		{"group_neighbour", "李奶奶@3号楼业主群: 邻居家里着火了", "位置：3号楼（3号楼业主群）", false},
		{"group_stairs", "李奶奶@3号楼业主群: 楼道里着火了", "位置：3号楼（3号楼业主群）", false},
		{"group_place_named", "李奶奶@3号楼业主群: 我家着火了 2-1-301", "位置：2-1-301", false},
		{"private", "李奶奶: 救命 我家厨房冒烟了", "位置：1-1-101", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := runScript(t, c.line+"\n王管家@员工群: 详情 H20261126-0001\n")
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
				// What the residents' group read (its lines up to the next chat's) has no home in it.
				for _, l := range strings.Split(said, "\n[") {
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
