package redisstate_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
)

// dump stands in for openwechat's hot-login item, which it encodes and decodes with
// encoding/json straight on the storage.
type dump struct {
	Cookies map[string]string
	SyncKey []int
}

func TestWeChatLoginIsAReadWriterOnOneKey(t *testing.T) {
	s, rdb, prefix := inboundStore(t)
	ctx := context.Background()
	login := s.WeChatLogin("default")

	var got dump
	if err := json.NewDecoder(login).Decode(&got); !errors.Is(err, guanjia.ErrNotFound) {
		t.Fatalf("decode with nothing kept = %v, want ErrNotFound", err)
	}
	if saved, err := login.Saved(ctx); err != nil || saved {
		t.Fatalf("Saved = %v, %v before any write", saved, err)
	}
	want := dump{Cookies: map[string]string{"wxsid": "abc"}, SyncKey: []int{1, 2, 3}}
	if err := json.NewEncoder(login).Encode(want); err != nil {
		t.Fatal(err)
	}
	// A second dump replaces the first: each Write is a whole value.
	want.SyncKey = []int{4, 5}
	if err := json.NewEncoder(login).Encode(want); err != nil {
		t.Fatal(err)
	}
	// Every login attempt decodes from the start, on the same value or a fresh one.
	for i := range 3 {
		var got dump
		if err := json.NewDecoder(login).Decode(&got); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("decode %d = %+v, %v; want %+v", i, got, err, want)
		}
	}
	other := s.WeChatLogin("default")
	if err := json.NewDecoder(other).Decode(&got); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("another instance read %+v, %v", got, err)
	}
	if keys, _ := rdb.Keys(ctx, prefix+"wechat:login:*").Result(); len(keys) != 1 {
		t.Errorf("keys %v, want the one login key", keys)
	}
	if err := login.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(login).Decode(&got); !errors.Is(err, guanjia.ErrNotFound) {
		t.Fatalf("decode after Clear = %v, want ErrNotFound", err)
	}
}

func TestWeChatGroupsAndMembers(t *testing.T) {
	s, _, _ := inboundStore(t)
	ctx := context.Background()
	groups, err := s.WeChatGroups(ctx)
	if err != nil || len(groups) != 0 {
		t.Fatalf("groups = %v, %v; want none", groups, err)
	}
	if err := s.SaveWeChatGroup(ctx, "g:1", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveWeChatGroup(ctx, "g:1", []byte(`{"a":2}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveWeChatGroup(ctx, "g:2", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	groups, err = s.WeChatGroups(ctx)
	if err != nil || len(groups) != 2 || string(groups["g:1"]) != `{"a":2}` {
		t.Fatalf("groups = %q, %v", groups, err)
	}

	if p, ok, err := s.WeChatMember(ctx, "g:1", "k1"); err != nil || ok || p != "" {
		t.Fatalf("unbound member = %q, %v, %v", p, ok, err)
	}
	if err := s.BindWeChatMember(ctx, "g:1", "k1", "p-1"); err != nil {
		t.Fatal(err)
	}
	if p, ok, err := s.WeChatMember(ctx, "g:1", "k1"); err != nil || !ok || p != "p-1" {
		t.Fatalf("bound member = %q, %v, %v", p, ok, err)
	}
	if _, ok, _ := s.WeChatMember(ctx, "g:2", "k1"); ok {
		t.Error("a binding in one group counts in another")
	}
}

func TestHasSessionNeverDeletes(t *testing.T) {
	s, _, _ := inboundStore(t)
	ctx := context.Background()
	key := guanjia.SessionKey{Channel: "wechat", Chat: "g:1", Person: "u:1"}
	if ok, err := s.HasSession(ctx, key); err != nil || ok {
		t.Fatalf("HasSession before save = %v, %v", ok, err)
	}
	// Lapsed already: HasSession still sees it, so the flow can say it lapsed.
	sess := guanjia.Session{Key: key, Flow: "repair", Step: "category", Expires: time.Now().Add(-time.Minute)}
	if err := s.Save(ctx, sess); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if ok, err := s.HasSession(ctx, key); err != nil || !ok {
			t.Fatalf("HasSession of a lapsed session = %v, %v", ok, err)
		}
	}
	if _, err := s.Load(ctx, key); !errors.Is(err, guanjia.ErrExpired) {
		t.Fatalf("Load after HasSession = %v, want ErrExpired", err)
	}
}
