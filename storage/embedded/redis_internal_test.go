package embedded

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestRedisSnapshotWhileWriting guards the reason snapshots read lists and sorted sets
// through MULTI/EXEC: reading miniredis's live list and sorted-set values while clients
// write them is a data race (run with -race), and a concurrent map write is a crash.
func TestRedisSnapshotWhileWriting(t *testing.T) {
	r, err := startInProcess(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	c := redis.NewClient(&redis.Options{Addr: r.mr.Addr(), Password: r.password})
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

// TestInProcessRedisScalesTo100kKeys: with 100,000 keys (a busy office's dedupe keys, each
// living 3 days) commands stay cheap, keys still expire, and a snapshot takes seconds and
// restores every key with its TTL. miniredis's ClockTTL aged every key on every command,
// which made both commands and snapshots grow with the square of the keys.
func TestInProcessRedisScalesTo100kKeys(t *testing.T) {
	const n = 100_000
	dir := t.TempDir()
	r, err := startInProcess(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		k := "seen:" + strconv.Itoa(i)
		r.mr.Set(k, "1")
		r.mr.SetTTL(k, 72*time.Hour)
	}
	c := redis.NewClient(&redis.Options{Addr: r.mr.Addr(), Password: r.password})
	ctx := context.Background()
	start := time.Now()
	for i := range 1000 {
		if err := c.Set(ctx, "session:"+strconv.Itoa(i), "x", time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("1,000 SETs on 100,000 keys took %v; want well under 5s", d)
	}
	if err := c.Set(ctx, "lapsing", "v", time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond)
	if got, err := c.Exists(ctx, "lapsing").Result(); err != nil || got != 0 {
		t.Errorf("a key with a 1s TTL still exists 2.5s later (%d, %v)", got, err)
	}
	start = time.Now()
	if err := r.save(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("snapshot of %d keys took %v; want seconds", n, d)
	}
	c.Close()
	if err := r.close(); err != nil {
		t.Fatal(err)
	}
	r, err = startInProcess(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	if got := len(r.mr.Keys()); got != n+1000 {
		t.Errorf("restored %d keys, want %d", got, n+1000)
	}
	if ttl := r.mr.TTL("seen:99999"); ttl < 71*time.Hour || ttl > 72*time.Hour {
		t.Errorf("restored TTL = %v, want about 72h", ttl)
	}
}
