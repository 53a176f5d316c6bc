package mongostore

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
)

func TestBindingCodes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
		code, err := s.IssueCode(ctx, "p-zhangsan", now, time.Hour)
		if err != nil || len(code) != 6 {
			t.Fatalf("IssueCode = %q, %v", code, err)
		}
		if _, err := s.UseCode(ctx, "000000", now); !errors.Is(err, guanjia.ErrNotFound) {
			t.Errorf("unknown code: %v", err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		winners := 0
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := s.UseCode(ctx, code, now.Add(time.Minute))
				if err == nil && p == "p-zhangsan" {
					mu.Lock()
					winners++
					mu.Unlock()
				} else if !errors.Is(err, guanjia.ErrNotFound) {
					t.Errorf("UseCode: %v", err)
				}
			}()
		}
		wg.Wait()
		if winners != 1 {
			t.Errorf("%d of 10 racing uses succeeded, want 1", winners)
		}
		late, err := s.IssueCode(ctx, "p-lisi", now, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UseCode(ctx, late, now.Add(2*time.Hour)); !errors.Is(err, guanjia.ErrNotFound) {
			t.Errorf("expired code: %v", err)
		}
	})
}
