package flows

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/templates"
)

// The words of a hazard tell its kind; words that tell none leave it to be asked.
func TestGuessHazard(t *testing.T) {
	cases := map[string]string{
		"消防通道被私家车堵住":  "found_fire_lane",
		"楼道里有电动车在充电":  "found_ebike",
		"15层消防门损坏":    "found_facility",
		"楼下垃圾堆放没人清":   "found_garbage",
		"顶楼有人违章搭建阳光房": "found_construction",
		"电梯里贴满了小广告":   "found_ads",
		"地下室有异味":      "",
	}
	for text, want := range cases {
		got, ok := guessHazard(text)
		if got != want || ok != (want != "") {
			t.Errorf("guessHazard(%q) = %q, %v; want %q", text, got, ok, want)
		}
	}
	for _, k := range hazardKinds {
		if DefaultHazardDepartments[k.kind] == "" {
			t.Errorf("hazard kind %s goes to no department", k.kind)
		}
	}
}

// A steward is on shift for twelve hours from their shift start, across midnight too.
func TestOnShift(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	e := &Engine{Deps: Deps{Config: Config{Location: loc}}}
	day, night := guanjia.Person{ShiftStart: "08:30"}, guanjia.Person{ShiftStart: "20:30"}
	at := func(h, m int) time.Time { return time.Date(2026, 11, 26, h, m, 0, 0, loc) }
	cases := []struct {
		t          time.Time
		day, night bool
	}{
		{at(8, 29), false, true}, {at(8, 30), true, false}, {at(20, 29), true, false},
		{at(20, 30), false, true}, {at(2, 0), false, true},
	}
	for _, c := range cases {
		if e.onShift(day, c.t) != c.day || e.onShift(night, c.t) != c.night {
			t.Errorf("%s: day %v night %v; want %v %v", c.t.Format("15:04"), e.onShift(day, c.t), e.onShift(night, c.t), c.day, c.night)
		}
	}
}

// Parts other features keep (today's events, dunning tasks) join the plan when they have lines.
func TestPlanSections(t *testing.T) {
	set, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := New(Deps{Templates: set, Directory: emptyDirectory{}, Workday: emptyWorkday{},
		PlanSections: []PlanSection{
			func(context.Context, guanjia.Person, time.Time, string) (string, []string, error) {
				return "今日活动", []string{"· 10:00 社区义诊（会所）"}, nil
			},
			func(context.Context, guanjia.Person, time.Time, string) (string, []string, error) {
				return "催缴", nil, nil
			},
		}})
	text, err := e.Plan(context.Background(), guanjia.Person{Name: "王管家", Community: "sample", Roles: []guanjia.Role{guanjia.RoleSteward}},
		time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "【今日活动】\n· 10:00 社区义诊（会所）") || strings.Contains(text, "催缴") {
		t.Errorf("plan:\n%s", text)
	}
}

type emptyDirectory struct{ Directory }

func (emptyDirectory) PeopleByRole(context.Context, string, guanjia.Role) ([]guanjia.Person, error) {
	return nil, nil
}

type emptyWorkday struct{ Workday }

func (emptyWorkday) WorkTickets(context.Context, string) ([]guanjia.Ticket, error) { return nil, nil }
func (emptyWorkday) Priorities(context.Context, string, string) ([]guanjia.Priority, error) {
	return nil, nil
}
func (emptyWorkday) Handovers(context.Context, string, int) ([]guanjia.Handover, error) {
	return nil, nil
}

// A plan lists the ten most pressing tickets, overdue first, and says how many more there are.
func TestPlanShortOnAPhone(t *testing.T) {
	set, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC)
	var list []guanjia.Ticket
	for i := range 12 {
		list = append(list, guanjia.Ticket{No: guanjia.TicketNo(guanjia.KindRepair, now, i+1), Kind: guanjia.KindRepair,
			Community: "sample", Status: guanjia.StatusSubmitted, Category: "water_electric", Building: 1,
			DueAt: now.Add(time.Duration(i-1) * time.Hour)})
	}
	e := New(Deps{Templates: set, Directory: emptyDirectory{}, Workday: ticketsWorkday{list: list}})
	text, err := e.Plan(context.Background(), guanjia.Person{Name: "王管家", Community: "sample", Buildings: []int{1},
		Roles: []guanjia.Role{guanjia.RoleSteward}}, now)
	if err != nil {
		t.Fatal(err)
	}
	first := strings.Index(text, "R20261127-0001")
	if !strings.Contains(text, "12 件") || !strings.Contains(text, "还有 2 件") || first < 0 ||
		!strings.Contains(text[:first], "⚠️超时") || strings.Contains(text, "R20261127-0012") {
		t.Errorf("plan:\n%s", text)
	}
}

type ticketsWorkday struct {
	emptyWorkday
	list []guanjia.Ticket
}

func (w ticketsWorkday) WorkTickets(context.Context, string) ([]guanjia.Ticket, error) {
	return w.list, nil
}

// A building's stewards are those given it and those given no building; an unknown building
// is every steward's.
func TestBuildingStewards(t *testing.T) {
	wang := guanjia.Person{ID: "wang", Buildings: []int{3, 5}}
	li := guanjia.Person{ID: "li", Buildings: []int{1}}
	zhao := guanjia.Person{ID: "zhao"}
	all := []guanjia.Person{wang, li, zhao}
	ids := func(list []guanjia.Person) string {
		var out []string
		for _, p := range list {
			out = append(out, p.ID)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		building int
		want     string
	}{{3, "wang,zhao"}, {1, "li,zhao"}, {9, "zhao"}, {0, "wang,li,zhao"}} {
		if got := ids(buildingStewards(all, c.building)); got != c.want {
			t.Errorf("building %d: %s, want %s", c.building, got, c.want)
		}
	}
	if got := buildingStewards([]guanjia.Person{wang, li}, 9); len(got) != 0 {
		t.Errorf("building 9 with no steward of its own: %s, want none", ids(got))
	}
}
