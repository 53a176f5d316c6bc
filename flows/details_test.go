package flows

import "testing"

func TestCorrectedAddress(t *testing.T) {
	for in, want := range map[string]string{
		"不是，是3号楼电梯":    "3号楼电梯",
		"不对，是2栋2单元502": "2栋2单元502",
		"不是这里，在3号楼1单元": "3号楼1单元",
		"不是不是，是3号楼电梯":  "3号楼电梯",
		"不,是1-1-101":   "1-1-101",
		"不是，":          "",
		"3号楼电梯":        "3号楼电梯",
		"不锈钢大门":        "不锈钢大门",
		"不是3号楼":        "不是3号楼",
	} {
		if got := correctedAddress(in); got != want {
			t.Errorf("correctedAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSaysNoPhoto(t *testing.T) {
	for text, want := range map[string]bool{
		"没有照片": true, "暂时没有照片": true, "拍不了": true, "no photo": true,
		"水是从水槽下面的管子漏出来的": false, "照片稍后发": false,
	} {
		if got := saysNoPhoto(text); got != want {
			t.Errorf("saysNoPhoto(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestJoinDescription(t *testing.T) {
	for _, c := range []struct{ d, more, want string }{
		{"厨房漏水", "地上都湿了", "厨房漏水。地上都湿了"},
		{"厨房漏水。", "地上都湿了", "厨房漏水。地上都湿了"},
		{"kitchen leak", "floor is wet", "kitchen leak. floor is wet"},
		{"kitchen leak.", "floor is wet", "kitchen leak. floor is wet"},
		{"", "地上都湿了", "地上都湿了"},
	} {
		if got := joinDescription(c.d, c.more); got != c.want {
			t.Errorf("joinDescription(%q, %q) = %q, want %q", c.d, c.more, got, c.want)
		}
	}
}
