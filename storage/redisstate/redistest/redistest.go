// Package redistest gives tests a place of their own on the real Redis that CI provides:
// behaviour that lives in Redis is proved against it, not against an imitation.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/guanjia/guanjia/storage/redisstate"
)

// Addr is where the real Redis listens (.ci/run starts one there when none answers).
const Addr = "127.0.0.1:6379"

// Client returns a client of the real Redis and a key prefix that only this test uses; the
// keys under it are removed when the test ends. A Redis that does not answer fails the test.
func Client(t testing.TB) (*redis.Client, string) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: Addr})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		t.Fatalf("real Redis at %s is required for this test (start redis-server): %v", Addr, err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	prefix := "test:" + strings.ReplaceAll(t.Name(), "/", ":") + ":" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		if keys, err := rdb.Keys(ctx, prefix+"*").Result(); err == nil && len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
		rdb.Close()
	})
	return rdb, prefix
}

// Store returns a store on the real Redis under a prefix of the test's own.
func Store(t testing.TB) *redisstate.Store {
	t.Helper()
	rdb, prefix := Client(t)
	return redisstate.New(rdb, redisstate.Options{Prefix: prefix})
}
