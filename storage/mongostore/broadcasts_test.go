package mongostore

import (
	"context"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/storage/redisstate/redistest"
)

// A broadcast confirmed twice (the same submission) is one record; an event with one id is
// recorded once (a household acknowledging twice counts once); lists go back as far as asked.
func TestBroadcastsOnceAndEventsUnique(t *testing.T) {
	st := openTestStore(t, ferretURI)
	st.SetSequencer(redistest.Store(t))
	ctx := context.Background()
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	b := guanjia.Broadcast{Community: "c1", Emergency: true, Kind: "elevator", Buildings: []int{3}, Text: "电梯困人",
		Submission: "sub-1", Created: at, At: at}
	first := b
	if err := st.CreateBroadcast(ctx, &first); err != nil || first.No == "" || first.No[0] != 'E' {
		t.Fatalf("create: %q, %v", first.No, err)
	}
	again := b
	if err := st.CreateBroadcast(ctx, &again); err != nil || again.No != first.No {
		t.Fatalf("the same submission again made %q (first %q), %v", again.No, first.No, err)
	}
	notice := guanjia.Broadcast{Community: "c1", Kind: "water", Text: "停水", Submission: "sub-2", Created: at.Add(-30 * 24 * time.Hour)}
	if err := st.CreateBroadcast(ctx, &notice); err != nil || notice.No[0] != 'N' {
		t.Fatalf("notice: %q, %v", notice.No, err)
	}
	ev := guanjia.BroadcastEvent{ID: guanjia.BroadcastEventID("c1", first.No, guanjia.BcastAck, "3-1-1201"), Community: "c1",
		No: first.No, Action: guanjia.BcastAck, At: at, Household: "3-1-1201", Building: 3}
	for i, want := range []bool{true, false} {
		isNew, err := st.AddBroadcastEvent(ctx, ev)
		if err != nil || isNew != want {
			t.Fatalf("ack %d: new %v, %v; want %v", i, isNew, err, want)
		}
	}
	evs, err := st.BroadcastEvents(ctx, "c1", first.No)
	if err != nil || len(evs) != 1 {
		t.Fatalf("events: %d, %v", len(evs), err)
	}
	all, err := st.Broadcasts(ctx, "c1", time.Time{})
	if err != nil || len(all) != 2 || all[0].No != first.No {
		t.Fatalf("all broadcasts: %v, %v", all, err)
	}
	recent, err := st.Broadcasts(ctx, "c1", at.Add(-7*24*time.Hour))
	if err != nil || len(recent) != 1 || recent[0].No != first.No {
		t.Fatalf("last week's broadcasts: %v, %v", recent, err)
	}
	if _, err := st.Broadcast(ctx, "c1", "E20990101-0001"); err == nil {
		t.Error("an unknown broadcast was found")
	}
}
