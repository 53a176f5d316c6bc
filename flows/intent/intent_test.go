package intent

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	builtinOnce  sync.Once
	builtinModel *Model
)

func model(t testing.TB) *Model {
	t.Helper()
	builtinOnce.Do(func() {
		ex, err := Builtin()
		if err != nil {
			t.Fatal(err)
		}
		builtinModel = Train(ex)
	})
	return builtinModel
}

// The requests people made in the trial that word lists missed reach the right intent.
func TestEverydayRequests(t *testing.T) {
	m := model(t)
	tests := []struct{ text, want string }{
		{"阳台的窗户关不上了", "repair"},
		{"3号楼电梯按钮失灵", "repair"},
		{"小区垃圾好几天没人清理，臭死了", "complaint"},
		{"有人把车停在消防通道上", "complaint"},
		{"how much do I owe", "fee"},
		{"我报的修怎么还没人来", "progress"},
		{"最近有什么社区活动", "event"},
		{"隔壁装修中午也不停", "complaint"},
		{"装修有什么规定", "inquiry"},
		{"物业几点上班", "inquiry"},
		{"保修，卫生间的水龙头一直滴", "repair"},
		{"屋头的灯泡闪个不停咋整", "repair"},
		{"谢谢管家", "thanks"},
	}
	for _, tt := range tests {
		scores := m.Classify(tt.text, nil)
		if len(scores) == 0 || scores[0].Intent != tt.want {
			t.Errorf("Classify(%q) = %v, want %s first", tt.text, head(scores), tt.want)
		}
	}
}

func head(s []Score) []Score {
	if len(s) > 3 {
		return s[:3]
	}
	return s
}

// Staff intents are left out for residents: the best of the rest is offered instead.
func TestKeep(t *testing.T) {
	m := model(t)
	resident := func(i string) bool { return !strings.HasPrefix(i, "staff.") }
	for _, s := range m.Classify("这单我接了", resident) {
		if strings.HasPrefix(s.Intent, "staff.") {
			t.Fatalf("staff intent %s offered to a resident", s.Intent)
		}
	}
	if got := m.Classify("这单我接了", nil); got[0].Intent != "staff.accept" {
		t.Errorf("for staff: %v, want staff.accept", head(got))
	}
}

func TestBadInput(t *testing.T) {
	m := model(t)
	for _, text := range []string{"", "   ", "😀😀😀", "🙏", "!!!"} {
		if d := Decide(m.Classify(text, nil)); d.Confidence != Unknown {
			t.Errorf("Decide(%q) = %+v, want Unknown", text, d)
		}
	}
	for _, text := range []string{"a", "?", "😀", "x"} {
		if d, _ := m.Decide(text, nil); d.Confidence != Unknown {
			t.Errorf("Decide(%q) = %+v, want Unknown", text, d)
		}
	}
	long := strings.Repeat("厨房水管漏水了，", 700) // 5,600 characters
	if s := m.Classify(long, nil); len(s) == 0 || s[0].Intent != "repair" {
		t.Errorf("a long paste: %v, want repair", head(s))
	}
}

// A message asking two things at once is not decided for the person.
func TestMixedIntentsAsk(t *testing.T) {
	m := model(t)
	for _, text := range []string{
		"厨房漏水了，找了物业三次都没人管，我要投诉",
		"水管漏水好几天了，物业态度还很差",
	} {
		d, _ := m.Decide(text, nil)
		if d.Confidence != Unsure || !contains(d.Intents, "repair") || !contains(d.Intents, "complaint") {
			t.Errorf("Decide(%q) = %+v, want to ask between repair and complaint", text, d)
		}
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func TestParseRejectsBadLines(t *testing.T) {
	_, err := Parse(strings.NewReader("repair\t厨房漏水\nno tab here\n"), "office.tsv")
	if err == nil || !strings.Contains(err.Error(), "office.tsv line 2") {
		t.Fatalf("err = %v, want it to name office.tsv line 2", err)
	}
	ex, err := Parse(strings.NewReader("# comment\n\nrepair\t厨房漏水\n"), "office.tsv")
	if err != nil || len(ex) != 1 || ex[0].Source != "office.tsv:3" {
		t.Fatalf("Parse = %v, %v", ex, err)
	}
}

// BenchmarkClassify classifies one message against the built-in examples (more than 2,000).
func BenchmarkClassify(b *testing.B) {
	m := model(b)
	texts := []string{"阳台的窗户关不上了", "隔壁装修中午也不停", "how much do I owe", "我报的修怎么还没人来", strings.Repeat("漏水", 2500)}
	var took []time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		m.Decide(texts[i%len(texts)], nil)
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(m.Size()), "examples")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
}
