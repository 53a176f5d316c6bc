package redisstate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/guanjia/guanjia"
)

// WeChat state, kept in Redis so that any instance can take the account over after a restart:
//
//	wechat:login:<account>      openwechat's hot-login dump (cookies, keys, sync key)
//	wechat:groups               hash: stable group id → the channel's record of the group
//	                            (hashes of its name and members, never a UserName)
//	wechat:members:<group id>   hash: key of a display name → person id, for group members
//	                            who bound in the group without being friends
//
// None of them expires: a login lasts days, and groups and bindings as long as the groups.

// loginTimeout bounds one read or write of the hot-login dump; io.Reader has no context.
const loginTimeout = 5 * time.Second

// WeChatLogin is openwechat's hot-login storage (its HotReloadStorage, an io.ReadWriter) kept
// in one Redis key. openwechat writes the whole dump with a single Write, so each Write
// replaces the value; a read that starts after the previous one ended loads the value afresh,
// so the same WeChatLogin serves every login attempt of a process.
type WeChatLogin struct {
	rdb redis.UniversalClient
	key string

	mu sync.Mutex
	r  *bytes.Reader
}

// WeChatLogin returns the hot-login storage of a WeChat account ("default" for the one
// account guanjia runs).
func (s *Store) WeChatLogin(account string) *WeChatLogin {
	return &WeChatLogin{rdb: s.rdb, key: s.prefix + "wechat:login:" + account}
}

// Read reads the kept login. With none kept it returns an error wrapping guanjia.ErrNotFound,
// which makes openwechat's hot login fail and the channel ask for a QR scan.
func (w *WeChatLogin) Read(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.r == nil || w.r.Len() == 0 {
		ctx, cancel := context.WithTimeout(context.Background(), loginTimeout)
		defer cancel()
		raw, err := w.rdb.Get(ctx, w.key).Bytes()
		if errors.Is(err, redis.Nil) {
			return 0, fmt.Errorf("redisstate: wechat login: %w", guanjia.ErrNotFound)
		}
		if err != nil {
			return 0, fmt.Errorf("redisstate: wechat login: read: %w", err)
		}
		w.r = bytes.NewReader(raw)
	}
	return w.r.Read(p)
}

// Write replaces the kept login with p, one complete dump.
func (w *WeChatLogin) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), loginTimeout)
	defer cancel()
	if err := w.rdb.Set(ctx, w.key, p, 0).Err(); err != nil {
		return 0, fmt.Errorf("redisstate: wechat login: write: %w", err)
	}
	w.r = nil
	return len(p), nil
}

// Saved reports whether a login is kept.
func (w *WeChatLogin) Saved(ctx context.Context) (bool, error) {
	n, err := w.rdb.Exists(ctx, w.key).Result()
	if err != nil {
		return false, fmt.Errorf("redisstate: wechat login: %w", err)
	}
	return n == 1, nil
}

// Clear forgets the kept login, once WeChat refused it: the next login asks for a QR scan.
func (w *WeChatLogin) Clear(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.r = nil
	if err := w.rdb.Del(ctx, w.key).Err(); err != nil {
		return fmt.Errorf("redisstate: wechat login: clear: %w", err)
	}
	return nil
}

func (s *Store) weChatGroupsKey() string { return s.prefix + "wechat:groups" }

func (s *Store) weChatMembersKey(group string) string { return s.prefix + "wechat:members:" + group }

// WeChatGroups returns every group record by stable group id; none is an empty map. The
// records are the channel's own encoding, opaque here.
func (s *Store) WeChatGroups(ctx context.Context) (map[string][]byte, error) {
	all, err := s.rdb.HGetAll(ctx, s.weChatGroupsKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstate: wechat groups: %w", err)
	}
	out := make(map[string][]byte, len(all))
	for id, body := range all {
		out[id] = []byte(body)
	}
	return out, nil
}

// SaveWeChatGroup records a group under its stable id, replacing the earlier record.
func (s *Store) SaveWeChatGroup(ctx context.Context, id string, body []byte) error {
	if err := s.rdb.HSet(ctx, s.weChatGroupsKey(), id, body).Err(); err != nil {
		return fmt.Errorf("redisstate: save wechat group %s: %w", id, err)
	}
	return nil
}

// WeChatMember returns the person bound to a display name (by its key) in a group, and
// whether there is one.
func (s *Store) WeChatMember(ctx context.Context, group, nameKey string) (string, bool, error) {
	person, err := s.rdb.HGet(ctx, s.weChatMembersKey(group), nameKey).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("redisstate: wechat member of %s: %w", group, err)
	}
	return person, true, nil
}

// BindWeChatMember binds a display name (by its key) in a group to a person, replacing an
// earlier binding of that name.
func (s *Store) BindWeChatMember(ctx context.Context, group, nameKey, person string) error {
	if err := s.rdb.HSet(ctx, s.weChatMembersKey(group), nameKey, person).Err(); err != nil {
		return fmt.Errorf("redisstate: bind wechat member in %s: %w", group, err)
	}
	return nil
}

// HasSession reports whether a conversation is stored under key, lapsed ones included (the
// person still thinks they are in it, and the flow tells them it lapsed). Unlike Load it never
// deletes anything, so asking does not swallow that note.
func (s *Store) HasSession(ctx context.Context, key guanjia.SessionKey) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.sessionKey(key)).Result()
	if err != nil {
		return false, fmt.Errorf("redisstate: has session %s: %w", key, err)
	}
	return n == 1, nil
}
