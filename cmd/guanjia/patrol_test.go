package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestStewardPatrolsAndHazards: a hazard's place is checked as a repair's address is.
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
