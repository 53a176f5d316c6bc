package guanjia

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// Due times that make no sense are refused, each with the setting it comes from.
func TestDueTimesProblems(t *testing.T) {
	if p := DefaultDueTimes().Problems(); len(p) != 0 {
		t.Fatalf("defaults refused: %q", p)
	}
	d := DefaultDueTimes()
	d.Accept, d.Resolve = 0, -time.Hour
	d.ResolveByCategory = map[string]time.Duration{"elevator": -time.Minute}
	got := strings.Join(d.Problems(), "\n")
	for _, want := range []string{"sla accept must be more than 0", "sla resolve must be more than 0",
		"resolve_by_category elevator"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems %q lack %q", got, want)
		}
	}
	d = DefaultDueTimes()
	d.AcceptUrgent = time.Hour
	if p := d.Problems(); len(p) != 1 || !strings.Contains(p[0], "accept_urgent") {
		t.Errorf("urgent longer than normal: %q", p)
	}
}

// A ticket's stage and due time follow its status and kind.
func TestStageOf(t *testing.T) {
	d := DefaultDueTimes()
	d.ResolveByCategory = map[string]time.Duration{"elevator": 2 * time.Hour}
	cases := []struct {
		tk    Ticket
		stage Stage
		span  time.Duration
	}{
		{Ticket{Kind: KindRepair, Status: StatusSubmitted}, StageAccept, 15 * time.Minute},
		{Ticket{Kind: KindRepair, Status: StatusSubmitted, Urgency: UrgencyUrgent}, StageAccept, 5 * time.Minute},
		{Ticket{Kind: KindRepair, Status: StatusAssigned}, StageResolve, 48 * time.Hour},
		{Ticket{Kind: KindRepair, Status: StatusAssigned, Category: "elevator"}, StageResolve, 2 * time.Hour},
		{Ticket{Kind: KindHazard, Status: StatusReopened}, StageAccept, 15 * time.Minute},
		{Ticket{Kind: KindComplaint, Status: StatusAccepted}, StageReply, 24 * time.Hour},
		{Ticket{Kind: KindComplaint, Status: StatusInProgress, Timeline: []Event{{Action: ActReply}}}, StageNone, 0},
		{Ticket{Kind: KindRepair, Status: StatusResolved}, StageNone, 0},
	}
	for _, c := range cases {
		s := StageOf(c.tk)
		if s != c.stage || d.For(c.tk, s) != c.span {
			t.Errorf("%s %s %s: stage %q for %s, want %q for %s", c.tk.Kind, c.tk.Status, c.tk.Category, s, d.For(c.tk, s), c.stage, c.span)
		}
	}
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	open := Ticket{Kind: KindRepair, Status: StatusSubmitted, DueAt: now}
	if !Overdue(open, now) || Overdue(open, now.Add(-time.Second)) {
		t.Error("overdue from its due time on")
	}
	if done := (Ticket{Kind: KindRepair, Status: StatusClosed, DueAt: now}); Overdue(done, now.Add(time.Hour)) {
		t.Error("a closed ticket is never overdue")
	}
}

func TestParseShiftStart(t *testing.T) {
	for in, want := range map[string]int{"": 510, "08:30": 510, "20:30": 1230, "00:00": 0, "23:59": 1439} {
		if got, err := ParseShiftStart(in); err != nil || got != want {
			t.Errorf("ParseShiftStart(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	var bad []string
	for _, in := range []string{"24:00", "8:30", "08:60", "noon", "-1:00"} {
		if _, err := ParseShiftStart(in); err == nil {
			bad = append(bad, in)
		}
	}
	if !slices.Equal(bad, nil) {
		t.Errorf("taken as shift starts: %q", bad)
	}
}
