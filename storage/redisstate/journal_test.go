package redisstate_test

import (
	"context"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/guanjia/guanjia/storage/redisstate"
)

// inboundStore returns a store on the real Redis under a prefix of its own, with the client
// and the prefix for looking at the keys directly.
func inboundStore(t *testing.T) (*redisstate.Store, *redis.Client, string) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: realRedisAddr})
	t.Cleanup(func() { rdb.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("real Redis at %s is required for this test (start redis-server): %v", realRedisAddr, err)
	}
	prefix := uniquePrefix(t, rdb)
	return redisstate.New(rdb, redisstate.Options{Prefix: prefix}), rdb, prefix
}

func TestJournal(t *testing.T) {
	ctx := context.Background()
	s, _, _ := inboundStore(t)

	if got, err := s.JournalPending(ctx, "telegram"); err != nil || len(got) != 0 {
		t.Fatalf("empty journal: %v, %v", got, err)
	}
	// Out of order on purpose: update ids are not always increasing.
	for _, id := range []int64{42, 7, 1000} {
		if err := s.JournalAppend(ctx, "telegram", id, []byte(`{"update_id":`+strconv.FormatInt(id, 10)+`}`)); err != nil {
			t.Fatal(err)
		}
	}
	// A redelivered update replaces its entry instead of adding one.
	if err := s.JournalAppend(ctx, "telegram", 42, []byte(`{"update_id":42,"again":true}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.JournalAppend(ctx, "wechat", 42, []byte(`other`)); err != nil {
		t.Fatal(err)
	}
	if err := s.JournalRemove(ctx, "telegram", 1000); err != nil {
		t.Fatal(err)
	}
	if err := s.JournalRemove(ctx, "telegram", 1000); err != nil {
		t.Errorf("removing twice: %v", err)
	}
	got, err := s.JournalPending(ctx, "telegram")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64][]byte{7: []byte(`{"update_id":7}`), 42: []byte(`{"update_id":42,"again":true}`)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pending = %v, want %v", got, want)
	}
}

func TestJournalOffset(t *testing.T) {
	ctx := context.Background()
	s, _, _ := inboundStore(t)
	if got, err := s.Offset(ctx, "telegram"); err != nil || got != 0 {
		t.Fatalf("offset before any save = %d, %v; want 0", got, err)
	}
	for _, off := range []int64{101, 57} {
		if err := s.SaveOffset(ctx, "telegram", off); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Offset(ctx, "telegram"); err != nil || got != off {
			t.Errorf("offset = %d, %v; want %d", got, err, off)
		}
	}
	if got, err := s.Offset(ctx, "wechat"); err != nil || got != 0 {
		t.Errorf("other channel's offset = %d, %v; want 0", got, err)
	}
}
