package embedded_test

import (
	"context"
	"fmt"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/guanjia/guanjia/storage/embedded"
)

// writeAcknowledged makes n writes of the kinds guanjia makes (a dedupe key with a TTL, a
// session, a queued reply), each acknowledged by the server before the next.
func writeAcknowledged(t *testing.T, c *redis.Client, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		s := strconv.Itoa(i)
		if err := c.SetNX(ctx, "seen:"+s, "1", 72*time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.HSet(ctx, "session:"+s, "step", "confirm", "n", s).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.RPush(ctx, "outbox", s).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// checkAll fails unless every write of writeAcknowledged(n) is there.
func checkAll(t *testing.T, c *redis.Client, n int) {
	t.Helper()
	ctx := context.Background()
	if got, err := c.LLen(ctx, "outbox").Result(); err != nil || got != int64(n) {
		t.Errorf("outbox has %d replies (%v), want all %d acknowledged", got, err, n)
	}
	last := strconv.Itoa(n - 1)
	if got, err := c.HGet(ctx, "session:"+last, "n").Result(); err != nil || got != last {
		t.Errorf("last session = %q, %v; want %q", got, err, last)
	}
	if ttl, err := c.TTL(ctx, "seen:"+last).Result(); err != nil || ttl < 71*time.Hour {
		t.Errorf("TTL of the last dedupe key = %v, %v; want about 72h", ttl, err)
	}
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); syscall.Kill(pid, 0) == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs", pid)
		}
	}
}

// TestRedisServerKill9LosesNothingAcknowledged kills redis-server under a running guanjia:
// it is started again on its append-only file, at the same address, with every
// acknowledged write.
func TestRedisServerKill9LosesNothingAcknowledged(t *testing.T) {
	r, c := startRedis(t, t.TempDir(), embedded.KindServer)
	defer r.Close()
	defer c.Close()
	writeAcknowledged(t, c, 500)
	pid := r.PID()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
	deadline := time.Now().Add(20 * time.Second)
	for c.Ping(context.Background()).Err() != nil || r.PID() == pid {
		if time.Now().After(deadline) {
			t.Fatal("redis-server was not started again")
		}
		time.Sleep(50 * time.Millisecond)
	}
	checkAll(t, c, 500)
}

// TestRedisServerKilledWithGuanjiaStartsOnItsFile: guanjia and its redis-server both
// killed; the next start serves every acknowledged write.
func TestRedisServerKilledWithGuanjiaStartsOnItsFile(t *testing.T) {
	dir := t.TempDir()
	r, c := startRedis(t, dir, embedded.KindServer)
	writeAcknowledged(t, c, 500)
	c.Close()
	r.Abandon()
	pid := r.PID()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)

	r2, c2 := startRedis(t, dir, embedded.KindServer)
	defer r2.Close()
	defer c2.Close()
	if r2.PID() == pid {
		t.Fatal("the killed server was taken for a running one")
	}
	checkAll(t, c2, 500)
}

// TestRedisServerLeftRunningIsTakenOver is guanjia killed with kill -9: its redis-server
// child lives on, and the next start uses it rather than starting a second server on the
// same append-only file.
func TestRedisServerLeftRunningIsTakenOver(t *testing.T) {
	dir := t.TempDir()
	r, c := startRedis(t, dir, embedded.KindServer)
	writeAcknowledged(t, c, 200)
	c.Close()
	r.Abandon() // guanjia "died"; its server runs on

	r2, err := embedded.OpenRedis(dir, embedded.RedisOptions{Fsync: "always"})
	if err != nil {
		t.Fatal(err)
	}
	if r2.PID() != r.PID() {
		t.Errorf("started redis-server %d beside the running %d", r2.PID(), r.PID())
	}
	opts, _ := redis.ParseURL(r2.URL())
	c2 := redis.NewClient(opts)
	checkAll(t, c2, 200)
	if got, err := c2.ConfigGet(context.Background(), "appendfsync").Result(); err != nil || got["appendfsync"] != "always" {
		t.Errorf("appendfsync of the server taken over = %v, %v; want always, as asked now", got, err)
	}
	c2.Close()
	if err := r2.Close(); err != nil {
		t.Fatal(err)
	}
	waitGone(t, r.PID())
}

// BenchmarkEmbeddedRedisUpdates is the Redis work of one handled update (dedupe key,
// session, queued reply and its removal) on a database of 100,000 keys, 4 × GOMAXPROCS at
// once; 1e9 / ns/op is updates a second.
func BenchmarkEmbeddedRedisUpdates(b *testing.B) {
	for _, o := range []struct{ name, server, fsync string }{
		{"redis-server-everysec", "", "everysec"},
		{"redis-server-always", "", "always"},
		{"in-process", embedded.KindInProcess, ""},
	} {
		b.Run(o.name, func(b *testing.B) {
			r, err := embedded.OpenRedis(b.TempDir(), embedded.RedisOptions{Server: o.server, Fsync: o.fsync})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			opts, _ := redis.ParseURL(r.URL())
			c := redis.NewClient(opts)
			defer c.Close()
			ctx := context.Background()
			for i := 0; i < 100_000; i += 1000 {
				p := c.Pipeline()
				for j := i; j < i+1000; j++ {
					p.Set(ctx, fmt.Sprintf("seen:%d", j), "1", 72*time.Hour)
				}
				if _, err := p.Exec(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.SetParallelism(4) // 4 × GOMAXPROCS handlers at once
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					k := strconv.FormatInt(time.Now().UnixNano(), 36)
					if err := c.SetNX(ctx, "seen:u"+k, "1", 72*time.Hour).Err(); err != nil {
						b.Error(err)
						return
					}
					if err := c.Set(ctx, "session:"+k, "step", 30*time.Minute).Err(); err != nil {
						b.Error(err)
						return
					}
					if err := c.RPush(ctx, "outbox:"+k, "reply").Err(); err != nil {
						b.Error(err)
						return
					}
					if err := c.LPop(ctx, "outbox:"+k).Err(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
