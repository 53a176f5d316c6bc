package mongostore

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
)

func TestJobRunClaimedOnce(t *testing.T) { forEachBackend(t, testJobRunClaimedOnce) }

// testJobRunClaimedOnce has 10 callers claim one slot at once: one gets it, the others are
// shown its run; its outcome is kept.
func testJobRunClaimedOnce(t *testing.T, st *Store) {
	ctx := context.Background()
	slot := time.Date(2026, 12, 1, 9, 0, 0, 0, shanghai)
	id := guanjia.JobRunID("fee-notice", slot)
	if id != "fee-notice@2026-12-01T09:00+08:00" {
		t.Fatalf("run id = %s", id)
	}
	const n = 10
	claimed := make([]bool, n)
	priors := make([]guanjia.JobRun, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			run := guanjia.JobRun{ID: id, Job: "fee-notice", Slot: slot, Status: guanjia.JobRunning,
				Trigger: guanjia.TriggerSchedule, Started: slot, Instance: string(rune('a' + i))}
			var err error
			if priors[i], claimed[i], err = st.ClaimJobRun(ctx, run); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	winner := -1
	for i, c := range claimed {
		if c {
			if winner >= 0 {
				t.Fatalf("both %d and %d claimed %s", winner, i, id)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("nobody claimed %s", id)
	}
	for i, p := range priors {
		if i != winner && p.Instance != string(rune('a'+winner)) {
			t.Errorf("caller %d was shown the run of %q, want the winner's %q", i, p.Instance, string(rune('a'+winner)))
		}
	}
	run := priors[winner]
	run.Status, run.Finished = guanjia.JobDone, slot.Add(2*time.Second)
	run.Add("sent", 3)
	if err := st.FinishJobRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	got, ok, err := st.LastJobRun(ctx, "fee-notice")
	if err != nil || !ok {
		t.Fatalf("last run: %v %v", ok, err)
	}
	if got.ID != id || got.Status != guanjia.JobDone || got.Counts["sent"] != 3 || !got.Finished.Equal(run.Finished) {
		t.Errorf("last run = %+v", got)
	}
	// A run of an earlier slot recorded later does not become the latest.
	early := guanjia.JobRun{ID: guanjia.JobRunID("fee-notice", slot.AddDate(0, -1, 0)), Job: "fee-notice",
		Slot: slot.AddDate(0, -1, 0), Status: guanjia.JobSkipped}
	if _, ok, err := st.ClaimJobRun(ctx, early); err != nil || !ok {
		t.Fatalf("claim earlier slot: %v %v", ok, err)
	}
	if got, _, _ := st.LastJobRun(ctx, "fee-notice"); got.ID != id {
		t.Errorf("last run after an earlier slot = %s, want %s", got.ID, id)
	}
	if _, ok, err := st.LastJobRun(ctx, "never"); ok || err != nil {
		t.Errorf("a job that never ran has a last run: %v %v", ok, err)
	}
}

func TestDeleteJobRunsBefore(t *testing.T) { forEachBackend(t, testDeleteJobRunsBefore) }

// testDeleteJobRunsBefore removes old runs but keeps each job's latest, however old.
func testDeleteJobRunsBefore(t *testing.T, st *Store) {
	ctx := context.Background()
	day := time.Date(2026, 11, 1, 4, 30, 0, 0, shanghai)
	claim := func(job string, slot time.Time) {
		t.Helper()
		run := guanjia.JobRun{ID: guanjia.JobRunID(job, slot), Job: job, Slot: slot, Status: guanjia.JobDone}
		if _, ok, err := st.ClaimJobRun(ctx, run); err != nil || !ok {
			t.Fatalf("claim %s: %v %v", run.ID, ok, err)
		}
	}
	for d := range 10 {
		claim("cleanup", day.AddDate(0, 0, d))
	}
	claim("yearly", day.AddDate(-1, 0, 0))
	n, err := st.DeleteJobRunsBefore(ctx, day.AddDate(0, 0, 7))
	if err != nil || n != 7 {
		t.Fatalf("deleted %d (%v), want the 7 cleanup runs before the cutoff", n, err)
	}
	left, err := st.JobRunsOf(ctx, "cleanup", 0)
	if err != nil || len(left) != 3 || !left[0].Slot.Equal(day.AddDate(0, 0, 9)) {
		t.Errorf("cleanup runs left: %d (%v), latest first", len(left), err)
	}
	if _, ok, _ := st.LastJobRun(ctx, "yearly"); !ok {
		t.Errorf("the yearly job's only run was deleted")
	}
}
