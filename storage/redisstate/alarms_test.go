package redisstate_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/guanjia/guanjia/storage/redisstate/redistest"
)

func TestClaimAlarmOnceAmongMany(t *testing.T) {
	st := redistest.Store(t)
	ctx := context.Background()
	const n = 20
	var wg sync.WaitGroup
	values := make([]string, n)
	firsts := make([]bool, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, first, err := st.ClaimAlarm(ctx, "alarm:console:g1", "cand-"+string(rune('a'+i)), time.Minute)
			if err != nil {
				t.Error(err)
			}
			values[i], firsts[i] = v, first
		}()
	}
	wg.Wait()
	won := 0
	for i := range n {
		if firsts[i] {
			won++
		}
		if values[i] != values[0] {
			t.Fatalf("claim %d got %q, claim 0 got %q: one alarm must have one name", i, values[i], values[0])
		}
	}
	if won != 1 {
		t.Fatalf("%d claims raised the alarm, want 1", won)
	}
	if err := st.ClearAlarm(ctx, "alarm:console:g1"); err != nil {
		t.Fatal(err)
	}
	v, first, err := st.ClaimAlarm(ctx, "alarm:console:g1", "fresh", time.Minute)
	if err != nil || !first || v != "fresh" {
		t.Fatalf("after clearing: %q, %v, %v; want a new alarm", v, first, err)
	}
}
