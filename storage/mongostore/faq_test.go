package mongostore

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/guanjia/guanjia"
)

func TestFAQImport(t *testing.T) { forEachBackend(t, testFAQImport) }

// testFAQImport imports a FAQ, then a file that changes one entry: that entry is replaced,
// the others stay; a bad file reports each bad entry by line and imports nothing.
func testFAQImport(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.PutCommunity(ctx, guanjia.Community{ID: "c1", Name: "东苑"}))
	must(t, st.PutCommunity(ctx, guanjia.Community{ID: "c2", Name: "西苑"}))
	first := `
- id: office_hours
  question: 几点上班？
  keywords: [办公时间, " 上班时间 ", ""]
  answer: 每天 8:30–17:30。
- id: phone
  question: 物业电话？
  keywords: [电话]
  answer: 400-000-0001
`
	n, err := st.ImportFAQ(ctx, "c1", strings.NewReader(first))
	if err != nil || n != 2 {
		t.Fatalf("ImportFAQ = %d, %v; want 2", n, err)
	}
	if _, err := st.ImportFAQ(ctx, "c2", strings.NewReader(first)); err != nil {
		t.Fatal(err)
	}
	second := "- id: phone\n  question: 物业电话是多少？\n  keywords: [电话, 物业电话]\n  answer: 400-000-0002\n"
	if n, err := st.ImportFAQ(ctx, "c1", strings.NewReader(second)); err != nil || n != 1 {
		t.Fatalf("ImportFAQ of one entry = %d, %v", n, err)
	}
	got, err := st.FAQs(ctx, "c1")
	check(t, "FAQs of c1", got, err, []guanjia.FAQ{
		{ID: "office_hours", Community: "c1", Question: "几点上班？", Keywords: []string{"办公时间", "上班时间"}, Answer: "每天 8:30–17:30。"},
		{ID: "phone", Community: "c1", Question: "物业电话是多少？", Keywords: []string{"电话", "物业电话"}, Answer: "400-000-0002"},
	})
	if got, err := st.FAQs(ctx, "c2"); err != nil || len(got) != 2 || got[1].Answer != "400-000-0001" {
		t.Errorf("c2's FAQ changed with c1's: %+v, %v", got, err)
	}
	if got, err := st.FAQs(ctx, "c3"); err != nil || got == nil || len(got) != 0 {
		t.Errorf("FAQs of a community without any = %v, %v; want an empty list", got, err)
	}

	bad := `- id: office_hours
  question: 几点上班？
  keywords: [办公时间]
  answer: 改了
- id: fees
  question: 物业费多少？
  keywords: [物业费]
- id: office_hours
  question: 又一个
  keywords: [上班]
  answer: 重复
- id: parking
  question: 停车
  keywords: 停车
  answer: 地下车库
- id: rules
  qestion: 规定
  keywords: [规定]
  answer: 见公告栏
`
	before := dump(t, st.faqs())
	_, err = st.ImportFAQ(ctx, "c1", strings.NewReader(bad))
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("bad FAQ: err = %v, want an ImportError", err)
	}
	var lines []int
	for _, r := range ie.Rows {
		lines = append(lines, r.Line)
		if !chineseFirst(r.Reason) {
			t.Errorf("line %d: reason %q is not in Chinese first", r.Line, r.Reason)
		}
	}
	// No answer (5), a repeated id (8), keywords not a list (12), a misspelt field (17) and
	// with it no question (16).
	if want := []int{5, 8, 12, 16, 17}; !reflect.DeepEqual(lines, want) {
		t.Errorf("bad lines %v, want %v:\n%v", lines, want, err)
	}
	if after := dump(t, st.faqs()); !reflect.DeepEqual(before, after) {
		t.Error("a bad FAQ file changed the FAQ")
	}
	for what, file := range map[string]string{"not YAML": "- id: [", "not a list": "id: x\n", "empty": ""} {
		if _, err := st.ImportFAQ(ctx, "c1", strings.NewReader(file)); !errors.As(err, &ie) {
			t.Errorf("%s: err = %v, want an ImportError", what, err)
		} else if !chineseFirst(ie.Rows[0].Reason) {
			t.Errorf("%s: reason %q is not in Chinese first", what, ie.Rows[0].Reason)
		}
	}
	if _, err := st.ImportFAQ(ctx, "nowhere", strings.NewReader(first)); !errors.Is(err, guanjia.ErrNotFound) {
		t.Errorf("FAQ of an unknown community: err = %v, want ErrNotFound", err)
	}
	if err := st.PutFAQ(ctx, guanjia.FAQ{ID: "x", Community: "c1", Question: "q", Answer: "a"}); !errors.Is(err, guanjia.ErrInvalid) {
		t.Errorf("PutFAQ without keywords: err = %v, want ErrInvalid", err)
	}
}

// TestFAQSample checks the sample FAQ: it parses, and covers what residents ask most.
func TestFAQSample(t *testing.T) {
	list, err := ParseFAQ(bytes.NewReader(sampleFAQ), SampleCommunity)
	if err != nil {
		t.Fatal(err)
	}
	all := ""
	for _, f := range list {
		all += f.Question + strings.Join(f.Keywords, " ") + f.Answer
	}
	for _, want := range []string{"办公时间", "物业电话", "报修电话", "紧急电话", "缴费方式", "物业服务中心", "微信", "支付宝",
		"银行转账", "装修", "停车"} {
		if !strings.Contains(all, want) {
			t.Errorf("the sample FAQ never mentions %s", want)
		}
	}
}
