package redisstate_test

import (
	"context"
	"testing"

	"github.com/guanjia/guanjia/storage/redisstate/redistest"
)

func TestWeChatFriends(t *testing.T) {
	s := redistest.Store(t)
	ctx := context.Background()
	got, err := s.WeChatFriends(ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("empty store: %v, %v", got, err)
	}
	for _, body := range []string{`{"nick":"a"}`, `{"nick":"b"}`} {
		if err := s.SaveWeChatFriend(ctx, "p-1", []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	got, err = s.WeChatFriends(ctx)
	if err != nil || len(got) != 1 || string(got["p-1"]) != `{"nick":"b"}` {
		t.Errorf("friends %q, %v; want the later record", got, err)
	}
}
