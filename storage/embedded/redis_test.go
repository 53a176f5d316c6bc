package embedded_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/guanjia/guanjia/storage/embedded"
)

// kinds are both embedded Redis kinds; redis-server is on the PATH of every test machine.
var kinds = []string{embedded.KindServer, embedded.KindInProcess}

// startRedis starts an embedded Redis of kind in dir and a client for it; the caller closes
// both.
func startRedis(t *testing.T, dir, kind string) (*embedded.Redis, *redis.Client) {
	t.Helper()
	server := kind
	if kind == embedded.KindServer {
		server = ""
	}
	r, err := embedded.OpenRedis(dir, embedded.RedisOptions{Server: server})
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind() != kind {
		t.Fatalf("embedded Redis is %s, want %s", r.Kind(), kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	opts, err := redis.ParseURL(r.URL())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := opts.Addr, r.Addr(); got != want {
		t.Errorf("URL %q names %q, Addr is %q", r.URL(), got, want)
	}
	return r, redis.NewClient(opts)
}

func TestRedisDataSurvivesRestart(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) { testDataSurvivesRestart(t, kind) })
	}
}

func testDataSurvivesRestart(t *testing.T, kind string) {
	ctx := context.Background()
	dir := t.TempDir()
	r, c := startRedis(t, dir, kind)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	binary := string([]byte{0xff, 0x00, 0xfe, 'x'})
	must(c.Set(ctx, "str", "你好", 0).Err())
	must(c.Set(ctx, "bin", binary, 0).Err())
	must(c.HSet(ctx, "hash", "a", "1", "b", "2").Err())
	must(c.RPush(ctx, "list", "first", "second", "third").Err())
	must(c.SAdd(ctx, "set", "x", "y").Err())
	must(c.ZAdd(ctx, "zset", redis.Z{Score: 2.5, Member: "later"}, redis.Z{Score: -1, Member: "sooner"}).Err())
	must(c.Set(ctx, "ttl", "v", time.Hour).Err())
	must(c.Set(ctx, "short", "v", 300*time.Millisecond).Err())
	must(c.Close())
	must(r.Close())

	if kind == embedded.KindInProcess {
		if _, err := os.Stat(filepath.Join(dir, embedded.SnapshotFile)); err != nil {
			t.Fatalf("no snapshot after Close: %v", err)
		}
	}
	time.Sleep(500 * time.Millisecond) // "short" lapses while the server is down

	r, c = startRedis(t, dir, kind)
	defer r.Close()
	defer c.Close()
	check := func(what string, got, want any, err error) {
		t.Helper()
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s after restart = %#v, %v; want %#v", what, got, err, want)
		}
	}
	s, err := c.Get(ctx, "str").Result()
	check("string", s, "你好", err)
	s, err = c.Get(ctx, "bin").Result()
	check("binary string", s, binary, err)
	h, err := c.HGetAll(ctx, "hash").Result()
	check("hash", h, map[string]string{"a": "1", "b": "2"}, err)
	l, err := c.LRange(ctx, "list", 0, -1).Result()
	check("list", l, []string{"first", "second", "third"}, err)
	m, err := c.SMembers(ctx, "set").Result()
	if len(m) == 2 && m[0] > m[1] {
		m[0], m[1] = m[1], m[0]
	}
	check("set", m, []string{"x", "y"}, err)
	z, err := c.ZRangeWithScores(ctx, "zset", 0, -1).Result()
	check("zset", z, []redis.Z{{Score: -1, Member: "sooner"}, {Score: 2.5, Member: "later"}}, err)

	ttl, err := c.TTL(ctx, "ttl").Result()
	if err != nil || ttl > time.Hour || ttl < time.Hour-time.Minute {
		t.Errorf("TTL after restart = %v, %v; want about 1h", ttl, err)
	}
	if err := c.Get(ctx, "short").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("key that expired while down: err = %v, want redis.Nil", err)
	}
}

func TestRedisKeysExpireOnRealClock(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) { testKeysExpire(t, kind) })
	}
}

func testKeysExpire(t *testing.T, kind string) {
	ctx := context.Background()
	r, c := startRedis(t, t.TempDir(), kind)
	defer r.Close()
	defer c.Close()
	if err := c.Set(ctx, "lapsing", "v", time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Exists(ctx, "lapsing").Result(); err != nil || n != 1 {
		t.Fatalf("Exists right after SET = %d, %v; want 1", n, err)
	}
	// The in-process Redis ages TTLs once a second; a busy machine may run that tick late.
	time.Sleep(2500 * time.Millisecond)
	if n, err := c.Exists(ctx, "lapsing").Result(); err != nil || n != 0 {
		t.Errorf("Exists 2.5s after SET EX 1 = %d, %v; want 0 (TTLs must follow the clock)", n, err)
	}
}

func TestRedisSnapshotCorruptIsAnError(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, embedded.SnapshotFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r, err := embedded.OpenRedis(dir, embedded.RedisOptions{Server: embedded.KindInProcess}); err == nil {
		r.Close()
		t.Fatal("StartRedis with a corrupt snapshot succeeded; want an error rather than lost data")
	}
}

func TestRedisCloseTwice(t *testing.T) {
	for _, kind := range kinds {
		r, c := startRedis(t, t.TempDir(), kind)
		c.Close()
		if err := r.Close(); err != nil {
			t.Fatal(kind, err)
		}
		if err := r.Close(); err != nil {
			t.Errorf("%s: second Close = %v, want nil", kind, err)
		}
	}
}
