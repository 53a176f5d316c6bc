// Package redisstate keeps short-lived conversation state in Redis: sessions of conversations
// in progress and the record of inbound messages already handled. Several bot instances may
// share one Redis, so every operation here is safe when they race.
package redisstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/guanjia/guanjia"
)

// Defaults for the zero Options.
const (
	DefaultPrefix    = "guanjia:"
	DefaultGrace     = 24 * time.Hour
	DefaultDedupeTTL = 72 * time.Hour
)

// Options tune a Store; the zero value gives the defaults.
type Options struct {
	// Prefix starts every key, so several deployments (or tests) can share one Redis.
	// Default DefaultPrefix.
	Prefix string
	// Now is the clock that decides whether a session has expired. Default time.Now.
	Now func() time.Time
	// Grace is how long a session outlives its Expires in Redis, so that Load can still
	// tell the person their conversation lapsed instead of silently starting over.
	// Default DefaultGrace.
	Grace time.Duration
	// DedupeTTL is how long a message id is remembered; platforms redeliver within hours.
	// Default DefaultDedupeTTL.
	DedupeTTL time.Duration
}

// Store keeps sessions and the inbound dedupe record in Redis.
type Store struct {
	rdb       redis.UniversalClient
	prefix    string
	now       func() time.Time
	grace     time.Duration
	dedupeTTL time.Duration
	peeked    *peekCache
}

// New returns a Store on rdb. The caller owns rdb and closes it.
func New(rdb redis.UniversalClient, opts Options) *Store {
	s := &Store{rdb: rdb, prefix: opts.Prefix, now: opts.Now, grace: opts.Grace, dedupeTTL: opts.DedupeTTL,
		peeked: &peekCache{}}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.grace <= 0 {
		s.grace = DefaultGrace
	}
	if s.dedupeTTL <= 0 {
		s.dedupeTTL = DefaultDedupeTTL
	}
	return s
}

func (s *Store) sessionKey(k guanjia.SessionKey) string { return s.prefix + "sess:" + k.String() }

// deleteIfUnchanged removes a lapsed session only if nobody saved a fresh one since it was
// read: another instance may have started a new conversation in between.
var deleteIfUnchanged = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// Load returns the session stored under key. It returns an error wrapping guanjia.ErrNotFound
// when there is none. When the session's Expires has passed it deletes the session and
// returns it together with an error wrapping guanjia.ErrExpired, so the caller can say what
// lapsed; the next Load then reports ErrNotFound.
func (s *Store) Load(ctx context.Context, key guanjia.SessionKey) (guanjia.Session, error) {
	k := s.sessionKey(key)
	raw, err := s.rdb.Get(ctx, k).Result()
	if errors.Is(err, redis.Nil) {
		return guanjia.Session{}, fmt.Errorf("redisstate: load session %s: %w", key, guanjia.ErrNotFound)
	}
	if err != nil {
		return guanjia.Session{}, fmt.Errorf("redisstate: load session %s: %w", key, err)
	}
	var sess guanjia.Session
	if err := json.Unmarshal([]byte(raw), &sess); err != nil {
		return guanjia.Session{}, fmt.Errorf("redisstate: decode session %s: %w", key, err)
	}
	if !s.now().After(sess.Expires) {
		return sess, nil
	}
	if err := deleteIfUnchanged.Run(ctx, s.rdb, []string{k}, raw).Err(); err != nil {
		return guanjia.Session{}, fmt.Errorf("redisstate: delete expired session %s: %w", key, err)
	}
	return sess, fmt.Errorf("redisstate: load session %s: %w", key, guanjia.ErrExpired)
}

// Save stores sess under its key. Redis drops it on its own Grace after sess.Expires, so
// abandoned conversations do not pile up. A zero Expires is rejected with guanjia.ErrInvalid:
// it would make the session lapse at once.
func (s *Store) Save(ctx context.Context, sess guanjia.Session) error {
	if sess.Expires.IsZero() {
		return fmt.Errorf("redisstate: save session %s: no expiry: %w", sess.Key, guanjia.ErrInvalid)
	}
	raw, err := json.Marshal(sess)
	if err != nil {
		return fmt.Errorf("redisstate: encode session %s: %w", sess.Key, err)
	}
	ttl := max(sess.Expires.Sub(s.now())+s.grace, time.Second)
	if err := s.rdb.Set(ctx, s.sessionKey(sess.Key), raw, ttl).Err(); err != nil {
		return fmt.Errorf("redisstate: save session %s: %w", sess.Key, err)
	}
	return nil
}

// Delete removes the session under key; deleting an absent session is not an error, because
// ending a conversation twice (a cancel racing an expiry) must not bother the person.
func (s *Store) Delete(ctx context.Context, key guanjia.SessionKey) error {
	if err := s.rdb.Del(ctx, s.sessionKey(key)).Err(); err != nil {
		return fmt.Errorf("redisstate: delete session %s: %w", key, err)
	}
	return nil
}

func (s *Store) seenKey(channel, messageID string) string {
	return s.prefix + "seen:" + channel + ":" + messageID
}

// Handled reports whether the message with this platform id on this channel was handled
// already. The mux asks before handling and marks it together with the outcome (OutboxCommit),
// so that a message whose handling was cut short by a crash is handled when the platform (or
// the inbound journal) delivers it again.
func (s *Store) Handled(ctx context.Context, channel, messageID string) (bool, error) {
	if channel == "" || messageID == "" {
		// An empty id would make unrelated messages look like duplicates of each other.
		return false, fmt.Errorf("redisstate: handled: empty channel or message id: %w", guanjia.ErrInvalid)
	}
	n, err := s.rdb.Exists(ctx, s.seenKey(channel, messageID)).Result()
	if err != nil {
		return false, fmt.Errorf("redisstate: handled %s:%s: %w", channel, messageID, err)
	}
	return n == 1, nil
}

// MarkHandled remembers for DedupeTTL that the message was handled.
func (s *Store) MarkHandled(ctx context.Context, channel, messageID string) error {
	if channel == "" || messageID == "" {
		return fmt.Errorf("redisstate: mark handled: empty channel or message id: %w", guanjia.ErrInvalid)
	}
	err := s.rdb.Set(ctx, s.seenKey(channel, messageID), s.now().UTC().Format(time.RFC3339), s.dedupeTTL).Err()
	if err != nil {
		return fmt.Errorf("redisstate: mark handled %s:%s: %w", channel, messageID, err)
	}
	return nil
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redisstate: ping: %w", err)
	}
	return nil
}

// Tries returns how many tries are counted under key now, without adding one; 0 when none
// are, or their window has passed.
func (s *Store) Tries(ctx context.Context, key string) (int64, error) {
	n, err := s.rdb.Get(ctx, s.prefix+"attempts:"+key).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("redisstate: tries: %w", err)
	}
	return n, nil
}

// CountAttempt adds one try under key and returns how many tries were made within window
// of the first, this one included; the count starts again after window.
func (s *Store) CountAttempt(ctx context.Context, key string, window time.Duration) (int64, error) {
	k := s.prefix + "attempts:" + key
	var n *redis.IntCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		n = p.Incr(ctx, k)
		p.ExpireNX(ctx, k, window)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("redisstate: count attempt: %w", err)
	}
	return n.Val(), nil
}
