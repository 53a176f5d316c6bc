package mongostore

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/storage/redisstate/redistest"
)

type numberedDoc struct {
	ID string `bson:"_id"`
	No string `bson:"no"`
}

// Records numbered like tickets get unique numbers under concurrency, in their own sequence.
func TestInsertNumberedUnique(t *testing.T) {
	st := openTestStore(t, ferretURI)
	st.SetSequencer(redistest.Store(t))
	ctx := context.Background()
	coll := st.Collection("test_numbered")
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			no, err := st.InsertNumbered(ctx, coll, "c1", "E", at, func(no string) any {
				return numberedDoc{ID: guanjia.TicketID("c1", no), No: no}
			})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[no] {
				t.Errorf("number %s given twice", no)
			}
			seen[no] = true
		}()
	}
	wg.Wait()
	if len(seen) != 20 || !seen["E20261126-0001"] || !seen["E20261126-0020"] {
		t.Fatalf("numbers: %v", seen)
	}
	if _, err := st.InsertNumbered(ctx, coll, "c1", "R", at, func(no string) any { return nil }); err == nil {
		t.Fatal("a ticket letter must be refused")
	}
}
