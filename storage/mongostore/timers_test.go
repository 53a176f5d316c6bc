package mongostore

import (
	"context"
	"fmt"
	"sync"
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
	due, err := st.DueTimers(ctx, base.Add(30*time.Minute), 10)
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
	first, err := st.DueTimers(ctx, base.Add(time.Hour), 2)
	if err != nil || len(first) != 2 || first[0].Key != "A00" || first[1].Key != "A10" {
		t.Errorf("the first two due: %v %v", first, err)
	}
	if due[0].Data["m"] != "0" || !due[0].Due.Equal(base) {
		t.Errorf("timer read back = %+v", due[0])
	}
}

func TestTimerAttemptsClaimedOnce(t *testing.T) { forEachBackend(t, testTimerAttemptsClaimedOnce) }

// testTimerAttemptsClaimedOnce has 8 callers claim the first attempts at the same 20 timers
// at once, in one batch each: every attempt goes to exactly one of them. Outcomes are kept
// (the first of two), attempts listed in order, and the cleanup keeps those of pending timers.
func testTimerAttemptsClaimedOnce(t *testing.T, st *Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 18, 0, 0, 0, shanghai)
	var batch []guanjia.TimerAttempt
	for i := range 20 {
		tm, _ := guanjia.NewTimer("renotify", fmt.Sprint("T", i), now, nil)
		if err := st.AddTimer(ctx, tm); err != nil {
			t.Fatal(err)
		}
		batch = append(batch, guanjia.TimerAttempt{ID: guanjia.TimerAttemptID(tm.ID, 1), Timer: tm.ID, Attempt: 1,
			Status: guanjia.JobRunning, Started: now})
	}
	const callers = 8
	got := make([][]bool, callers)
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			var err error
			if got[c], err = st.ClaimTimerAttempts(ctx, batch); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i := range batch {
		n := 0
		for c := range callers {
			if got[c] != nil && got[c][i] {
				n++
			}
		}
		if n != 1 {
			t.Errorf("attempt %s claimed by %d callers, want 1", batch[i].ID, n)
		}
	}
	tm := batch[0].Timer
	first := batch[0]
	first.Status, first.Finished, first.Error = guanjia.JobFailed, now.Add(time.Second), "channel down"
	again := first
	again.Error = "recorded twice"
	if err := st.FinishTimerAttempts(ctx, []guanjia.TimerAttempt{first}); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishTimerAttempts(ctx, []guanjia.TimerAttempt{again}); err != nil {
		t.Fatal(err)
	}
	second := guanjia.TimerAttempt{ID: guanjia.TimerAttemptID(tm, 2), Timer: tm, Attempt: 2, Status: guanjia.JobRunning, Started: now}
	if ok, err := st.ClaimTimerAttempts(ctx, []guanjia.TimerAttempt{second}); err != nil || !ok[0] {
		t.Fatal(ok, err)
	}
	list, err := st.TimerAttempts(ctx, tm)
	if err != nil || len(list) != 2 || list[0].Error != "channel down" || list[0].Status != guanjia.JobFailed || list[1].Status != guanjia.JobRunning {
		t.Fatalf("attempts = %+v (%v)", list, err)
	}
	// A timer done with long ago: its attempts go; the pending ones' stay.
	old, _ := guanjia.NewTimer("renotify", "OLD", now.AddDate(0, -2, 0), nil)
	done := guanjia.TimerAttempt{ID: guanjia.TimerAttemptID(old.ID, 1), Timer: old.ID, Attempt: 1, Status: guanjia.JobRunning}
	if ok, err := st.ClaimTimerAttempts(ctx, []guanjia.TimerAttempt{done}); err != nil || !ok[0] {
		t.Fatal(ok, err)
	}
	done.Status = guanjia.JobDone
	if err := st.FinishTimerAttempts(ctx, []guanjia.TimerAttempt{done}); err != nil {
		t.Fatal(err)
	}
	n, err := st.DeleteTimerAttemptsBefore(ctx, now.Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("deleted %d (%v), want the old timer's 1", n, err)
	}
	if list, _ := st.TimerAttempts(ctx, old.ID); len(list) != 0 {
		t.Errorf("the old timer's attempts are left: %+v", list)
	}
	if list, _ := st.TimerAttempts(ctx, tm); len(list) != 2 {
		t.Errorf("a pending timer lost its attempts: %d left", len(list))
	}
	if err := st.RemoveTimers(ctx, []string{tm, batch[1].Timer, "gone"}); err != nil {
		t.Fatal(err)
	}
	if pending, _ := st.PendingTimers(ctx, 0); len(pending) != 18 {
		t.Errorf("%d pending after removing 2 of 20", len(pending))
	}
}
