package main

import (
	"context"
	"testing"
	"time"
)

// drain waits until the console's outbound queue has sent everything queued, so that what an
// admin command (a job run by hand) queued shows where it was run.
func (ta *testApp) drain(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		n, err := ta.State.OutboxLen(ctx, ta.con.Name())
		if err != nil {
			t.Fatalf("outbox len: %v", err)
		}
		if n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the outbound queue did not drain")
}
