package guanjia

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestDunningStep(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	due := time.Date(2026, 12, 15, 0, 0, 0, 0, loc)
	for _, c := range []struct {
		at   time.Time
		want int
	}{
		{time.Date(2026, 12, 14, 23, 59, 0, 0, loc), -1}, // not due yet
		{time.Date(2026, 12, 15, 10, 0, 0, 0, loc), 0},   // the due date
		{time.Date(2026, 12, 21, 10, 0, 0, 0, loc), 0},
		{time.Date(2026, 12, 22, 0, 0, 0, 0, loc), 1}, // +7
		{time.Date(2026, 12, 23, 10, 0, 0, 0, loc), 1},
		{time.Date(2026, 12, 30, 10, 0, 0, 0, loc), 2},       // +15
		{time.Date(2027, 1, 14, 10, 0, 0, 0, loc), 3},        // +30
		{time.Date(2027, 6, 1, 10, 0, 0, 0, loc), 3},         // stays at the last step
		{time.Date(2026, 12, 21, 16, 30, 0, 0, time.UTC), 1}, // 00:30 on the 22nd in the office
	} {
		if got := DunningStep(DefaultDunningSteps, due, c.at, loc); got != c.want {
			t.Errorf("step at %s = %d, want %d", c.at, got, c.want)
		}
	}
}

func TestParseDunningSteps(t *testing.T) {
	got, err := ParseDunningSteps(" 0, 10 ,20,45")
	if err != nil || !slices.Equal(got, []int{0, 10, 20, 45}) {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{"", "7", "0,7,7", "0,15,7", "0,-1", "0,400", "0,a"} {
		if _, err := ParseDunningSteps(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: err = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestDunningActionHolds(t *testing.T) {
	now := time.Date(2026, 12, 23, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		a    DunningAction
		want bool
	}{
		{DunningAction{Kind: DunningPause}, true},
		{DunningAction{Kind: DunningHardship}, true},
		{DunningAction{Kind: DunningRefusal}, true},
		{DunningAction{Kind: DunningResume}, false},
		{DunningAction{Kind: DunningPromise, Until: now.Add(time.Hour)}, true},
		{DunningAction{Kind: DunningPromise, Until: now}, false}, // lapsed: the ladder goes on
		{DunningAction{Kind: DunningClaim, Until: now.Add(-time.Hour)}, false},
	} {
		if got := c.a.Holds(now); got != c.want {
			t.Errorf("%s until %s holds = %v, want %v", c.a.Kind, c.a.Until, got, c.want)
		}
	}
	a := []DunningAction{{ID: "b", Kind: DunningPause, At: now}, {ID: "a", Kind: DunningResume, At: now.Add(time.Second)}}
	if l, ok := LatestAction(a); !ok || l.Kind != DunningResume {
		t.Errorf("latest = %v, want the resume", l)
	}
}
