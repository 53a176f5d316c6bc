package flows

import (
	"testing"
	"time"

	"github.com/guanjia/guanjia"
	nlu "github.com/guanjia/guanjia/flows/intent"
)

// TestIntent checks that what a free text asks for is understood the way a message is: a
// command by the trigger table, other words by the built-in model.
func TestIntent(t *testing.T) {
	model, err := BuiltinIntents()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		flow string
	}{
		{"报修", flowRepair},
		{"/repair", flowRepair},
		{"/repair@guanjia_bot", flowRepair},
		{"厨房漏水了", flowRepair},
		{"电梯坏了快来人", "emergency"}, // 快来人 calls for help: an alarm, not a repair
		{"The tap is broken", flowRepair},
		{"保修", flowRepair},
		{"保修 卫生间灯不亮", flowRepair},
		{"今天天气不错", ""},
		{"谢谢", ""},
	}
	for _, tt := range tests {
		got, ok := commandFlow(tt.text)
		if !ok {
			if d, _ := model.Decide(tt.text, nil); d.Confidence == nlu.Sure && askable(d.Intents[0]) {
				got, ok = d.Intents[0], true
			}
		}
		if got != tt.flow || ok != (tt.flow != "") {
			t.Errorf("intent of %q = %q, %v; want %q", tt.text, got, ok, tt.flow)
		}
	}
}

func TestParseStaffCommand(t *testing.T) {
	tests := []struct {
		text           string
		ok             bool
		verb, no, rest string
	}{
		{"接单 R20261126-0007", true, verbAccept, "R20261126-0007", ""},
		{"派单 R20261126-0007 刘师傅", true, verbAssign, "R20261126-0007", "刘师傅"},
		{"进展 r20261126-0007 配件 明天到", true, verbProgress, "r20261126-0007", "配件 明天到"},
		{"/accept@guanjia_bot R20261126-0007", true, verbAccept, "R20261126-0007", ""},
		{"接单", true, verbAccept, "", ""},
		{"我要接单", false, "", "", ""},
		{"", false, "", "", ""},
	}
	for _, tt := range tests {
		c, ok := parseStaffCommand(tt.text)
		if ok != tt.ok || c.verb != tt.verb || c.no != tt.no || c.rest != tt.rest {
			t.Errorf("parseStaffCommand(%q) = %+v, %v", tt.text, c, ok)
		}
	}
}

func TestParseRating(t *testing.T) {
	for text, want := range map[string]int{"5": 5, "1": 1, "4分": 4, "五星": 5, "三": 3, "3 stars": 3, "0": 0, "6": 0, "": 0,
		"五星好评": 5, "给5分": 5, "非常满意": 5, "好评": 5, "满意": 4, "很好": 4, "一般": 3, "不满意": 2, "很不满意": 1, "差评": 1,
		"师傅很专业👍": 0, "什么时候来": 0} {
		got, ok := parseRating(text)
		if got != want || ok != (want != 0) {
			t.Errorf("parseRating(%q) = %d, %v; want %d", text, got, ok, want)
		}
	}
}

func TestChoiceText(t *testing.T) {
	for in, want := range map[string]string{
		"１": "1", "２。": "2", "二": "2", "第三个": "3", "第2项": "2", " 3 ": "3", "ＯＫ": "OK",
		"确认提交！": "确认提交", "十": "10", "三号楼": "三号楼",
	} {
		if got := choiceText(in); got != want {
			t.Errorf("choiceText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStartDescription(t *testing.T) {
	for in, want := range map[string]string{
		"报修 厨房水管漏水":            "厨房水管漏水",
		"厨房水管漏水了":              "厨房水管漏水了",
		"报修":                   "",
		"漏水":                   "",
		"/repair@guanjia_bot":  "",
		"/start repair-sample": "",
		"/repair 阳台灯不亮了":       "阳台灯不亮了",
	} {
		if got, _ := startDescription(flowRepair, in); got != want {
			t.Errorf("startDescription(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAskedPeriod(t *testing.T) {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	e := New(Deps{Now: func() time.Time { return time.Date(2027, 1, 10, 9, 0, 0, 0, shanghai) },
		Config: Config{Location: shanghai}})
	for text, want := range map[string]string{
		"物业费多少": "2027-01", "这个月账单": "2027-01", "上个月的账单": "2026-12", "12月账单": "2026-12",
		"十二月物业费": "2026-12", "2026年10月的账单": "2026-10", "1月账单": "2027-01", "13月账单": "", "0月的物业费": "",
		"2026年13月账单": "", "去年10月的账单": "2026-10", "去年的账单": "", "今年1月账单": "2027-01", "前年12月物业费": "2025-12",
		"上上个月的账单": "2026-11",
	} {
		if got, ok := e.askedPeriod(text); got != want || ok != (want != "") {
			t.Errorf("askedPeriod(%q) = %s, %v; want %s", text, got, ok, want)
		}
	}
}

func TestFlowCommand(t *testing.T) {
	for text, want := range map[string]string{
		"报修": flowRepair, "报修 厨房水管漏水": flowRepair, "报修：卫生间马桶堵了": flowRepair, "/repair@guanjia_bot": flowRepair,
		"投诉 刘师傅上门乱收费": flowComplaint, "投诉": flowComplaint,
		"报修一下厨房": "", "厨房漏水": "", "咨询": "", "我想报修": "",
	} {
		got, _ := flowCommand(text)
		if got != want {
			t.Errorf("flowCommand(%q) = %q, want %q", text, got, want)
		}
	}
	if d, _ := startDescription(flowRepair, "报修：卫生间马桶堵了"); d != "卫生间马桶堵了" {
		t.Errorf("description after 报修： = %q", d)
	}
}

func TestQuotedChoice(t *testing.T) {
	card := "物业小管家：【新报修】R20261126-0001\n地址：3-1-1201\n1) 接单\n2) 派单\n3) 详情"
	for _, c := range []struct{ quote, text, want string }{
		{card, "1", "接单"}, {card, "３", "详情"}, {card, "4", ""}, {card, "接单", ""}, {"", "1", ""},
	} {
		got, _ := quotedChoice(c.quote, c.text)
		if got != c.want {
			t.Errorf("quotedChoice(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

func TestFeeQuestionInEnglish(t *testing.T) {
	for text, want := range map[string]bool{
		"how much do I owe": true, "What do I owe this month?": true, "my bill": true, "any arrears?": true,
		"no power in the kitchen": false, "coffee machine": false, "今天天气不错": false,
	} {
		if got, _ := feeQuestion(text); got != want {
			t.Errorf("feeQuestion(%q) = %v, want %v", text, got, want)
		}
	}
	if !strongFeeQuestion("How much do I OWE?") || strongFeeQuestion("power is out") {
		t.Error("strongFeeQuestion misreads English")
	}
}

func TestFixedAnswer(t *testing.T) {
	for text, want := range map[string]string{
		"好了，修好了": "fixed:yes", "修好了，谢谢师傅": "fixed:yes", "可以了": "fixed:yes", "yes it's fixed": "fixed:yes",
		"没修好，门还是关不上": "fixed:no", "还是漏水": "fixed:no", "没有解决": "fixed:no", "not fixed yet": "fixed:no",
		"嗯嗯": "fixed:yes", "OK": "fixed:yes", "not yet": "fixed:no",
		"明天再说": "",
	} {
		got, ok := fixedAnswer(text)
		if got != want || ok != (want != "") {
			t.Errorf("fixedAnswer(%q) = %q, %v; want %q", text, got, ok, want)
		}
	}
}

func TestProgressQueryWrongNumber(t *testing.T) {
	tests := []struct {
		text string
		no   string
		mine bool
	}{
		{"进度 R20261126-0001", "R20261126-0001", false},
		{"进度 r20261126-0001", "R20261126-0001", false},
		{"进度 R123", "R123", false}, // answered as a wrong number, not with every ticket
		{"进度 20261126", "20261126", false},
		{"进度", "", true},
		{"我的报修怎么样了", "", true},
	}
	for _, tt := range tests {
		no, mine := progressQuery(tt.text)
		if no != tt.no || mine != tt.mine {
			t.Errorf("progressQuery(%q) = %q, %v; want %q, %v", tt.text, no, mine, tt.no, tt.mine)
		}
	}
}

func TestBestFAQShortKeyword(t *testing.T) {
	faqs := []guanjia.FAQ{
		{ID: "loose", Keywords: []string{"的", "a"}, Answer: "matches everything"},
		{ID: "parcel", Keywords: []string{"快递柜", "parcel locker"}, Answer: "north gate"},
	}
	for text, want := range map[string]string{
		"快递柜在哪": "parcel", "where is the parcel locker": "parcel",
		"我的车位怎么办理": "", "what a day": "", "的": "loose",
	} {
		got, ok := bestFAQ(faqs, text)
		if got.ID != want || ok != (want != "") {
			t.Errorf("bestFAQ(%q) = %q, %v; want %q", text, got.ID, ok, want)
		}
	}
}

func TestParsePlace(t *testing.T) {
	tests := []struct {
		text string
		want place
		ok   bool
	}{
		{"3-1-1201", place{3, 1, 1201, ""}, true},
		{"３－１－１２０１", place{3, 1, 1201, ""}, true},
		{"3号楼1单元1201", place{3, 1, 1201, ""}, true},
		{"3栋1单元1201室", place{3, 1, 1201, ""}, true},
		{"3幢2单元301", place{3, 2, 301, ""}, true},
		{"3栋1201", place{3, 0, 1201, ""}, true},
		{"9号楼8单元808", place{9, 8, 808, ""}, true},
		{"3号楼1单元电梯", place{3, 1, 0, "电梯"}, true},
		{"2号楼电梯", place{2, 0, 0, "电梯"}, true},
		{"building 2 elevator", place{2, 0, 0, "elevator"}, true},
		{"3-1-1201 厨房", place{3, 1, 1201, "厨房"}, true},
		{"三号楼一单元1201", place{3, 1, 1201, ""}, true},
		{"十二栋两单元302室", place{12, 2, 302, ""}, true},
		{"救命", place{}, false},
		{"没有解决，还是堵", place{}, false},
		{"地下车库", place{}, false},
	}
	for _, tt := range tests {
		got, ok := parsePlace(tt.text)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parsePlace(%q) = %+v, %v; want %+v, %v", tt.text, got, ok, tt.want, tt.ok)
		}
	}
}
