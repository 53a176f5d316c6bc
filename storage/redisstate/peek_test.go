package redisstate_test

import (
	"context"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/storage/redisstate"
	"github.com/guanjia/guanjia/storage/redisstate/redistest"
)

// A message is read from Redis once by a dispatcher's peeks, yet the claim hands over the
// message as stored: a retry recorded by another instance meanwhile (its attempt count, its
// error) is what the sender sees, so that the attempts still run out.
func TestOutboxClaimReturnsStoredMessage(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	one := redisstate.New(rdb, redisstate.Options{Prefix: prefix})
	two := redisstate.New(rdb, redisstate.Options{Prefix: prefix})
	env := &guanjia.Envelope{ID: "m1", Channel: "telegram", Chat: "42", Body: []byte(`{"text":"您好"}`)}
	if err := one.OutboxPush(ctx, env); err != nil {
		t.Fatal(err)
	}
	if peeked, err := one.OutboxPeek(ctx, "telegram", 10); err != nil || len(peeked) != 1 || peeked[0].Attempts != 0 {
		t.Fatalf("first peek: %+v, %v", peeked, err)
	}
	// The other instance sends it, fails and puts it back.
	got, ok, err := two.OutboxClaim(ctx, "telegram", "m1", time.Minute)
	if err != nil || !ok {
		t.Fatalf("claim by the other instance: %v, %v", ok, err)
	}
	got.Attempts, got.LastError = 1, "timeout"
	if err := two.OutboxRetry(ctx, got); err != nil {
		t.Fatal(err)
	}
	if peeked, err := one.OutboxPeek(ctx, "telegram", 10); err != nil || len(peeked) != 1 {
		t.Fatalf("peek after the retry: %+v, %v", peeked, err)
	}
	claimed, ok, err := one.OutboxClaim(ctx, "telegram", "m1", time.Minute)
	if err != nil || !ok {
		t.Fatalf("claim: %v, %v", ok, err)
	}
	if claimed.Attempts != 1 || claimed.LastError != "timeout" || string(claimed.Body) != `{"text":"您好"}` || claimed.Chat != "42" {
		t.Errorf("claimed %+v; want the stored message with 1 attempt", claimed)
	}
	if _, ok, err := two.OutboxClaim(ctx, "telegram", "m1", time.Minute); ok || err != nil {
		t.Errorf("second claim: %v, %v; want false", ok, err)
	}
	if err := one.OutboxAck(ctx, "telegram", "m1"); err != nil {
		t.Fatal(err)
	}
	if peeked, err := two.OutboxPeek(ctx, "telegram", 10); err != nil || len(peeked) != 0 {
		t.Errorf("peek after the ack: %+v, %v; want nothing", peeked, err)
	}
}

// A stamp changes on every Restamp, to a value never seen before, and reads the same from
// every client until then.
func TestStamps(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	one := redisstate.New(rdb, redisstate.Options{Prefix: prefix})
	two := redisstate.New(rdb, redisstate.Options{Prefix: prefix})
	if s, err := one.Stamp(ctx, "directory/x"); err != nil || s != "" {
		t.Fatalf("unset stamp: %q, %v", s, err)
	}
	seen := map[string]bool{"": true}
	for range 5 {
		if err := two.Restamp(ctx, "directory/x"); err != nil {
			t.Fatal(err)
		}
		a, err := one.Stamp(ctx, "directory/x")
		if err != nil || seen[a] {
			t.Fatalf("stamp %q after a restamp (%v): not new", a, err)
		}
		if b, _ := two.Stamp(ctx, "directory/x"); b != a {
			t.Errorf("stamps differ between clients: %q, %q", a, b)
		}
		seen[a] = true
	}
	if s, _ := one.Stamp(ctx, "directory/y"); s != "" {
		t.Errorf("another name's stamp: %q, want none", s)
	}
}
