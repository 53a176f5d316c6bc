package redisstate_test

import (
	"context"
	"testing"
	"time"
)

// TestTriesPeeksWithoutCounting: Tries reads what CountAttempt counted and adds nothing, and
// reads 0 for a key never counted.
func TestTriesPeeksWithoutCounting(t *testing.T) {
	ctx := context.Background()
	s, _, _ := inboundStore(t)
	if n, err := s.Tries(ctx, "bindfail:name:张三"); err != nil || n != 0 {
		t.Fatalf("Tries of nothing = %d, %v; want 0", n, err)
	}
	for range 3 {
		if _, err := s.CountAttempt(ctx, "bindfail:name:张三", time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if n, err := s.Tries(ctx, "bindfail:name:张三"); err != nil || n != 3 {
			t.Fatalf("Tries = %d, %v; want 3", n, err)
		}
	}
	if n, _ := s.CountAttempt(ctx, "bindfail:name:张三", time.Hour); n != 4 {
		t.Errorf("CountAttempt after peeking = %d, want 4", n)
	}
}
