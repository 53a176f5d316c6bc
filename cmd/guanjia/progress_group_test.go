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
