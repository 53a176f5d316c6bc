package embedded

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestRedisSnapshotWhileWriting guards the reason snapshots go through a script: reading
// miniredis's live list and sorted-set values while clients write them is a data race
// (run with -race), and a concurrent map write is a crash.
func TestRedisSnapshotWhileWriting(t *testing.T) {
	r, err := StartRedis(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c := redis.NewClient(&redis.Options{Addr: r.Addr()})
	defer c.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 300 {
			s := strconv.Itoa(i)
			c.ZAdd(ctx, "zset", redis.Z{Score: float64(i), Member: s})
			c.RPush(ctx, "list", s)
			c.LInsert(ctx, "list", "before", "0", "x"+s)
			c.LSet(ctx, "list", 0, "y"+s)
		}
	}()
	for range 30 {
		if err := r.save(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}
