package mongostore

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/guanjia/guanjia"
)

// importCase is one kind of import: a good file, and a bad one with the lines it must report.
type importCase struct {
	kind     string
	run      func(st *Store) func(ctx context.Context, community string, r io.Reader) (int, error)
	coll     func(st *Store) *mongo.Collection
	good     string
	goodRows int
	bad      string
	badLines []int
}

var importCases = []importCase{{
	kind: "households",
	run: func(st *Store) func(context.Context, string, io.Reader) (int, error) {
		return func(ctx context.Context, c string, r io.Reader) (int, error) {
			return st.ImportHouseholdsAdding(ctx, c, r, []int{4}) // building 4 is new, and declared
		}
	},
	coll: func(st *Store) *mongo.Collection { return st.households },
	good: "\ufeffcode,building,area_m2,parking_spaces\n" +
		"3-1-1201,3,120.50,1\n4-1-101, 4 ,95,\n1-2-301,1,132.00,2\n",
	goodRows: 3,
	bad: "code,building,area_m2,parking_spaces\n" +
		"1-1-102,1,80,0\n" + // line 2 is fine
		"1-1-103,1,80.123,0\n" + // area with three decimals
		"1-1-104,2,80,0\n" + // building does not match the code
		"1-1-105,1,80,-1\n" + // negative parking
		"1-1-102,1,80,0\n" + // repeated
		"10101,1,80,0\n" + // no code
		"9-1-101,9,80,0\n" + // building 9 of a community of buildings 1 to 3
		"1-1-106,1,999999999999.99,0\n", // no home is that large
	badLines: []int{3, 4, 5, 6, 7, 8, 9},
}, {
	kind: "residents",
	run:  func(st *Store) func(context.Context, string, io.Reader) (int, error) { return st.ImportResidents },
	coll: func(st *Store) *mongo.Collection { return st.people },
	good: "name,household,phone,care_tags,care_note\n" +
		"张三,3-1-1201,13800001201,,\n" +
		"王五,2-2-502,135-0000-0502,,\n" +
		"周爷爷,1-1-101,13700000102,独居老人；disabled,\"行动不便, 每周二社区医生上门\"\n",
	goodRows: 3,
	bad: "name,household,phone,care_tags,care_note\n" +
		"王五,2-2-502,13500000502,,\n" +
		"赵六,9-9-999,13500000999,,\n" + // unknown household
		"钱七,2-2-502,call me,,\n" + // not a phone number
		",2-2-502,,,\n" + // no name
		"孙八,2-2-502,,vip,\n" + // unknown care tag
		"王五,2-2-502,,,\n", // the same resident again
	badLines: []int{3, 4, 5, 6, 7},
}, {
	kind: "readings",
	run:  func(st *Store) func(context.Context, string, io.Reader) (int, error) { return st.ImportReadings },
	coll: func(st *Store) *mongo.Collection { return st.readings() },
	good: "household,period,kind,previous,current\n" +
		"3-1-1201,2026-10,water,1511.00,1523.00\n3-1-1201,2026-10,electricity,17228,17416\n2-2-502,2026-10,水,968.25,976.50\n",
	goodRows: 3,
	bad: "household,period,kind,previous,current\n" +
		"3-1-1201,2026-10,water,1511.00,1523.00\n" +
		"3-1-1201,2026-10,gas,1,2\n" + // no gas meter
		"3-1-1201,2026-10,electricity,17416,17228\n" + // ran backwards
		"3-1-1201,10/2026,water,1,2\n" + // bad period
		"9-9-999,2026-10,water,1,2\n" + // unknown household
		"3-1-1201,2026-10,water,1511.00,1523.00\n" + // repeated
		"3-1-1201,2026-10,electricity\n" + // short row
		"3-1-1201,2099-01,water,1,2\n" + // a month that has not begun
		"3-1-1201,2020-01,water,1,2\n" + // a month too old to be billed
		"2-2-502,2026-10,water,1,100000000\n", // more digits than a meter has
	badLines: []int{3, 4, 5, 6, 7, 8, 9, 10, 11},
}, {
	kind: "payments",
	run:  func(st *Store) func(context.Context, string, io.Reader) (int, error) { return st.ImportPayments },
	coll: func(st *Store) *mongo.Collection { return st.payments() },
	good: "household,period,amount,paid_at,ref\n" +
		"3-1-1201,2026-11,768.21,2026-11-20,WX-0001\n2-2-502,2026-11,100,2026-11-21,ZFB-0002\n2-2-502,2026-11,17.58,2026-11-22,ZFB-0003\n",
	goodRows: 3,
	bad: "household,period,amount,paid_at,ref\n" +
		"3-1-1201,2026-11,768.21,2026-11-20,WX-0001\n" +
		"2-2-502,2026-11,35x.50,2026-11-21,ZFB-0002\n" + // line 3: a bad amount
		"1-1-101,2026-11,100,2026-11-21,\n" + // no ref
		"8-8-808,2026-11,100,2026-11-21,ZFB-0004\n" + // line 5: an unknown household
		"1-1-101,2028-12,100,2026-11-21,ZFB-0005\n" + // a period two years ahead
		"1-1-101,2026-11,100,21.11.2026,ZFB-0006\n" + // bad date
		"1-1-101,2026-11,0,2026-11-21,ZFB-0007\n" + // nothing paid
		"1-1-101,2026-11,99999999999.99,2026-11-21,ZFB-0008\n" + // far more than any amount
		"1-1-101,2026-11,92233720368547758.08,2026-11-21,ZFB-0009\n" + // would overflow
		"1-1-101,2026-11,5.-1,2026-11-21,ZFB-0010\n" + // not a number
		"1-1-101,2026-11,999.99,2026-11-21,ZFB-0011\n" + // more than the 2026-11 bill asks
		"1-1-101,2020-01,10,2026-11-21,ZFB-0012\n" + // no bill will ever be made for 2020-01
		"1-1-101,2026-11,10,2026-12-01,ZFB-0013\n" + // not paid yet
		"1-1-101,2027-01,15000,2026-11-21,ZFB-0014\n" + // ahead of the bill:
		"1-1-101,2027-01,15000,2026-11-21,ZFB-0015\n", // 30,000 in all for one month
	badLines: []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16},
}}

func TestImports(t *testing.T) { forEachBackend(t, testImports) }

// testImports imports each kind of file into the sample community: a bad file reports every
// bad line and imports nothing, a good one is imported, and importing it again changes nothing.
func testImports(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	if _, _, err := st.GenerateBills(ctx, "2026-11", november); err != nil {
		t.Fatal(err)
	}
	for _, c := range importCases {
		before := dump(t, c.coll(st))
		n, err := c.run(st)(ctx, SampleCommunity, strings.NewReader(c.bad))
		var ie *ImportError
		if !errors.As(err, &ie) || !errors.Is(err, guanjia.ErrInvalid) || n != 0 {
			t.Fatalf("%s: bad file: %d, %v; want an ImportError", c.kind, n, err)
		}
		var lines []int
		for _, r := range ie.Rows {
			lines = append(lines, r.Line)
			if !strings.Contains(err.Error(), r.Reason) {
				t.Errorf("%s: the error message lacks %q", c.kind, r.Reason)
			}
			if !chineseFirst(r.Reason) {
				t.Errorf("%s: line %d: reason %q is not in Chinese first", c.kind, r.Line, r.Reason)
			}
		}
		if !reflect.DeepEqual(lines, c.badLines) {
			t.Errorf("%s: bad lines %v, want %v:\n%v", c.kind, lines, c.badLines, err)
		}
		if after := dump(t, c.coll(st)); !reflect.DeepEqual(before, after) {
			t.Errorf("%s: a bad file changed the records", c.kind)
		}

		n, err = c.run(st)(ctx, SampleCommunity, strings.NewReader(c.good))
		if err != nil || n != c.goodRows {
			t.Fatalf("%s: good file: %d, %v; want %d rows", c.kind, n, err, c.goodRows)
		}
		once := dump(t, c.coll(st))
		n, err = c.run(st)(ctx, SampleCommunity, strings.NewReader(c.good))
		wantAgain := c.goodRows
		if c.kind == "payments" {
			wantAgain = 0 // payments count only those new to the store
		}
		if err != nil || n != wantAgain {
			t.Fatalf("%s: good file again: %d, %v; want %d", c.kind, n, err, wantAgain)
		}
		if twice := dump(t, c.coll(st)); !reflect.DeepEqual(once, twice) {
			t.Errorf("%s: importing again changed the records:\n%v\n%v", c.kind, once, twice)
		}
	}
	checkImported(t, st)
}

// checkImported looks at what the good files of importCases made.
func checkImported(t *testing.T, st *Store) {
	ctx := context.Background()
	h, err := st.Household(ctx, SampleCommunity, "4-1-101")
	check(t, "imported household", h, err, guanjia.Household{ID: "sample:4-1-101", Community: SampleCommunity,
		Code: "4-1-101", Building: 4, AreaCenti: 9500})
	c, err := st.Community(ctx, SampleCommunity)
	if err != nil || !reflect.DeepEqual(c.Buildings, []int{1, 2, 3, 4}) {
		t.Errorf("buildings after importing building 4: %v, %v", c.Buildings, err)
	}
	// 张三 is the seeded person, updated in place; 王五 is new under a derived id.
	p, err := st.PersonByName(ctx, SampleCommunity, "张三")
	if err != nil || p.ID != "p-zhangsan" || p.Phone != "13800001201" {
		t.Errorf("张三 after import = %+v, %v", p, err)
	}
	p, err = st.Person(ctx, ResidentID(SampleCommunity, "2-2-502", "王五"))
	if err != nil || p.Name != "王五" || p.Phone != "13500000502" || !p.Has(guanjia.RoleResident) || p.Lang != "zh" {
		t.Errorf("王五 = %+v, %v", p, err)
	}
	p, err = st.PersonByName(ctx, SampleCommunity, "周爷爷")
	if err != nil || !reflect.DeepEqual(p.CareTags, []guanjia.CareTag{guanjia.CareElderlyAlone, guanjia.CareDisabled}) ||
		p.CareNote != "行动不便, 每周二社区医生上门" {
		t.Errorf("周爷爷 = %+v, %v", p, err)
	}
	r, err := st.Readings(ctx, SampleCommunity, "2-2-502", "2026-10")
	if err != nil || len(r) != 1 || r[0].Kind != guanjia.FeeWater || r[0].PreviousCenti != 96825 {
		t.Errorf("readings of 2-2-502 = %+v, %v", r, err)
	}
	// 李四's 317.58 is paid in two parts; 张三's 768.21 in one.
	for home, want := range map[string]int{"3-1-1201": 0, "2-2-502": 1} {
		a, err := st.Arrears(ctx, SampleCommunity, home)
		if err != nil || len(a) != want {
			t.Errorf("arrears of %s after the payments = %+v, %v", home, a, err)
		}
	}
	a, _ := st.Arrears(ctx, SampleCommunity, "2-2-502")
	if len(a) == 1 && (a[0].Paid != 11758 || a[0].Owed != 20000) {
		t.Errorf("李四's November = %+v, want 117.58 paid and 200.00 owed", a[0])
	}
}

func TestImportFileShape(t *testing.T) { forEachBackend(t, testImportFileShape) }

// testImportFileShape checks what is wrong with a file as a whole.
func testImportFileShape(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	for what, c := range map[string]struct {
		file  string
		lines []int
	}{
		"empty":             {"", []int{1}},
		"header only":       {"code,building,area_m2\n", []int{2}},
		"missing column":    {"code,area_m2\n1-1-1,1\n", []int{1}},
		"unknown column":    {"code,building,area,area_m2\n1-1-1,1,2,3\n", []int{1}},
		"broken quote":      {"code,building,area_m2\n1-1-1,1,\"80\n", []int{2}},
		"bad rows reported": {"code,building,area_m2\n1-1-1,1,x\n\n1-1-2,1,y\n", []int{2, 4}},
	} {
		_, err := st.ImportHouseholds(ctx, SampleCommunity, strings.NewReader(c.file))
		var ie *ImportError
		if !errors.As(err, &ie) {
			t.Errorf("%s: err = %v, want an ImportError", what, err)
			continue
		}
		var lines []int
		for _, r := range ie.Rows {
			lines = append(lines, r.Line)
			if !chineseFirst(r.Reason) {
				t.Errorf("%s: line %d: reason %q is not in Chinese first", what, r.Line, r.Reason)
			}
		}
		if !reflect.DeepEqual(lines, c.lines) {
			t.Errorf("%s: lines %v, want %v: %v", what, lines, c.lines, err)
		}
	}
	if _, err := st.ImportHouseholds(ctx, "nowhere", strings.NewReader("code,building,area_m2\n1-1-1,1,80\n")); !errors.Is(err, guanjia.ErrNotFound) {
		t.Errorf("import into an unknown community: err = %v, want ErrNotFound", err)
	}
}

// chineseFirst reports whether a reason for the office starts in Chinese, as the office reads
// Chinese first; column names and examples may follow in English.
func chineseFirst(reason string) bool {
	r, _ := utf8.DecodeRuneInString(reason)
	return unicode.Is(unicode.Han, r)
}
