package main

import (
	"slices"

	"bytes"
	"context"
	"fmt"
	"golang.org/x/text/encoding/simplifiedchinese"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/storage/mongostore"
)

// feeEnv is the environment of a test's own databases, as TestConsoleThenAdminInNewProcess
// builds it.
func feeEnv(t *testing.T) (Config, func(string) string) {
	cfg := testConfig(t)
	return cfg, env(map[string]string{
		"REDIS_URL": cfg.RedisURL, "GUANJIA_REDIS_PREFIX": cfg.RedisPrefix,
		"MONGODB_URI": cfg.MongoURI, "MONGODB_DATABASE": cfg.MongoDatabase, "GUANJIA_DATA": cfg.DataDir,
	})
}

// runErr runs a command that must fail and returns its error text.
func runErr(t *testing.T, getenv func(string) string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, getenv, strings.NewReader(""), &out, &errOut)
	if err == nil {
		t.Fatalf("guanjia %s succeeded:\n%s", strings.Join(args, " "), out.String())
	}
	return err.Error()
}

// openFeeStore opens the test's database directly, to look at what commands did.
func openFeeStore(t *testing.T, cfg Config) *mongostore.Store {
	t.Helper()
	st, err := mongostore.Open(context.Background(), cfg.MongoURI, mongostore.Options{Database: cfg.MongoDatabase})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	return st
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func mustContain(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, out)
		}
	}
}

// pinClock sets the admin commands' clock to the transcripts' (2026-11-26 in the office's
// zone) for one test: the sample files are of fixed months, which must stay billable.
func pinClock(t *testing.T) {
	t.Helper()
	pinnedClock = newClock().Now
	t.Cleanup(func() { pinnedClock = nil })
}

// TestBillsGenerateThisMonthAfterSeed is the promise of the sample data: on a fresh database
// this month's bills can be generated at once, exact to the fen, and generating again changes
// nothing.
func TestBillsGenerateThisMonthAfterSeed(t *testing.T) {
	_, getenv := feeEnv(t)
	runCmd(t, getenv, "", "seed")
	loc, _ := time.LoadLocation("Asia/Shanghai")
	month := time.Now().In(loc).Format("2006-01")
	out := runCmd(t, getenv, "", "bills", "generate", month)
	mustContain(t, "first generation", out, "示例花园（sample）"+month+"：新生成 3 张账单，已有 0 张未改动。")
	if strings.Contains(out, "缺少") {
		t.Errorf("the sample households lack readings:\n%s", out)
	}
	out = runCmd(t, getenv, "", "bills", "generate", month, "-community", "示例花园")
	mustContain(t, "second generation", out, "新生成 0 张账单，已有 3 张未改动。")

	show := runCmd(t, getenv, "", "bills", "show", "3-1-1201", month)
	mustContain(t, "张三's bill", show, "物业费", "120.50 m² × 2.50", "= 301.25", "12.00 吨 × 4.20", "= 50.40",
		"188.00 度 × 0.62", "= 116.56", "1 个车位 × 300.00", "= 300.00", "= 768.21", "欠 768.21")
	show = runCmd(t, getenv, "", "bills", "show", "2-2-502", month)
	mustContain(t, "李四's bill", show, "96.25 度 × 0.62", "= 59.68", "= 317.58")
	mustContain(t, "bad period", runErr(t, getenv, "bills", "generate", "2026-13"), "月份「2026-13」不对", "YYYY-MM")

	// A month not yet begun, or more than a year ago, is surely mistyped: no bills, and the
	// office is told which months it may bill.
	now := time.Now().In(loc)
	first := time.Date(now.Year(), now.Month()-12, 1, 0, 0, 0, 0, loc).Format("2006-01")
	tooOld := time.Date(now.Year(), now.Month()-13, 1, 0, 0, 0, 0, loc).Format("2006-01")
	next := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, loc).Format("2006-01")
	for _, period := range []string{"1999-01", tooOld} {
		mustContain(t, "bills of "+period, runErr(t, getenv, "bills", "generate", period),
			period+" 早于 12 个月前，不能再生成账单", "可生成 "+first+" 到 "+month+" 的账单")
		show := runCmd(t, getenv, "", "bills", "show", "3-1-1201", period)
		mustContain(t, "no bill of "+period, show, "3-1-1201 "+period+"：没有账单")
		if strings.Contains(show, "  "+period+"  应缴") {
			t.Errorf("arrears of %s after refusing its bills:\n%s", period, show)
		}
	}
	mustContain(t, "bills of next month", runErr(t, getenv, "bills", "generate", next), next+" 还没到，不能生成账单：最多生成到本月 "+month)
	mustContain(t, "a year ago", runCmd(t, getenv, "", "bills", "generate", first), first+"：新生成 3 张账单")
}

// TestImportSamplesEndToEnd imports every sample file in the order the samples' README gives,
// then all of them again, which changes nothing.
func TestImportSamplesEndToEnd(t *testing.T) {
	pinClock(t)
	cfg, getenv := feeEnv(t)
	runCmd(t, getenv, "", "seed")
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"import", "households", "samples/households.csv"}, "households.csv：已导入 6 行到 示例花园（sample）。"},
		{[]string{"import", "residents", "samples/residents.csv", "-community", "示例花园"}, "已导入 6 行"},
		{[]string{"import", "-community", "sample", "readings", "samples/readings.csv"}, "已导入 24 行"},
		{[]string{"bills", "generate", "2026-10"}, "2026-10："},
		{[]string{"import", "payments", "samples/payments.csv"}, "新记录 5 笔收费"},
		{[]string{"faq", "import", "samples/faq.yaml"}, "已导入 6 条常见问题"},
	}
	for _, s := range steps {
		mustContain(t, strings.Join(s.args, " "), runCmd(t, getenv, "", s.args...), s.want)
	}
	st := openFeeStore(t, cfg)
	ctx := context.Background()
	snapshot := func() string {
		var b strings.Builder
		homes, _ := st.Households(ctx, mongostore.SampleCommunity)
		people, _ := st.PeopleByRole(ctx, mongostore.SampleCommunity, guanjia.RoleResident)
		faqs, _ := st.FAQs(ctx, mongostore.SampleCommunity)
		fmt.Fprintf(&b, "%d households, %d residents, %d FAQ entries\n", len(homes), len(people), len(faqs))
		for _, h := range homes {
			r, _ := st.Readings(ctx, h.Community, h.Code, "2026-11")
			p, _ := st.Payments(ctx, h.Community, h.Code)
			a, _ := st.Arrears(ctx, h.Community, h.Code)
			fmt.Fprintf(&b, "%+v\n%+v\n%+v\n%+v\n", h, r, p, a)
		}
		fmt.Fprintf(&b, "%+v\n%+v\n", people, faqs)
		return b.String()
	}
	before := snapshot()
	if !strings.HasPrefix(before, "6 households, 6 residents, 6 FAQ entries\n") {
		t.Fatalf("after importing the samples:\n%s", before)
	}
	for _, s := range steps {
		runCmd(t, getenv, "", s.args...)
	}
	if after := snapshot(); after != before {
		t.Errorf("importing the samples again changed the records:\n%s\n%s", before, after)
	}

	// 李四 paid 200.00 of October's 317.58; 李奶奶 nothing; 王五 all of it.
	mustContain(t, "李四's arrears", runCmd(t, getenv, "", "bills", "show", "2-2-502", "2026-10"),
		"2026-10  应缴 317.58  已缴 200.00  欠 117.58  截止 2026-11-15")
	mustContain(t, "李奶奶's arrears", runCmd(t, getenv, "", "bills", "show", "1-1-101", "2026-10"), "欠 246.35")
	mustContain(t, "王五's arrears", runCmd(t, getenv, "", "bills", "show", "3-1-1202", "2026-10"), "欠费：无。")
}

// TestImportBadFileEndToEnd imports a payments file with a bad amount on line 3 and an
// unknown household on line 5: both are named, and nothing is imported.
func TestImportBadFileEndToEnd(t *testing.T) {
	pinClock(t)
	cfg, getenv := feeEnv(t)
	runCmd(t, getenv, "", "seed")
	runCmd(t, getenv, "", "bills", "generate", "2026-11")
	dir := t.TempDir()
	bad := filepath.Join(dir, "payments.csv")
	writeFile(t, bad, "household,period,amount,paid_at,ref\n"+
		"3-1-1201,2026-11,768.21,2026-11-20,WX-1\n"+
		"2-2-502,2026-11,三百,2026-11-20,WX-2\n"+
		"1-1-101,2026-11,246.35,2026-11-20,WX-3\n"+
		"9-9-909,2026-11,100.00,2026-11-20,WX-4\n")
	msg := runErr(t, getenv, "import", "payments", bad)
	mustContain(t, "the error", msg, "payments.csv 有 2 处问题，整个文件都没有导入。", "\n  第 3 行：金额 amount「三百」不对",
		"\n  第 5 行：房号「9-9-909」不在小区 sample 中，请先导入房屋")
	st := openFeeStore(t, cfg)
	if p, err := st.Payments(context.Background(), mongostore.SampleCommunity, "3-1-1201"); err != nil || len(p) != 0 {
		t.Errorf("payments after a bad file: %+v, %v", p, err)
	}

	households := filepath.Join(dir, "households.csv")
	writeFile(t, households, "code,building,area_m2\n5-1-101,5,88\n5-1-102,5,八十\n")
	mustContain(t, "bad households", runErr(t, getenv, "import", "households", households), "第 3 行：面积 area_m2「八十」")
	if _, err := st.Household(context.Background(), mongostore.SampleCommunity, "5-1-101"); err == nil {
		t.Error("the good row of a bad households file was imported")
	}
	mustContain(t, "unknown kind", runErr(t, getenv, "import", "cars", households), "不能导入「cars」：可导入 households（房屋）")
	mustContain(t, "unknown community", runErr(t, getenv, "import", "households", households, "-community", "东苑"),
		"找不到小区「东苑」。", "现有：sample（示例花园）")
	mustContain(t, "missing file", runErr(t, getenv, "import", "households", filepath.Join(dir, "missing.csv")),
		"找不到文件 ", "missing.csv，请核对文件名和路径。")
	mustContain(t, "bad FAQ", runErr(t, getenv, "faq", "import", households), "households.csv 有 1 处问题", "第 1 行：")
}

// TestFAQSampleFileIsTheSeededFAQ keeps the sample FAQ file and the FAQ of the sample data
// the same.
func TestFAQSampleFileIsTheSeededFAQ(t *testing.T) {
	file, err1 := os.ReadFile("samples/faq.yaml")
	seeded, err2 := os.ReadFile("../../storage/mongostore/sample_faq.yaml")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if !bytes.Equal(file, seeded) {
		t.Error("samples/faq.yaml differs from storage/mongostore/sample_faq.yaml: keep them the same")
	}
}

// TestFeeRatesCommand shows and changes a community's rates.
func TestFeeRatesCommand(t *testing.T) {
	pinClock(t)
	_, getenv := feeEnv(t)
	runCmd(t, getenv, "", "seed")
	mustContain(t, "rates", runCmd(t, getenv, "", "rates"), "物业费 2.50 元/m²/月", "停车费 300.00 元/车位/月",
		"水费 4.20 元/吨", "电费 0.62 元/度", "次月 15 日")
	out := runCmd(t, getenv, "", "rates", "-community", "示例花园", "-property", "2.80", "-due-day", "10")
	mustContain(t, "changed rates", out, "物业费 2.80 元/m²/月", "停车费 300.00 元/车位/月", "次月 10 日")
	if !strings.HasSuffix(out, "次月 10 日\n") {
		t.Errorf("rates output does not end with a line: %q", out)
	}
	mustContain(t, "at the limits", runCmd(t, getenv, "", "rates", "-property", "50", "-parking", "5000.00",
		"-water", "50.00", "-electricity", "10"), "物业费 50.00 元/m²/月", "停车费 5000.00", "水费 50.00", "电费 10.00")
	runCmd(t, getenv, "", "rates", "-property", "2.80", "-parking", "300", "-water", "4.20", "-electricity", "0.62")
	const unchanged = "\n收费标准没有改动。"
	for _, c := range []struct {
		args  []string
		wants []string
	}{
		{[]string{"-water", "4.2.0"}, []string{"-water「4.2.0」不是金额：请写元，如 -water 4.20。", unchanged}},
		{[]string{"-due-day", "31"}, []string{"-due-day 31：缴费截止日要写 1 到 28 之间的一天", unchanged}},
		{[]string{"-due-day", "0"}, []string{"-due-day 0：缴费截止日要写 1 到 28 之间的一天", unchanged}},
		{[]string{"-due-day", "十"}, []string{"-due-day 十：缴费截止日要写 1 到 28 之间的一天", unchanged}},
		{[]string{"-property", "0"}, []string{"-property 0：物业费不能是 0 或负数；不改这一项就不写 -property。", unchanged}},
		{[]string{"-parking", "0.00"}, []string{"-parking 0.00：停车费不能是 0 或负数", unchanged}},
		{[]string{"-electricity", "-0.5"}, []string{"-electricity -0.5：电费不能是 0 或负数", unchanged}},
		{[]string{"-property", "50.01"}, []string{"-property 50.01：物业费最多 50.00 元/m²/月，请核对是否多打了位数。", unchanged}},
		{[]string{"-parking", "5000.01"}, []string{"-parking 5000.01：停车费最多 5000.00 元/车位/月", unchanged}},
		{[]string{"-water", "99999"}, []string{"-water 99999：水费最多 50.00 元/吨", unchanged}},
		{[]string{"-electricity", "10.01"}, []string{"-electricity 10.01：电费最多 10.00 元/度", unchanged}},
		{[]string{"-community", "nope"}, []string{"找不到小区「nope」。"}},
		{[]string{"-bogus"}, []string{"没有选项 -bogus", "用法（usage）：guanjia rates "}},
		{[]string{"2.50"}, []string{"不认识「2.50」：费率都写成选项", "用法（usage）：guanjia rates "}},
	} {
		args := append([]string{"rates", "-due-day", "12"}, c.args...)
		mustContain(t, strings.Join(args, " "), runErr(t, getenv, args...), c.wants...)
	}
	// Several mistakes are told together, and a good value beside them changes nothing either.
	msg := runErr(t, getenv, "rates", "-property", "3.00", "-water", "0", "-due-day", "29")
	mustContain(t, "two mistakes", msg, "-water 0：", "\n-due-day 29：", unchanged)
	mustContain(t, "rates after refusals", runCmd(t, getenv, "", "rates"), "物业费 2.80 元/m²/月", "水费 4.20 元/吨", "次月 10 日")
	runCmd(t, getenv, "", "bills", "generate", "2026-11")
	mustContain(t, "bills at the new rate", runCmd(t, getenv, "", "bills", "show", "3-1-1201", "2026-11"),
		"120.50 m² × 2.80", "= 337.40", "截止 2026-12-10")
}

// TestImportFilesAsOfficesSaveThem imports a residents file saved by Excel on a Chinese
// Windows (GBK, CRLF), a households file with a new building declared, a file of 10,000 bad
// rows (the first 50 listed, and a count), and runs guanjia repair.
func TestImportFilesAsOfficesSaveThem(t *testing.T) {
	pinClock(t)
	cfg, getenv := feeEnv(t)
	runCmd(t, getenv, "", "seed")
	dir := t.TempDir()
	gbk, err := simplifiedchinese.GBK.NewEncoder().String("name,household,phone\r\n周爷爷,1-1-101,13700000102\r\n")
	if err != nil {
		t.Fatal(err)
	}
	residents := filepath.Join(dir, "residents.csv")
	writeFile(t, residents, gbk)
	mustContain(t, "GBK residents", runCmd(t, getenv, "", "import", "residents", residents), "已导入 1 行")
	st := openFeeStore(t, cfg)
	ctx := context.Background()
	if p, err := st.Person(ctx, mongostore.ResidentID(mongostore.SampleCommunity, "1-1-101", "周爷爷")); err != nil || p.Name != "周爷爷" {
		t.Errorf("the GBK file's resident: %+v, %v; want 周爷爷", p, err)
	}

	households := filepath.Join(dir, "households.csv")
	writeFile(t, households, "code,building,area_m2\n4-1-101,4,88\n")
	mustContain(t, "a new building", runErr(t, getenv, "import", "households", households),
		"第 2 行：楼号 4 不在小区 示例花园 中（现有 1、2、3 号楼）", "-add-buildings 4")
	mustContain(t, "a new building declared", runCmd(t, getenv, "", "import", "households", households, "-add-buildings", "4"), "已导入 1 行")
	if c, err := st.Community(ctx, mongostore.SampleCommunity); err != nil || !slices.Equal(c.Buildings, []int{1, 2, 3, 4}) {
		t.Errorf("buildings after declaring building 4: %v, %v", c.Buildings, err)
	}

	var b strings.Builder
	b.WriteString("household,period,kind,previous,current\n")
	for i := range 10000 {
		fmt.Fprintf(&b, "9-9-%d,2026-11,water,1,2\n", 1000+i)
	}
	readings := filepath.Join(dir, "readings.csv")
	writeFile(t, readings, b.String())
	msg := runErr(t, getenv, "import", "readings", readings)
	if n := strings.Count(msg, "\n  第 "); n != 50 {
		t.Errorf("%d problems printed, want the first 50", n)
	}
	mustContain(t, "10,000 bad rows", msg, "readings.csv 有 10000 处问题", "另有 9950 处问题没有列出")

	runCmd(t, getenv, "", "bills", "generate", "2026-11")
	mustContain(t, "repair", runCmd(t, getenv, "", "repair"), "已检查 4 张账单、0 笔收费：补记账单 0 张")
}
