package redisstate_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/storage/embedded"
	"github.com/guanjia/guanjia/storage/redisstate"
)

// realRedisAddr is the server CI provides; these tests prove behaviour against it.
const realRedisAddr = "127.0.0.1:6379"

func TestSessionContractRealRedis(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: realRedisAddr})
	t.Cleanup(func() { rdb.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("real Redis at %s is required for this test (start redis-server): %v", realRedisAddr, err)
	}
	runContract(t, rdb)
}

func TestSessionContractEmbeddedRedis(t *testing.T) {
	emb, err := embedded.StartRedis(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := emb.Close(); err != nil {
			t.Error(err)
		}
	})
	opts, err := redis.ParseURL(emb.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	runContract(t, rdb)
}

// clock is an injected clock tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// uniquePrefix keeps tests apart on a shared Redis and removes their keys afterwards.
func uniquePrefix(t *testing.T, rdb *redis.Client) string {
	t.Helper()
	b := make([]byte, 4)
	rand.Read(b)
	prefix := "test:" + t.Name() + ":" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		keys, err := rdb.Keys(ctx, prefix+"*").Result()
		if err != nil {
			t.Errorf("cleanup %s: %v", prefix, err)
			return
		}
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return prefix
}

// runContract is the behaviour every session and dedupe store on Redis must show.
func runContract(t *testing.T, rdb *redis.Client) {
	ctx := context.Background()
	key := guanjia.SessionKey{Channel: "telegram", Chat: "-100200", Person: "4711"}
	var prefix string // of the latest newStore
	newStore := func(t *testing.T, opts redisstate.Options) (*redisstate.Store, *clock) {
		c := &clock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
		prefix = uniquePrefix(t, rdb)
		opts.Prefix, opts.Now = prefix, c.Now
		return redisstate.New(rdb, opts), c
	}
	session := func(c *clock, idle time.Duration) guanjia.Session {
		return guanjia.Session{
			Key: key, Flow: "repair", Step: "askAddress",
			Data:    map[string]string{"category": "水管", "address": "3-2-501"},
			Updated: c.Now(), Expires: c.Now().Add(idle),
		}
	}

	t.Run("Ping", func(t *testing.T) {
		s, _ := newStore(t, redisstate.Options{})
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("SessionRoundTrip", func(t *testing.T) {
		s, c := newStore(t, redisstate.Options{})
		want := session(c, 10*time.Minute)
		if err := s.Save(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.Load(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Load = %+v, want %+v", got, want)
		}
	})

	t.Run("SessionAbsent", func(t *testing.T) {
		s, _ := newStore(t, redisstate.Options{})
		if _, err := s.Load(ctx, key); !errors.Is(err, guanjia.ErrNotFound) {
			t.Errorf("Load of absent session: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("SessionExpiredOnLoad", func(t *testing.T) {
		s, c := newStore(t, redisstate.Options{})
		want := session(c, 10*time.Minute)
		if err := s.Save(ctx, want); err != nil {
			t.Fatal(err)
		}
		c.Add(10 * time.Minute)
		if _, err := s.Load(ctx, key); err != nil {
			t.Fatalf("Load exactly at Expires: %v, want the session", err)
		}
		c.Add(time.Second)
		got, err := s.Load(ctx, key)
		if !errors.Is(err, guanjia.ErrExpired) {
			t.Fatalf("Load after Expires: err = %v, want ErrExpired", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Load after Expires returned %+v, want the lapsed session %+v", got, want)
		}
		if _, err := s.Load(ctx, key); !errors.Is(err, guanjia.ErrNotFound) {
			t.Errorf("second Load after expiry: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("SessionRedisTTL", func(t *testing.T) {
		s, c := newStore(t, redisstate.Options{Grace: time.Hour})
		if err := s.Save(ctx, session(c, 10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		ttl, err := rdb.TTL(ctx, prefix+"sess:"+key.String()).Result()
		if err != nil {
			t.Fatal(err)
		}
		if want := 70 * time.Minute; ttl <= 0 || ttl > want || ttl < want-30*time.Second {
			t.Errorf("Redis TTL = %v, want about %v (expiry + grace)", ttl, want)
		}
	})

	t.Run("SessionZeroExpiresRejected", func(t *testing.T) {
		s, c := newStore(t, redisstate.Options{})
		sess := session(c, 0)
		sess.Expires = time.Time{}
		if err := s.Save(ctx, sess); !errors.Is(err, guanjia.ErrInvalid) {
			t.Errorf("Save without Expires: err = %v, want ErrInvalid", err)
		}
	})

	t.Run("SessionDelete", func(t *testing.T) {
		s, c := newStore(t, redisstate.Options{})
		if err := s.Save(ctx, session(c, time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Load(ctx, key); !errors.Is(err, guanjia.ErrNotFound) {
			t.Errorf("Load after Delete: err = %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Errorf("Delete of absent session: %v, want nil", err)
		}
	})

	t.Run("Handled", func(t *testing.T) {
		s, _ := newStore(t, redisstate.Options{DedupeTTL: time.Hour})
		if got, err := s.Handled(ctx, "telegram", "upd-1"); err != nil || got {
			t.Fatalf("Handled before marking = %v, %v; want false", got, err)
		}
		if err := s.MarkHandled(ctx, "telegram", "upd-1"); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Handled(ctx, "telegram", "upd-1"); err != nil || !got {
			t.Errorf("Handled after marking = %v, %v; want true", got, err)
		}
		if got, err := s.Handled(ctx, "wechat", "upd-1"); err != nil || got {
			t.Errorf("same id on another channel = %v, %v; want false", got, err)
		}
		if _, err := s.Handled(ctx, "telegram", ""); !errors.Is(err, guanjia.ErrInvalid) {
			t.Errorf("empty message id: err = %v, want ErrInvalid", err)
		}
		if err := s.MarkHandled(ctx, "", "x"); !errors.Is(err, guanjia.ErrInvalid) {
			t.Errorf("empty channel: err = %v, want ErrInvalid", err)
		}
		// The record lapses after DedupeTTL: platforms redeliver within hours, not days.
		if ttl := rdb.TTL(ctx, prefix+"seen:telegram:upd-1").Val(); ttl <= 59*time.Minute || ttl > time.Hour {
			t.Errorf("dedupe TTL = %v, want about 1h", ttl)
		}
	})
}
