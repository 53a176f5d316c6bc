package flows

import (
	"slices"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
)

func TestBroadcastStart(t *testing.T) {
	for _, c := range []struct {
		text      string
		emergency bool
		rest      string
		ok        bool
	}{
		{"紧急", true, "", true},
		{"紧急 3号楼 电梯困人", true, "3号楼 电梯困人", true},
		{"紧急3号楼电梯困人", true, "3号楼电梯困人", true},
		{"通知：明天停水", false, "明天停水", true},
		{"通知", false, "", true},
		{"紧急求助", false, "", false},
		{"通知书在哪领", false, "", false},
	} {
		em, rest, ok := broadcastStart(c.text)
		if em != c.emergency || rest != c.rest || ok != c.ok {
			t.Errorf("broadcastStart(%q) = %v, %q, %v; want %v, %q, %v", c.text, em, rest, ok, c.emergency, c.rest, c.ok)
		}
	}
}

func TestScopeIn(t *testing.T) {
	c := guanjia.Community{Buildings: []int{1, 2, 3}}
	for _, x := range []struct{ words, scope, unknown, text string }{
		{"3号楼 电梯困人", "3", "", "电梯困人"},
		{"1,2号楼", "1,2", "", ""},
		{"1、3", "1,3", "", ""},
		{"全小区 明天停水", "all", "", "明天停水"},
		{"9号楼 停电", "", "9号楼", "停电"},
		{"明天9点到12点停水", "", "", "明天9点到12点停水"},
	} {
		scope, unknown, text := scopeIn(x.words, c)
		if scope != x.scope || unknown != x.unknown || text != x.text {
			t.Errorf("scopeIn(%q) = %q, %q, %q; want %q, %q, %q", x.words, scope, unknown, text, x.scope, x.unknown, x.text)
		}
	}
	if got := scopeBuildings("1,3"); !slices.Equal(got, []int{1, 3}) {
		t.Errorf("scopeBuildings = %v", got)
	}
}

func TestParseWhen(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, loc)
	for _, c := range []struct {
		text string
		want time.Time
		ok   bool
	}{
		{"18:00", time.Date(2026, 11, 26, 18, 0, 0, 0, loc), true},
		{"明天9点", time.Date(2026, 11, 27, 9, 0, 0, 0, loc), true},
		{"明天 9点半", time.Date(2026, 11, 27, 9, 30, 0, 0, loc), true},
		{"30分钟后", now.Add(30 * time.Minute), true},
		{"2026-12-01 08:30", time.Date(2026, 12, 1, 8, 30, 0, 0, loc), true},
		{"25:00", time.Time{}, false},
		{"下周", time.Time{}, false},
	} {
		got, ok := parseWhen(c.text, now, loc)
		if ok != c.ok || !got.Equal(c.want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v, %v", c.text, got, ok, c.want, c.ok)
		}
	}
}

func TestQuietHours(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	q, err := ParseQuietHours("")
	if err != nil || q != [2]int{22 * 60, 8 * 60} {
		t.Fatalf("default quiet hours %v, %v", q, err)
	}
	if _, err := ParseQuietHours("25:00-08:00"); err == nil {
		t.Error("25:00 taken")
	}
	if q, _ := ParseQuietHours("off"); q[0] != q[1] {
		t.Error("off is not none")
	}
	e := &Engine{Deps: Deps{Config: Config{Location: loc}}, quiet: [2]int{22 * 60, 8 * 60}}
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, loc) }
	for _, c := range []struct{ at, want time.Time }{
		{at(26, 23, 10), at(27, 8, 0)},
		{at(27, 2, 0), at(27, 8, 0)},
		{at(26, 21, 59), at(26, 21, 59)},
		{at(26, 8, 0), at(26, 8, 0)},
	} {
		if got := e.afterQuiet(c.at); !got.Equal(c.want) {
			t.Errorf("afterQuiet(%v) = %v, want %v", c.at, got, c.want)
		}
	}
}

func TestExpectedEnd(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	sent := time.Date(2026, 11, 26, 9, 0, 0, 0, loc)
	for _, c := range []struct {
		text string
		want time.Time
		ok   bool
	}{
		{"今天10点到12点停水", time.Date(2026, 11, 26, 12, 0, 0, 0, loc), true},
		{"明天9:00-12:30停电", time.Date(2026, 11, 27, 12, 30, 0, 0, loc), true},
		{"电梯故障，维修中", time.Time{}, false},
	} {
		got, ok := expectedEnd(c.text, sent, loc)
		if ok != c.ok || !got.Equal(c.want) {
			t.Errorf("expectedEnd(%q) = %v, %v; want %v, %v", c.text, got, ok, c.want, c.ok)
		}
	}
}

func TestBroadcastTextCheck(t *testing.T) {
	for _, c := range []struct {
		n      int
		reason string
	}{{0, "broadcast.empty_text"}, {1, ""}, {10000, ""}, {10001, "broadcast.too_long"}} {
		text := ""
		for range c.n {
			text += "停"
		}
		if _, reason, _ := CheckBroadcastText(text); reason != c.reason {
			t.Errorf("%d characters: reason %q, want %q", c.n, reason, c.reason)
		}
	}
}
