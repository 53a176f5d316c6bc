package redisstate

import (
	"context"
	"fmt"
)

// wechat:friends   hash: person id → the WeChat channel's record of that person's friend
//                  account (keys of what WeChat keeps across logins, never a UserName)

func (s *Store) weChatFriendsKey() string { return s.prefix + "wechat:friends" }

// WeChatFriends returns every friend record by person id; none is an empty map. The records
// are the channel's own encoding, opaque here.
func (s *Store) WeChatFriends(ctx context.Context) (map[string][]byte, error) {
	all, err := s.rdb.HGetAll(ctx, s.weChatFriendsKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstate: wechat friends: %w", err)
	}
	out := make(map[string][]byte, len(all))
	for id, body := range all {
		out[id] = []byte(body)
	}
	return out, nil
}

// SaveWeChatFriend records a person's friend account, replacing the earlier record.
func (s *Store) SaveWeChatFriend(ctx context.Context, person string, body []byte) error {
	if err := s.rdb.HSet(ctx, s.weChatFriendsKey(), person, body).Err(); err != nil {
		return fmt.Errorf("redisstate: save wechat friend %s: %w", person, err)
	}
	return nil
}
