package flows

import (
	"strings"
	"testing"
)

func TestDangerIn(t *testing.T) {
	cases := []struct {
		text, kind string
	}{
		{"电梯困人了！我被困在3号楼1单元电梯里", "trapped"},
		{"我卡在电梯里出不来了", "trapped"},
		{"楼道里冒烟了", "fire"},
		{"5楼着火了快来", "fire"},
		{"厨房有很重的燃气味", "gas"},
		{"好像煤气泄漏了", "gas"},
		{"家里水淹了", "flood"},
		{"水管爆了，漏水止不住", "flood"},
		{"整栋楼停电了", "power"},
		{"救命", "help"},
		{"我妈晕倒了", "medical"},
		{"有人入室盗窃", "security"},
		{"There is a fire on floor 3", "fire"},
		{"I'm trapped in the lift", "trapped"},
		{"gas leak in 3-1-1201", "gas"},
		{"my neighbour collapsed", "medical"},
		{"Help me please", "help"},
		// Harmless words are not alarms.
		{"煤气费怎么交", ""},
		{"燃气灶打不着火", ""},
		{"没有着火，只是问问", ""},
		{"明天停电吗", ""},
		{"消防通道被堵，有火灾隐患", ""},
		{"the fire door does not close", ""},
		{"厨房水管漏水", ""},
		{"帮助", ""},
		{"how much do I owe", ""},
	}
	for _, c := range cases {
		d, ok := dangerIn(c.text)
		if got := d.kind; ok != (c.kind != "") || got != c.kind {
			t.Errorf("dangerIn(%q) = %q, %v; want %q", c.text, got, ok, c.kind)
		}
	}
}

func TestOwnHome(t *testing.T) {
	for text, want := range map[string]bool{
		"救命 我家厨房冒烟了":  true,
		"家里着火了":       true,
		"我们家燃气泄漏了":    true,
		"屋里好大的烟":      true,
		"我的家里进水了":     true,
		"家里老人晕倒了":     true,
		"邻居家里着火了":     false,
		"隔壁屋里冒烟":      false,
		"他们家里好像着火了":   false,
		"楼道里着火了":      false,
		"电梯里有人被困":     false,
		"3号楼二单元门口冒烟了": false,
		"救命，家里着火了":    true,
		"我家里有煤气味":     true,
		"咱家冒烟了":       true,
		"俺家着火了":       true,
		"1单元101李奶奶家里好像有煤气味，敲门没人应": false,
		"楼下李奶奶家里冒烟了":              false,
		"对门家里好像有煤气味":              false,
		"楼上家里漏水冒烟":                false,
		"对面家里着火了":                 false,
		"我家楼下李奶奶家里冒烟了":            false,
		"大家注意，家里着火了":              true,
	} {
		if got := ownHome(text); got != want {
			t.Errorf("ownHome(%q) = %v, want %v", text, got, want)
		}
		if got, others := othersHome(text), !want && strings.ContainsAny(text, "家屋"); got != others {
			t.Errorf("othersHome(%q) = %v, want %v", text, got, others)
		}
	}
}
