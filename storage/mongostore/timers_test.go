package mongostore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
)

func TestTimersDueInOrder(t *testing.T) { forEachBackend(t, testTimersDueInOrder) }

// testTimersDueInOrder lists due timers by their ids alone: soonest first, none due later
// than asked, page after page; adding a timer twice keeps one.
func testTimersDueInOrder(t *testing.T, st *Store) {
	ctx := context.Background()
	base := time.Date(2026, 11, 27, 18, 0, 0, 0, shanghai)
	// Added out of order, some in another zone: ids sort by the instant.
	for _, m := range []int{30, 0, 10, 20, 40} {
		due := base.Add(time.Duration(m) * time.Minute)
		if m == 20 {
			due = due.UTC()
		}
		tm, err := guanjia.NewTimer("announce", fmt.Sprintf("A%02d", m), due, map[string]string{"m": fmt.Sprint(m)})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := st.AddTimer(ctx, tm); err != nil {
				t.Fatal(err)
			}
		}
	}
	all, err := st.PendingTimers(ctx, 0)
	if err != nil || len(all) != 5 {
		t.Fatalf("pending: %d (%v), want 5", len(all), err)
	}
	due, err := st.DueTimers(ctx, base.Add(30*time.Minute), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, d := range due {
		keys = append(keys, d.Key)
	}
	if fmt.Sprint(keys) != "[A00 A10 A20 A30]" {
		t.Errorf("due by 18:30 = %v, want [A00 A10 A20 A30] (18:30 itself included, 18:40 not)", keys)
	}
	page, err := st.DueTimers(ctx, base.Add(time.Hour), due[1].ID, 2)
	if err != nil || len(page) != 2 || page[0].Key != "A20" || page[1].Key != "A30" {
		t.Errorf("page after A10: %v %v", page, err)
	}
	if due[0].Data["m"] != "0" || !due[0].Due.Equal(base) {
		t.Errorf("timer read back = %+v", due[0])
	}
}

func TestTimerAttemptClaimedOnce(t *testing.T) { forEachBackend(t, testTimerAttemptClaimedOnce) }

// testTimerAttemptClaimedOnce has 10 callers claim the first attempt at a timer at once: one
// gets it. Attempts are listed in order, and the cleanup keeps those of pending timers.
func testTimerAttemptClaimedOnce(t *testing.T, st *Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 18, 0, 0, 0, shanghai)
	tm, _ := guanjia.NewTimer("renotify", "T1", now, nil)
	if err := st.AddTimer(ctx, tm); err != nil {
		t.Fatal(err)
	}
	var won atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			ok, err := st.ClaimTimerAttempt(ctx, guanjia.TimerAttempt{ID: guanjia.TimerAttemptID(tm.ID, 1), Timer: tm.ID,
				Attempt: 1, Status: guanjia.JobRunning, Started: now})
			if err != nil {
				t.Error(err)
			}
			if ok {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d callers claimed attempt 1, want 1", won.Load())
	}
	first := guanjia.TimerAttempt{ID: guanjia.TimerAttemptID(tm.ID, 1), Timer: tm.ID, Attempt: 1,
		Status: guanjia.JobFailed, Started: now, Finished: now.Add(time.Second), Error: "channel down"}
	if err := st.FinishTimerAttempt(ctx, first); err != nil {
		t.Fatal(err)
	}
	second := guanjia.TimerAttempt{ID: guanjia.TimerAttemptID(tm.ID, 2), Timer: tm.ID, Attempt: 2, Status: guanjia.JobRunning, Started: now}
	if ok, err := st.ClaimTimerAttempt(ctx, second); !ok || err != nil {
		t.Fatal(ok, err)
	}
	list, err := st.TimerAttempts(ctx, tm.ID)
	if err != nil || len(list) != 2 || list[0].Error != "channel down" || list[1].Status != guanjia.JobRunning {
		t.Fatalf("attempts = %+v (%v)", list, err)
	}
	// A timer done with long ago: its attempts go; the pending one's stay.
	old, _ := guanjia.NewTimer("renotify", "OLD", now.AddDate(0, -2, 0), nil)
	done := guanjia.TimerAttempt{ID: guanjia.TimerAttemptID(old.ID, 1), Timer: old.ID, Attempt: 1, Status: guanjia.JobDone}
	if ok, err := st.ClaimTimerAttempt(ctx, done); !ok || err != nil {
		t.Fatal(ok, err)
	}
	n, err := st.DeleteTimerAttemptsBefore(ctx, now.Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("deleted %d (%v), want the old timer's 1", n, err)
	}
	if list, _ := st.TimerAttempts(ctx, tm.ID); len(list) != 2 {
		t.Errorf("the pending timer lost its attempts: %d left", len(list))
	}
	if err := st.RemoveTimer(ctx, tm.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Timer(ctx, tm.ID); err == nil {
		t.Errorf("removed timer still there")
	}
}
