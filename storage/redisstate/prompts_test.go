package redisstate_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/storage/redisstate"
)

func TestPrompts(t *testing.T) {
	ctx := context.Background()
	s, rdb, prefix := inboundStore(t)
	const ch, chat = "telegram", "-100200"

	if _, _, err := s.LoadPrompt(ctx, ch, chat, 1); !errors.Is(err, guanjia.ErrNotFound) {
		t.Fatalf("unknown prompt: err = %v, want ErrNotFound", err)
	}
	save := func(msg int, forUser, body string) {
		t.Helper()
		if err := s.SavePrompt(ctx, ch, chat, msg, forUser, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	save(10, "4711", "a")
	save(12, "4711", "b")
	save(11, "4711", "c") // recorded late: must not become the newest
	save(13, "4712", "d")
	save(14, "", "card 1")
	save(15, "", "card 2")

	tests := []struct {
		msg        int
		body       string
		wantLatest bool
	}{
		{10, "a", false},
		{11, "c", false},
		{12, "b", true},
		{13, "d", true}, // newest for another user
		{14, "card 1", false},
		{15, "card 2", true},
	}
	for _, tt := range tests {
		body, latest, err := s.LoadPrompt(ctx, ch, chat, tt.msg)
		if err != nil || string(body) != tt.body || latest != tt.wantLatest {
			t.Errorf("LoadPrompt(%d) = %q, %v, %v; want %q, %v", tt.msg, body, latest, err, tt.body, tt.wantLatest)
		}
	}
	if _, _, err := s.LoadPrompt(ctx, ch, "-100300", 12); !errors.Is(err, guanjia.ErrNotFound) {
		t.Errorf("same message id in another chat: err = %v, want ErrNotFound", err)
	}

	// Prompts lapse after a week, and so does the newest marker.
	keys, err := rdb.Keys(ctx, prefix+"prompt*").Result()
	if err != nil || len(keys) != 6+3 {
		t.Fatalf("prompt keys = %v, %v", keys, err)
	}
	for _, k := range keys {
		if ttl := rdb.TTL(ctx, k).Val(); ttl <= redisstate.PromptTTL-time.Minute || ttl > redisstate.PromptTTL {
			t.Errorf("TTL of %s = %v, want about %v", k, ttl, redisstate.PromptTTL)
		}
	}
}

func TestClaimPrompt(t *testing.T) {
	ctx := context.Background()
	s, _, _ := inboundStore(t)
	const ch, chat = "telegram", "-100200"
	if err := s.SavePrompt(ctx, ch, chat, 5, "", []byte("card")); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		msg   int
		claim string
		want  bool
	}{
		{5, "update-1", true},
		{5, "update-1", true},  // the same press replayed after a restart
		{5, "update-2", false}, // a second press
		{6, "update-3", false}, // no such prompt
	}
	for _, st := range steps {
		got, err := s.ClaimPrompt(ctx, ch, chat, st.msg, st.claim)
		if err != nil || got != st.want {
			t.Errorf("ClaimPrompt(%d, %s) = %v, %v; want %v", st.msg, st.claim, got, err, st.want)
		}
	}
	// A claimed prompt still loads: the refusal is the claim's business.
	if body, _, err := s.LoadPrompt(ctx, ch, chat, 5); err != nil || string(body) != "card" {
		t.Errorf("claimed prompt = %q, %v", body, err)
	}
}
