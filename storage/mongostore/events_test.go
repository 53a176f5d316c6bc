package mongostore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/storage/redisstate/redistest"
)

// A form confirmed twice makes one event; a home signs up once; head counts wait in strict
// order and are promoted together when places come free; an event is called off once.
func TestEventSignUpRules(t *testing.T) {
	st := openTestStore(t, ferretURI)
	st.SetSequencer(redistest.Store(t))
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	ev := guanjia.Activity{Community: "c1", Title: "包饺子", Place: "活动室", Capacity: 3, Start: now.Add(48 * time.Hour),
		Deadline: now.Add(24 * time.Hour), InviteAt: now, CreatedAt: now, Submission: "sub-1"}
	again := ev
	if err := st.CreateEvent(ctx, &ev); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateEvent(ctx, &again); err != nil || again.No != ev.No {
		t.Fatalf("the same submission again made %q (%v), want %q", again.No, err, ev.No)
	}
	var n int64
	hint := func(context.Context) (int64, error) { n++; return n, nil }
	join := func(h string, heads int) guanjia.SignUp {
		t.Helper()
		su, _, err := st.JoinEvent(ctx, ev, guanjia.SignUp{Household: h, Heads: heads, At: now}, hint)
		if err != nil {
			t.Fatalf("join %s: %v", h, err)
		}
		now = now.Add(time.Second)
		return su
	}
	if su := join("1-1-101", 2); !su.Confirmed {
		t.Fatal("first home of two not confirmed with three places")
	}
	if su := join("1-1-102", 2); su.Confirmed {
		t.Fatal("two people confirmed with one place left")
	}
	if su := join("1-1-103", 1); su.Confirmed {
		t.Fatal("a home of one went ahead of a home waiting before it")
	}
	if _, _, err := st.JoinEvent(ctx, ev, guanjia.SignUp{Household: "1-1-101", Heads: 1, At: now}, hint); !errors.Is(err, guanjia.ErrConflict) {
		t.Fatalf("signing up twice: %v, want ErrConflict", err)
	}
	if _, err := st.LeaveEvent(ctx, ev, "9-9-999"); !errors.Is(err, guanjia.ErrNotFound) {
		t.Fatalf("leaving without a sign-up: %v, want ErrNotFound", err)
	}
	if _, err := st.LeaveEvent(ctx, ev, "1-1-101"); err != nil {
		t.Fatal(err)
	}
	promoted, err := st.PromoteWaiting(ctx, ev)
	if err != nil || len(promoted) != 2 || promoted[0].Household != "1-1-102" || promoted[1].Household != "1-1-103" {
		t.Fatalf("promoted %+v (%v), want 1-1-102 then 1-1-103", promoted, err)
	}
	if err := st.CancelEvent(ctx, "c1", ev.No, "下雨", now); err != nil {
		t.Fatal(err)
	}
	if err := st.CancelEvent(ctx, "c1", ev.No, "下雨", now); !errors.Is(err, guanjia.ErrConflict) {
		t.Fatalf("called off twice: %v, want ErrConflict", err)
	}
	if got, err := st.Event(ctx, "c1", ev.No); err != nil || got.Cancelled != "下雨" {
		t.Fatalf("event = %+v, %v", got, err)
	}
}
