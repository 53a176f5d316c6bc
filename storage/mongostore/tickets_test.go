package mongostore

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// newTicket is a repair reported at the given time.
func newTicket(community string, kind guanjia.TicketKind, at time.Time) guanjia.Ticket {
	return guanjia.Ticket{
		Kind: kind, Community: community, Status: guanjia.StatusSubmitted,
		Reporter: "p1", ReporterName: "张三",
		Origin:  guanjia.Origin{Channel: "telegram", Chat: "42", User: "42"},
		Address: "3-1-1201", Building: 3, Category: "water", Description: "厨房水管漏水",
		Urgency: guanjia.UrgencyNormal, CreatedAt: at, UpdatedAt: at, DueAt: at.Add(15 * time.Minute),
		Timeline: []guanjia.Event{{At: at, Action: guanjia.ActSubmit, Actor: "p1", ActorName: "张三"}},
	}
}

func create(t *testing.T, st *Store, tk guanjia.Ticket) guanjia.Ticket {
	t.Helper()
	if err := st.CreateTicket(context.Background(), &tk); err != nil {
		t.Fatalf("create: %v", err)
	}
	return tk
}

// utc puts a ticket's times in UTC, as they come back from the database.
func utc(tk guanjia.Ticket) guanjia.Ticket {
	tk.CreatedAt, tk.UpdatedAt, tk.DueAt = tk.CreatedAt.UTC(), tk.UpdatedAt.UTC(), tk.DueAt.UTC()
	tk.Timeline = append([]guanjia.Event(nil), tk.Timeline...)
	for i := range tk.Timeline {
		tk.Timeline[i].At = tk.Timeline[i].At.UTC()
	}
	return tk
}

func TestTicketNumbers(t *testing.T) { forEachBackend(t, testTicketNumbers) }

// testTicketNumbers checks that sequences run per community, kind and day, the day counted
// in the store's location.
func testTicketNumbers(t *testing.T, st *Store) {
	morning := time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai)
	cases := []struct {
		community string
		kind      guanjia.TicketKind
		at        time.Time
		want      string
	}{
		{"c1", guanjia.KindRepair, morning, "R20261126-0001"},
		{"c1", guanjia.KindRepair, morning.Add(time.Hour), "R20261126-0002"},
		{"c1", guanjia.KindComplaint, morning, "C20261126-0001"},
		{"c2", guanjia.KindRepair, morning, "R20261126-0001"},
		{"c1", guanjia.KindRepair, morning.Add(24 * time.Hour), "R20261127-0001"},
		// 23:30 UTC on the 26th is 07:30 on the 27th in Shanghai.
		{"c1", guanjia.KindRepair, time.Date(2026, 11, 26, 23, 30, 0, 0, time.UTC), "R20261127-0002"},
		{"c1", guanjia.KindHazard, morning, "H20261126-0001"},
		{"c1", guanjia.KindRepair, morning.Add(2 * time.Hour), "R20261126-0003"},
	}
	for _, c := range cases {
		tk := create(t, st, newTicket(c.community, c.kind, c.at))
		if tk.No != c.want || tk.ID != guanjia.TicketID(c.community, c.want) || tk.Version != 1 {
			t.Errorf("%s %s at %s: got no %s id %s version %d, want %s", c.community, c.kind, c.at,
				tk.No, tk.ID, tk.Version, c.want)
		}
	}
	bad := []guanjia.Ticket{
		newTicket("", guanjia.KindRepair, morning),
		newTicket("c1", "X", morning),
		newTicket("c1", guanjia.KindRepair, time.Time{}),
	}
	for _, tk := range bad {
		if err := st.CreateTicket(context.Background(), &tk); !errors.Is(err, guanjia.ErrInvalid) {
			t.Errorf("create %+v: err = %v, want ErrInvalid", tk, err)
		}
	}
}

func TestTicketReadUpdate(t *testing.T) { forEachBackend(t, testTicketReadUpdate) }

// testTicketReadUpdate is the contract of flows.Tickets: round trips and optimistic locking.
func testTicketReadUpdate(t *testing.T, st *Store) {
	ctx := context.Background()
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai)
	tk := create(t, st, newTicket("c1", guanjia.KindRepair, at))
	got, err := st.Ticket(ctx, "c1", tk.No)
	check(t, "Ticket", got, err, utc(tk))
	if _, err := st.Ticket(ctx, "c2", tk.No); !errors.Is(err, guanjia.ErrNotFound) {
		t.Errorf("Ticket of another community: err = %v, want ErrNotFound", err)
	}

	stale := got
	must(t, got.Apply(guanjia.ActAccept, guanjia.Event{At: at.Add(time.Minute), Actor: "p2", ActorName: "王管家"}))
	must(t, st.UpdateTicket(ctx, &got))
	if got.Version != 2 {
		t.Errorf("version after update = %d, want 2", got.Version)
	}
	read, err := st.Ticket(ctx, "c1", tk.No)
	check(t, "Ticket after update", read, err, utc(got))

	must(t, stale.Apply(guanjia.ActCancel, guanjia.Event{At: at.Add(2 * time.Minute), Actor: "p1"}))
	if err := st.UpdateTicket(ctx, &stale); !errors.Is(err, guanjia.ErrConflict) {
		t.Errorf("stale update: err = %v, want ErrConflict", err)
	}
	if stale.Version != 1 {
		t.Errorf("stale update changed the version to %d", stale.Version)
	}
	ahead := read
	ahead.Version = 7
	if err := st.UpdateTicket(ctx, &ahead); !errors.Is(err, guanjia.ErrConflict) {
		t.Errorf("update from a version never stored: err = %v, want ErrConflict", err)
	}
	read, err = st.Ticket(ctx, "c1", tk.No)
	if err != nil || read.Status != guanjia.StatusAccepted || read.Version != 2 {
		t.Errorf("after refused updates: %s version %d, %v; want accepted version 2", read.Status, read.Version, err)
	}

	unknown := newTicket("c1", guanjia.KindRepair, at)
	unknown.No, unknown.Version = "R20261126-0099", 1
	if err := st.UpdateTicket(ctx, &unknown); !errors.Is(err, guanjia.ErrNotFound) {
		t.Errorf("update of an unknown ticket: err = %v, want ErrNotFound", err)
	}
}

func TestTicketLists(t *testing.T) { forEachBackend(t, testTicketLists) }

func testTicketLists(t *testing.T, st *Store) {
	ctx := context.Background()
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai)
	a1 := create(t, st, newTicket("c1", guanjia.KindRepair, at))
	a2 := create(t, st, newTicket("c1", guanjia.KindComplaint, at.Add(time.Minute)))
	a3 := create(t, st, newTicket("c1", guanjia.KindRepair, at.Add(2*time.Minute)))
	b1 := create(t, st, newTicket("c2", guanjia.KindRepair, at.Add(3*time.Minute)))
	must(t, a3.Apply(guanjia.ActAccept, guanjia.Event{At: at.Add(5 * time.Minute), Actor: "p2"}))
	must(t, st.UpdateTicket(ctx, &a3))

	nos := func(list []guanjia.Ticket) []string {
		s := []string{}
		for _, tk := range list {
			s = append(s, tk.Community+"/"+tk.No)
		}
		return s
	}
	for _, c := range []struct {
		f    TicketFilter
		want []guanjia.Ticket
	}{
		{TicketFilter{}, []guanjia.Ticket{b1, a3, a2, a1}},
		{TicketFilter{Limit: 2}, []guanjia.Ticket{b1, a3}},
		{TicketFilter{Community: "c1"}, []guanjia.Ticket{a3, a2, a1}},
		{TicketFilter{Community: "c1", Kind: guanjia.KindRepair}, []guanjia.Ticket{a3, a1}},
		{TicketFilter{Status: guanjia.StatusAccepted}, []guanjia.Ticket{a3}},
		{TicketFilter{Community: "c3"}, nil},
	} {
		got, err := st.ListTickets(ctx, c.f)
		if err != nil || !reflect.DeepEqual(nos(got), nos(c.want)) {
			t.Errorf("ListTickets(%+v) = %v, %v; want %v", c.f, nos(got), err, nos(c.want))
		}
	}

	got, err := st.TicketsByNo(ctx, "R20261126-0001")
	check(t, "TicketsByNo", got, err, []guanjia.Ticket{utc(a1), utc(b1)})
	if _, err := st.TicketsByNo(ctx, "R20261126-0042"); !errors.Is(err, guanjia.ErrNotFound) {
		t.Errorf("TicketsByNo of no ticket: err = %v, want ErrNotFound", err)
	}
}
