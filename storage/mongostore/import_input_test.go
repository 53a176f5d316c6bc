package mongostore

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/guanjia/guanjia"
)

func TestImportNeverTouchesStaff(t *testing.T) { forEachBackend(t, testImportNeverTouchesStaff) }

// testImportNeverTouchesStaff imports a resident under 赵主管's id: the row is refused by its
// line, nothing of the file is imported, and 赵主管 stays as he was.
func testImportNeverTouchesStaff(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	before, err := st.Person(ctx, "p-zhao")
	must(t, err)
	file := "name,household,phone,care_tags,care_note,id\n" +
		"王五,2-2-502,13500000502,,,\n" +
		"钱一,3-1-1202,13800001119,,,p-zhao\n"
	must(t, st.PutHousehold(ctx, guanjia.Household{Community: SampleCommunity, Code: "3-1-1202", Building: 3, AreaCenti: 9000}))
	n, err := st.ImportResidents(ctx, SampleCommunity, strings.NewReader(file))
	var ie *ImportError
	if !errors.As(err, &ie) || n != 0 || len(ie.Rows) != 1 || ie.Rows[0].Line != 3 || !strings.Contains(ie.Rows[0].Reason, "工作人员") {
		t.Fatalf("import naming a staff id: %d, %v; want line 3 refused as a staff record", n, err)
	}
	after, err := st.Person(ctx, "p-zhao")
	if err != nil || !reflect.DeepEqual(before, after) {
		t.Errorf("赵主管 after the import = %+v, %v; want unchanged %+v", after, err, before)
	}
	if _, err := st.Person(ctx, ResidentID(SampleCommunity, "2-2-502", "王五")); !errors.Is(err, guanjia.ErrNotFound) {
		t.Errorf("王五 of the good line was imported (%v): a file with a bad row imports nothing", err)
	}
	// By name and home, too: a staff member living in the sample is not a resident row's to change.
	must(t, st.PutPerson(ctx, guanjia.Person{ID: "p-wang", Name: "王管家", Community: SampleCommunity, Household: "1-1-101",
		Roles: []guanjia.Role{guanjia.RoleSteward}}))
	if _, err := st.ImportResidents(ctx, SampleCommunity, strings.NewReader("name,household,phone\n王管家,1-1-101,13000000000\n")); !errors.As(err, &ie) {
		t.Errorf("a resident row matching a steward by name and home: %v; want refused", err)
	}
}

func TestImportEncodings(t *testing.T) { forEachBackend(t, testImportEncodings) }

// testImportEncodings imports one residents file as Excel saves it on a Chinese Windows (GBK,
// CRLF), as UTF-8 with a byte-order mark, and as UTF-16: each gives the same, ungarbled name.
// A file in none of them is refused, saying why.
func testImportEncodings(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	text := "name,household,phone\r\n周爷爷,1-1-101,13700000102\r\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(text)
	must(t, err)
	utf16 := []byte{0xFF, 0xFE}
	for _, r := range text {
		utf16 = append(utf16, byte(r), byte(r>>8))
	}
	for name, file := range map[string]string{"GBK with CRLF": gbk, "UTF-8 with BOM": "\ufeff" + text, "UTF-16": string(utf16),
		"old Mac line ends": strings.ReplaceAll(text, "\r\n", "\r")} {
		n, err := st.ImportResidents(ctx, SampleCommunity, strings.NewReader(file))
		if err != nil || n != 1 {
			t.Errorf("%s: %d, %v; want 1 row", name, n, err)
			continue
		}
		p, err := st.Person(ctx, ResidentID(SampleCommunity, "1-1-101", "周爷爷"))
		if err != nil || p.Name != "周爷爷" || p.Phone != "13700000102" {
			t.Errorf("%s: imported %+v, %v; want 周爷爷 13700000102", name, p, err)
		}
	}
	_, err = st.ImportResidents(ctx, SampleCommunity, strings.NewReader("name,household\n\xff\xfe\xfd\x80,1-1-101\n"))
	var ie *ImportError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("a file in no known encoding: %v; want refused naming UTF-8", err)
	}
}

func TestImportProblemsListed(t *testing.T) { forEachBackend(t, testImportProblemsListed) }

// testImportProblemsListed imports 10,000 bad rows: the message lists the first 50 and says
// how many more there are.
func testImportProblemsListed(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	var b strings.Builder
	b.WriteString("household,period,kind,previous,current\n")
	for i := range 10000 {
		fmt.Fprintf(&b, "9-9-%d,2026-10,water,1,2\n", 1000+i)
	}
	_, err := st.ImportReadings(ctx, SampleCommunity, strings.NewReader(b.String()))
	var ie *ImportError
	if !errors.As(err, &ie) || len(ie.Rows) != 10000 {
		t.Fatalf("10,000 bad rows: %v", err)
	}
	msg := err.Error()
	if got := strings.Count(msg, "\n  第 "); got != ListedProblems {
		t.Errorf("%d problems listed, want %d", got, ListedProblems)
	}
	if want := fmt.Sprintf("另有 %d 处问题", 10000-ListedProblems); !strings.Contains(msg, want) {
		t.Errorf("the message does not say %q:\n%s", want, msg[len(msg)-200:])
	}
}

func TestImportDropsControlCharacters(t *testing.T) {
	forEachBackend(t, testImportDropsControlCharacters)
}

// testImportDropsControlCharacters imports a name carrying a terminal escape sequence: what is
// stored is only its visible characters.
func testImportDropsControlCharacters(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	file := "name,household,phone,care_tags,care_note\n\"\x1b]0;pwned\x07\x1b[2J周\x1b[31m爷爷\",1-1-101,,,\"腿脚\x1b[8m不便\"\n"
	if n, err := st.ImportResidents(ctx, SampleCommunity, strings.NewReader(file)); err != nil || n != 1 {
		t.Fatalf("import: %d, %v", n, err)
	}
	people, err := st.PeopleByRole(ctx, SampleCommunity, guanjia.RoleResident)
	must(t, err)
	for _, p := range people {
		if strings.ContainsAny(p.Name+p.CareNote, "\x1b\x07") {
			t.Errorf("stored %q / %q with control characters", p.Name, p.CareNote)
		}
		if p.Household == "1-1-101" && strings.HasSuffix(p.Name, "周[31m爷爷") && p.CareNote != "腿脚[8m不便" {
			t.Errorf("care note %q", p.CareNote)
		}
	}
}
