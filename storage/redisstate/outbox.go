package redisstate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/guanjia/guanjia"
)

// The outbound queue of one channel:
//
//	out:<ch>:q         sorted set of waiting message ids, by lane rank then sequence
//	out:<ch>:m:<id>    the envelope (JSON)
//	out:<ch>:score     the id's score in q, kept so a message put back keeps its place
//	out:<ch>:inflight  sorted set of claimed ids, by lease deadline (Redis time, ms)
//	out:<ch>:block:<chat>  present while a chat must not be sent to (429, backoff)
//	out:<ch>:dead      the last messages given up on, newest first, for operators
//
// A message is claimed (moved from q to inflight) before it is sent and removed only once the
// platform accepted it, so a restart sends what was queued and does not resend what was
// accepted; a claim whose instance died returns to q when its lease runs out.

// rankScale separates lanes in the score; sequences stay far below it.
const rankScale = 1e13

// deadKept is how many given-up messages are kept for inspection.
const deadKept = 1000

func (s *Store) outKey(channel, part string) string { return s.prefix + "out:" + channel + ":" + part }

// OutboxPush queues env, giving it its sequence number and queue time.
func (s *Store) OutboxPush(ctx context.Context, env *guanjia.Envelope) error {
	seq, err := s.rdb.Incr(ctx, s.outKey(env.Channel, "seq")).Result()
	if err != nil {
		return fmt.Errorf("redisstate: outbox push: %w", err)
	}
	env.Seq, env.Queued = seq, time.Now()
	if env.ID == "" {
		env.ID = newID()
	}
	body, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("redisstate: outbox push: %w", err)
	}
	score := float64(env.Rank)*rankScale + float64(seq)
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.outKey(env.Channel, "m:"+env.ID), body, 0)
		p.HSet(ctx, s.outKey(env.Channel, "score"), env.ID, score)
		p.ZAdd(ctx, s.outKey(env.Channel, "q"), redis.Z{Score: score, Member: env.ID})
		return nil
	})
	if err != nil {
		return fmt.Errorf("redisstate: outbox push: %w", err)
	}
	return nil
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// OutboxPeek returns up to n waiting messages in sending order, without claiming them. A
// message is read from Redis once: later peeks (a dispatcher peeks the same waiting messages
// round after round, a busy group's queue) take it from the copy kept here, whose Attempts
// and LastError may be behind; OutboxClaim returns the message as stored.
func (s *Store) OutboxPeek(ctx context.Context, channel string, n int) ([]guanjia.Envelope, error) {
	ids, err := s.rdb.ZRange(ctx, s.outKey(channel, "q"), 0, int64(n-1)).Result()
	if err != nil || len(ids) == 0 {
		return nil, wrapErr("outbox peek", err)
	}
	envs := make([]guanjia.Envelope, len(ids))
	found := make([]bool, len(ids))
	var keys []string
	var at []int
	for i, id := range ids {
		if envs[i], found[i] = s.peeked.get(channel, id); !found[i] {
			keys = append(keys, s.outKey(channel, "m:"+id))
			at = append(at, i)
		}
	}
	if len(keys) > 0 {
		bodies, err := s.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, fmt.Errorf("redisstate: outbox peek: %w", err)
		}
		for j, b := range bodies {
			str, ok := b.(string)
			if !ok {
				// Acknowledged by another instance between the two reads.
				continue
			}
			i := at[j]
			if err := json.Unmarshal([]byte(str), &envs[i]); err != nil {
				return nil, fmt.Errorf("redisstate: outbox peek %s: %w", ids[i], err)
			}
			found[i] = true
			s.peeked.put(channel, envs[i])
		}
	}
	out := envs[:0]
	for i, env := range envs {
		if found[i] {
			out = append(out, env)
		}
	}
	return out, nil
}

// peekCache keeps the messages peeked, by channel and id; a message's chat, lane and text
// never change once it is queued.
type peekCache struct {
	mu   sync.Mutex
	envs map[string]guanjia.Envelope
}

// peekCacheMax bounds the cache (a peek reads at most a few hundred); it starts afresh when
// full.
const peekCacheMax = 4096

func (c *peekCache) get(channel, id string) (guanjia.Envelope, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	env, ok := c.envs[channel+"\x00"+id]
	return env, ok
}

func (c *peekCache) put(channel string, env guanjia.Envelope) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.envs == nil || len(c.envs) >= peekCacheMax {
		c.envs = map[string]guanjia.Envelope{}
	}
	c.envs[channel+"\x00"+env.ID] = env
}

// forget drops a message that left the queue (sent, dropped) or changed (put back).
func (c *peekCache) forget(channel, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.envs, channel+"\x00"+id)
}

func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("redisstate: %s: %w", op, err)
}

var claimScript = redis.NewScript(`
if redis.call("ZREM", KEYS[1], ARGV[1]) == 1 then
	local body = redis.call("GET", KEYS[3])
	if not body then
		return false
	end
	local t = redis.call("TIME")
	local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
	redis.call("ZADD", KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
	return body
end
return false`)

// OutboxClaim takes a waiting message for sending and returns it as stored. Only one caller,
// of any instance, gets true; the claim lapses after lease if it is neither acknowledged nor
// put back.
func (s *Store) OutboxClaim(ctx context.Context, channel, id string, lease time.Duration) (guanjia.Envelope, bool, error) {
	var env guanjia.Envelope
	body, err := claimScript.Run(ctx, s.rdb, []string{s.outKey(channel, "q"), s.outKey(channel, "inflight"),
		s.outKey(channel, "m:"+id)}, id, lease.Milliseconds()).Text()
	switch {
	case errors.Is(err, redis.Nil):
		return env, false, nil
	case err != nil:
		return env, false, fmt.Errorf("redisstate: outbox claim: %w", err)
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		return env, false, fmt.Errorf("redisstate: outbox claim %s: %w", id, err)
	}
	return env, true, nil
}

// OutboxAck forgets a message the platform accepted.
func (s *Store) OutboxAck(ctx context.Context, channel, id string) error {
	s.peeked.forget(channel, id)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, s.outKey(channel, "inflight"), id)
		p.ZRem(ctx, s.outKey(channel, "q"), id)
		p.Del(ctx, s.outKey(channel, "m:"+id))
		p.HDel(ctx, s.outKey(channel, "score"), id)
		return nil
	})
	return wrapErr("outbox ack", err)
}

// OutboxRetry puts a claimed message back in its place, with its attempt count and error.
func (s *Store) OutboxRetry(ctx context.Context, env guanjia.Envelope) error {
	s.peeked.forget(env.Channel, env.ID)
	body, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("redisstate: outbox retry: %w", err)
	}
	score, err := s.rdb.HGet(ctx, s.outKey(env.Channel, "score"), env.ID).Float64()
	if errors.Is(err, redis.Nil) {
		score = float64(env.Rank)*rankScale + float64(env.Seq)
	} else if err != nil {
		return fmt.Errorf("redisstate: outbox retry: %w", err)
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.outKey(env.Channel, "m:"+env.ID), body, 0)
		p.ZRem(ctx, s.outKey(env.Channel, "inflight"), env.ID)
		p.ZAdd(ctx, s.outKey(env.Channel, "q"), redis.Z{Score: score, Member: env.ID})
		return nil
	})
	return wrapErr("outbox retry", err)
}

// OutboxDrop gives up on a message, keeping it in the dead list for operators.
func (s *Store) OutboxDrop(ctx context.Context, env guanjia.Envelope) error {
	s.peeked.forget(env.Channel, env.ID)
	body, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("redisstate: outbox drop: %w", err)
	}
	dead := s.outKey(env.Channel, "dead")
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, s.outKey(env.Channel, "inflight"), env.ID)
		p.ZRem(ctx, s.outKey(env.Channel, "q"), env.ID)
		p.Del(ctx, s.outKey(env.Channel, "m:"+env.ID))
		p.HDel(ctx, s.outKey(env.Channel, "score"), env.ID)
		p.LPush(ctx, dead, body)
		p.LTrim(ctx, dead, 0, deadKept-1)
		return nil
	})
	return wrapErr("outbox drop", err)
}

// OutboxDead returns the most recent given-up messages, newest first.
func (s *Store) OutboxDead(ctx context.Context, channel string, n int) ([]guanjia.Envelope, error) {
	raw, err := s.rdb.LRange(ctx, s.outKey(channel, "dead"), 0, int64(n-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstate: outbox dead: %w", err)
	}
	envs := make([]guanjia.Envelope, 0, len(raw))
	for _, r := range raw {
		var env guanjia.Envelope
		if err := json.Unmarshal([]byte(r), &env); err != nil {
			return nil, fmt.Errorf("redisstate: outbox dead: %w", err)
		}
		envs = append(envs, env)
	}
	return envs, nil
}

var recoverScript = redis.NewScript(`
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ids = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", now)
for _, id in ipairs(ids) do
	redis.call("ZREM", KEYS[1], id)
	local score = redis.call("HGET", KEYS[3], id)
	if score then
		redis.call("ZADD", KEYS[2], score, id)
	end
end
return #ids`)

// OutboxRecover puts back the messages whose claim lapsed: their instance stopped before
// the platform answered. They may have been delivered; sending again is the lesser harm.
func (s *Store) OutboxRecover(ctx context.Context, channel string) (int, error) {
	n, err := recoverScript.Run(ctx, s.rdb, []string{s.outKey(channel, "inflight"), s.outKey(channel, "q"),
		s.outKey(channel, "score")}).Int()
	if err != nil {
		return 0, fmt.Errorf("redisstate: outbox recover: %w", err)
	}
	return n, nil
}

// OutboxLen is how many messages wait or are being sent.
func (s *Store) OutboxLen(ctx context.Context, channel string) (int64, error) {
	var q, f *redis.IntCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		q = p.ZCard(ctx, s.outKey(channel, "q"))
		f = p.ZCard(ctx, s.outKey(channel, "inflight"))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("redisstate: outbox len: %w", err)
	}
	return q.Val() + f.Val(), nil
}

// OutboxBlock holds every message to chat back for d (a 429's retry_after, a backoff).
func (s *Store) OutboxBlock(ctx context.Context, channel, chat string, d time.Duration) error {
	return wrapErr("outbox block", s.rdb.Set(ctx, s.outKey(channel, "block:"+chat), "1", max(d, time.Millisecond)).Err())
}

// OutboxBlocked returns, for those of chats that are held back, how long they still are.
func (s *Store) OutboxBlocked(ctx context.Context, channel string, chats []string) (map[string]time.Duration, error) {
	cmds := make([]*redis.DurationCmd, len(chats))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range chats {
			cmds[i] = p.PTTL(ctx, s.outKey(channel, "block:"+c))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("redisstate: outbox blocked: %w", err)
	}
	blocked := map[string]time.Duration{}
	for i, c := range cmds {
		if d := c.Val(); d > 0 {
			blocked[chats[i]] = d
		}
	}
	return blocked, nil
}

var rateScript = redis.NewScript(`
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait, full = 0, 0
local tokens = {}
for i, key in ipairs(KEYS) do
	local max = tonumber(ARGV[3 * i - 1])
	local win = tonumber(ARGV[3 * i])
	local w = 0
	if ARGV[3 * i + 1] == "b" then
		local h = redis.call("HMGET", key, "tokens", "at")
		local have, at = tonumber(h[1]), tonumber(h[2])
		if not have then have, at = max, now end
		have = math.min(max, have + math.max(0, now - at) * max / win)
		tokens[i] = have
		if have < 1 then w = math.ceil((1 - have) * win / max) end
	else
		redis.call("ZREMRANGEBYSCORE", key, "-inf", now - win)
		local n = redis.call("ZCARD", key)
		if n >= max then
			local oldest = redis.call("ZRANGE", key, n - max, n - max, "WITHSCORES")
			w = tonumber(oldest[2]) + win - now + 1
		end
	end
	if w > wait then wait, full = w, i end
end
if wait > 0 then return {wait, full} end
for i, key in ipairs(KEYS) do
	local win = tonumber(ARGV[3 * i])
	if ARGV[3 * i + 1] == "b" then
		redis.call("HSET", key, "tokens", tostring(tokens[i] - 1), "at", now)
	else
		redis.call("ZADD", key, now, ARGV[1])
	end
	redis.call("PEXPIRE", key, win * 2)
end
return {0, 0}`)

// RateAcquire takes one slot under every rule at once, on Redis's clock so that all
// instances count together: a sliding window (at most Max in any Window), or a token bucket
// for a rule marked Bucket. When a rule is full it takes nothing and returns how long to
// wait and the index in rules of the rule that is full (-1 when a slot was taken).
func (s *Store) RateAcquire(ctx context.Context, rules []guanjia.RateKey) (time.Duration, int, error) {
	keys := make([]string, 0, len(rules))
	index := make([]int, 0, len(rules))
	args := []any{newID()}
	for i, r := range rules {
		if r.Rate.Zero() {
			continue
		}
		kind, key := "w", s.prefix+"rate:"+r.Key
		if r.Bucket {
			kind, key = "b", s.prefix+"bucket:"+r.Key
		}
		keys = append(keys, key)
		index = append(index, i)
		args = append(args, r.Rate.Max, r.Rate.Window.Milliseconds(), kind)
	}
	if len(keys) == 0 {
		return 0, -1, nil
	}
	res, err := rateScript.Run(ctx, s.rdb, keys, args...).Int64Slice()
	if err != nil || len(res) != 2 {
		return 0, -1, fmt.Errorf("redisstate: rate: %v %w", res, err)
	}
	if res[0] == 0 {
		return 0, -1, nil
	}
	return time.Duration(res[0]) * time.Millisecond, index[res[1]-1], nil
}

var spacingScript = redis.NewScript(`
local v = redis.call("GET", KEYS[1])
if v and (ARGV[1] == "" or v ~= ARGV[1]) then
	local ttl = redis.call("PTTL", KEYS[1])
	if ttl > 0 then return ttl end
end
redis.call("SET", KEYS[1], ARGV[1] == "" and "1" or ARGV[1], "PX", ARGV[2])
return 0`)

// OutboxSpacing keeps sends apart across all instances: it succeeds (returning 0) when no
// earlier send holds key, or when holder holds it (an empty holder never does), and then holds
// key for d; otherwise it returns how long the current hold lasts.
func (s *Store) OutboxSpacing(ctx context.Context, channel, key, holder string, d time.Duration) (time.Duration, error) {
	ms, err := spacingScript.Run(ctx, s.rdb, []string{s.outKey(channel, "space:"+key)}, holder, max(d, time.Millisecond).Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("redisstate: outbox spacing: %w", err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}
