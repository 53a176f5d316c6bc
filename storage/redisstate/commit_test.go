package redisstate_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/storage/embedded"
	"github.com/guanjia/guanjia/storage/redisstate"
	"github.com/guanjia/guanjia/storage/redisstate/redistest"
)

func TestOutboxCommitRealRedis(t *testing.T) { testOutboxCommit(t, redistest.Store(t)) }

func TestOutboxCommitEmbeddedRedis(t *testing.T) {
	emb, err := embedded.StartRedis(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emb.Close() })
	opts, err := redis.ParseURL(emb.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	testOutboxCommit(t, redisstate.New(rdb, redisstate.Options{}))
}

// testOutboxCommit commits a handled message: its replies are queued, its conversations saved
// and ended, and the message marked handled, together; committing it again changes nothing.
func testOutboxCommit(t *testing.T, st *redisstate.Store) {
	ctx := context.Background()
	ended := guanjia.SessionKey{Channel: "telegram", Chat: "1", Person: "1"}
	kept := guanjia.SessionKey{Channel: "telegram", Chat: "2", Person: "2"}
	if err := st.Save(ctx, guanjia.Session{Key: ended, Flow: "repair", Step: "confirm", Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	next := &guanjia.Session{Key: kept, Flow: "followup", Step: "fixed", Expires: time.Now().Add(time.Hour)}
	envs := []*guanjia.Envelope{
		{ID: "a", Channel: "telegram", Chat: "1", Body: []byte(`{"text":"报修已提交"}`)},
		{ID: "b", Channel: "wechat", Chat: "g", Group: true, Body: []byte(`{"text":"【新报修】"}`)},
	}
	sessions := map[guanjia.SessionKey]*guanjia.Session{ended: nil, kept: next}
	if err := st.OutboxCommit(ctx, envs, sessions, "telegram", "77"); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if _, err := st.Load(ctx, ended); !errors.Is(err, guanjia.ErrNotFound) {
		t.Errorf("ended conversation: %v, want not found", err)
	}
	if got, err := st.Load(ctx, kept); err != nil || got.Step != "fixed" {
		t.Errorf("saved conversation: %+v, %v", got, err)
	}
	if handled, err := st.Handled(ctx, "telegram", "77"); err != nil || !handled {
		t.Errorf("handled = %v, %v; want true", handled, err)
	}
	for _, ch := range []string{"telegram", "wechat"} {
		if got, err := st.OutboxPeek(ctx, ch, 10); err != nil || len(got) != 1 {
			t.Errorf("%s queue: %d, %v; want 1 message", ch, len(got), err)
		}
	}
	again := []*guanjia.Envelope{{ID: "c", Channel: "telegram", Chat: "1", Body: []byte(`{}`)}}
	err := st.OutboxCommit(ctx, again, map[guanjia.SessionKey]*guanjia.Session{ended: next}, "telegram", "77")
	if !errors.Is(err, guanjia.ErrConflict) {
		t.Errorf("second commit of the message: %v, want a conflict", err)
	}
	if got, _ := st.OutboxPeek(ctx, "telegram", 10); len(got) != 1 {
		t.Errorf("telegram queue after the second commit: %d messages, want 1", len(got))
	}
	if _, err := st.Load(ctx, ended); !errors.Is(err, guanjia.ErrNotFound) {
		t.Errorf("second commit touched the conversation: %v", err)
	}
}

// TestNextSeq takes numbers in one step each, seeds a sequence Redis does not have from the
// records, and raises one that is behind them.
func TestNextSeq(t *testing.T) {
	st := redistest.Store(t)
	ctx := context.Background()
	floors := 0
	floor := func(context.Context) (int64, error) { floors++; return 41, nil }
	for want := int64(42); want <= 44; want++ {
		if n, err := st.NextSeq(ctx, "ticket/c1/R20261126", floor); err != nil || n != want {
			t.Fatalf("next = %d, %v; want %d", n, err, want)
		}
	}
	if floors != 1 {
		t.Errorf("records read %d times, want once (for the seed)", floors)
	}
	if n, err := st.RaiseSeq(ctx, "ticket/c1/R20261126", 100); err != nil || n != 101 {
		t.Errorf("raised = %d, %v; want 101", n, err)
	}
	if n, err := st.RaiseSeq(ctx, "ticket/c1/R20261126", 5); err != nil || n != 102 {
		t.Errorf("a lower floor = %d, %v; want 102 (never back)", n, err)
	}
}

// TestPacingScriptsEmbeddedRedis runs the pacing and claim scripts on the in-process Redis
// the zero-setup default uses: a private chat's burst of three, then a wait of about a second.
func TestPacingScriptsEmbeddedRedis(t *testing.T) {
	emb, err := embedded.StartRedis(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emb.Close() })
	opts, err := redis.ParseURL(emb.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	st := redisstate.New(rdb, redisstate.Options{})
	ctx := context.Background()
	rule := []guanjia.RateKey{{Key: "telegram:chat:42", Rate: guanjia.Rate{Max: 3, Window: 3 * time.Second}, Bucket: true}}
	for i := range 3 {
		if w, _, err := st.RateAcquire(ctx, rule); err != nil || w != 0 {
			t.Fatalf("message %d of the burst waits %v, %v", i+1, w, err)
		}
	}
	w, full, err := st.RateAcquire(ctx, rule)
	if err != nil || full != 0 || w < 500*time.Millisecond || w > 1100*time.Millisecond {
		t.Errorf("4th message: wait %v (rule %d), %v; want about a second", w, full, err)
	}
	env := &guanjia.Envelope{ID: "x", Channel: "telegram", Chat: "42", Body: []byte(`{}`)}
	if err := st.OutboxPush(ctx, env); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := st.OutboxClaim(ctx, "telegram", "x", time.Second); !ok || err != nil {
		t.Fatalf("claim: %v, %v", ok, err)
	}
	if err := st.OutboxRenew(ctx, "telegram", "x", time.Minute); err != nil {
		t.Errorf("renew: %v", err)
	}
}
