package mongostore

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/guanjia/guanjia"
)

func TestDirectory(t *testing.T) { forEachBackend(t, testDirectory) }

// testDirectory is the contract of flows.Directory and its writers.
func testDirectory(t *testing.T, st *Store) {
	ctx := context.Background()
	notFound := map[string]func() error{
		"Community":        func() error { _, err := st.Community(ctx, "c1"); return err },
		"Household":        func() error { _, err := st.Household(ctx, "c1", "3-1-1201"); return err },
		"Person":           func() error { _, err := st.Person(ctx, "p1"); return err },
		"PersonByName":     func() error { _, err := st.PersonByName(ctx, "c1", "张三"); return err },
		"PersonByIdentity": func() error { _, err := st.PersonByIdentity(ctx, "telegram", "42"); return err },
		"Chat":             func() error { _, err := st.Chat(ctx, "telegram", "-100"); return err },
	}
	for name, f := range notFound {
		if err := f(); !errors.Is(err, guanjia.ErrNotFound) {
			t.Errorf("%s of nothing: err = %v, want ErrNotFound", name, err)
		}
	}
	if chats, err := st.ChatsByRole(ctx, "c1", guanjia.ChatStaff); err != nil || chats == nil || len(chats) != 0 {
		t.Errorf("ChatsByRole of nothing = %#v, %v; want an empty list", chats, err)
	}
	if chats, err := st.PrivateChats(ctx, "p1"); err != nil || chats == nil || len(chats) != 0 {
		t.Errorf("PrivateChats of nothing = %#v, %v; want an empty list", chats, err)
	}

	comm := guanjia.Community{ID: "c1", Name: "花园", Buildings: []int{1, 3}}
	hh := guanjia.Household{Community: "c1", Code: "3-1-1201", Building: 3, AreaCenti: 12050}
	p1 := guanjia.Person{ID: "p1", Name: "张三", Community: "c1", Roles: []guanjia.Role{guanjia.RoleResident},
		Phone: "13800001201", Household: "3-1-1201", CareTags: []guanjia.CareTag{guanjia.CareElderlyAlone},
		CareNote: "耳背", Lang: "zh"}
	p2 := guanjia.Person{ID: "p2", Name: "王管家", Community: "c1", Roles: []guanjia.Role{guanjia.RoleSteward},
		Buildings: []int{1, 3}}
	namesake := guanjia.Person{ID: "p0", Name: "王管家", Community: "c2", Roles: []guanjia.Role{guanjia.RoleResident}}
	must(t, st.PutCommunity(ctx, comm))
	must(t, st.PutHousehold(ctx, hh))
	for _, p := range []guanjia.Person{p1, p2, namesake} {
		must(t, st.PutPerson(ctx, p))
	}
	must(t, st.PutIdentity(ctx, guanjia.Identity{Channel: "telegram", PlatformID: "42", Person: "p1"}))
	must(t, st.PutIdentity(ctx, guanjia.Identity{Channel: "telegram", PlatformID: "43", Person: "gone"}))

	got, err := st.Community(ctx, "c1")
	check(t, "Community", got, err, comm)
	hh.ID = guanjia.HouseholdID("c1", "3-1-1201")
	gotH, err := st.Household(ctx, "c1", "3-1-1201")
	check(t, "Household", gotH, err, hh)
	gotP, err := st.Person(ctx, "p1")
	check(t, "Person", gotP, err, p1)
	gotP, err = st.PersonByName(ctx, "c1", "王管家")
	check(t, "PersonByName", gotP, err, p2)
	gotP, err = st.PersonByIdentity(ctx, "telegram", "42")
	check(t, "PersonByIdentity", gotP, err, p1)
	if _, err := st.PersonByIdentity(ctx, "telegram", "43"); !errors.Is(err, guanjia.ErrNotFound) {
		t.Errorf("PersonByIdentity bound to a missing person: err = %v, want ErrNotFound", err)
	}

	// Writers replace by id.
	p1.Lang = "en"
	must(t, st.PutPerson(ctx, p1))
	gotP, err = st.Person(ctx, "p1")
	check(t, "Person after put again", gotP, err, p1)

	// Keys made from other fields are checked, not trusted.
	if err := st.PutHousehold(ctx, guanjia.Household{ID: "c1:9-9-9", Community: "c1", Code: "3-1-1201"}); !errors.Is(err, guanjia.ErrInvalid) {
		t.Errorf("PutHousehold with a wrong id: err = %v, want ErrInvalid", err)
	}
	if err := st.PutPerson(ctx, guanjia.Person{Name: "无名"}); !errors.Is(err, guanjia.ErrInvalid) {
		t.Errorf("PutPerson without id: err = %v, want ErrInvalid", err)
	}

	testChats(t, st)
}

func testChats(t *testing.T, st *Store) {
	ctx := context.Background()
	chats := []guanjia.Chat{
		{Channel: "telegram", PlatformID: "-200", Name: "员工群", Role: guanjia.ChatStaff, Community: "c1"},
		{Channel: "wechat", PlatformID: "g1", Name: "员工二群", Role: guanjia.ChatStaff, Community: "c1"},
		{Channel: "telegram", PlatformID: "-300", Name: "3号楼", Role: guanjia.ChatBuilding, Community: "c1", Buildings: []int{3}},
		{Channel: "telegram", PlatformID: "-400", Name: "别的小区员工群", Role: guanjia.ChatStaff, Community: "c2"},
		{Channel: "telegram", PlatformID: "42", Name: "张三", Role: guanjia.ChatPrivate, Community: "c1", Person: "p1"},
		{Channel: "wechat", PlatformID: "wx-zhang", Name: "张三", Role: guanjia.ChatPrivate, Person: "p1"},
		{Channel: "telegram", PlatformID: "44", Name: "王管家", Role: guanjia.ChatPrivate, Community: "c1", Person: "p2"},
	}
	for i := range chats {
		must(t, st.PutChat(ctx, chats[i]))
		chats[i].ID = guanjia.ChatID(chats[i].Channel, chats[i].PlatformID)
	}
	got, err := st.Chat(ctx, "telegram", "-300")
	check(t, "Chat", got, err, chats[2])

	staff, err := st.ChatsByRole(ctx, "c1", guanjia.ChatStaff)
	check(t, "ChatsByRole staff", staff, err, []guanjia.Chat{chats[0], chats[1]})
	building, err := st.ChatsByRole(ctx, "c1", guanjia.ChatBuilding)
	check(t, "ChatsByRole building", building, err, []guanjia.Chat{chats[2]})
	private, err := st.PrivateChats(ctx, "p1")
	check(t, "PrivateChats", private, err, []guanjia.Chat{chats[4], chats[5]})

	// Binding a chat again changes its role.
	chats[1].Role = guanjia.ChatBuilding
	must(t, st.PutChat(ctx, chats[1]))
	staff, err = st.ChatsByRole(ctx, "c1", guanjia.ChatStaff)
	check(t, "ChatsByRole staff after rebinding", staff, err, []guanjia.Chat{chats[0]})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func check[T any](t *testing.T, what string, got T, err error, want T) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func TestHouseholdsInBuilding(t *testing.T) { forEachBackend(t, testHouseholdsInBuilding) }

// testHouseholdsInBuilding: a building's households, not those of building 30 nor of another
// community, and none as an empty list.
func testHouseholdsInBuilding(t *testing.T, st *Store) {
	ctx := context.Background()
	for _, h := range []guanjia.Household{
		{Community: "c1", Code: "3-1-1201", Building: 3}, {Community: "c1", Code: "3-2-301", Building: 3},
		{Community: "c1", Code: "30-1-101", Building: 30}, {Community: "c1", Code: "2-1-101", Building: 2},
		{Community: "c2", Code: "3-1-1201", Building: 3},
	} {
		if err := st.PutHousehold(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	list, err := st.HouseholdsInBuilding(ctx, "c1", 3)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, h := range list {
		codes = append(codes, h.Community+":"+h.Code)
	}
	if want := []string{"c1:3-1-1201", "c1:3-2-301"}; !reflect.DeepEqual(codes, want) {
		t.Errorf("HouseholdsInBuilding(c1, 3) = %v, want %v", codes, want)
	}
	if list, err := st.HouseholdsInBuilding(ctx, "c1", 9); err != nil || list == nil || len(list) != 0 {
		t.Errorf("HouseholdsInBuilding(c1, 9) = %#v, %v; want an empty list", list, err)
	}
}
