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

// OutboxCommit queues envs, stores or ends the sessions (a nil session is ended) and marks
// the message messageID of channel handled (none when messageID is empty), in one MULTI/EXEC:
// after a crash either all of it is there or none. It returns an error wrapping
// guanjia.ErrConflict, and changes nothing, when the message was marked handled meanwhile.
func (s *Store) OutboxCommit(ctx context.Context, envs []*guanjia.Envelope, sessions map[guanjia.SessionKey]*guanjia.Session, channel, messageID string) error {
	if err := s.sequence(ctx, envs); err != nil {
		return err
	}
	bodies := make([][]byte, len(envs))
	for i, env := range envs {
		b, err := json.Marshal(env)
		if err != nil {
			return fmt.Errorf("redisstate: commit: %w", err)
		}
		bodies[i] = b
	}
	type saved struct {
		key string
		raw []byte
		ttl time.Duration
	}
	var saves []saved
	var deletes []string
	for key, sess := range sessions {
		if sess == nil {
			deletes = append(deletes, s.sessionKey(key))
			continue
		}
		if sess.Expires.IsZero() {
			return fmt.Errorf("redisstate: commit session %s: no expiry: %w", key, guanjia.ErrInvalid)
		}
		raw, err := json.Marshal(sess)
		if err != nil {
			return fmt.Errorf("redisstate: commit session %s: %w", key, err)
		}
		saves = append(saves, saved{s.sessionKey(key), raw, max(sess.Expires.Sub(s.now())+s.grace, time.Second)})
	}
	var watch []string
	seen := ""
	if messageID != "" {
		seen = s.seenKey(channel, messageID)
		watch = append(watch, seen)
	}
	err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
		if seen != "" {
			n, err := tx.Exists(ctx, seen).Result()
			if err != nil {
				return err
			}
			if n == 1 {
				return guanjia.ErrConflict
			}
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for _, sv := range saves {
				p.Set(ctx, sv.key, sv.raw, sv.ttl)
			}
			if len(deletes) > 0 {
				p.Del(ctx, deletes...)
			}
			for i, env := range envs {
				score := float64(env.Rank)*rankScale + float64(env.Seq)
				p.Set(ctx, s.outKey(env.Channel, "m:"+env.ID), bodies[i], 0)
				p.HSet(ctx, s.outKey(env.Channel, "score"), env.ID, score)
				p.ZAdd(ctx, s.outKey(env.Channel, "q"), redis.Z{Score: score, Member: env.ID})
			}
			if seen != "" {
				p.Set(ctx, seen, s.now().UTC().Format(time.RFC3339), s.dedupeTTL)
			}
			return nil
		})
		return err
	}, watch...)
	switch {
	case errors.Is(err, guanjia.ErrConflict), errors.Is(err, redis.TxFailedErr):
		return fmt.Errorf("redisstate: commit %s:%s: handled meanwhile: %w", channel, messageID, guanjia.ErrConflict)
	case err != nil:
		return fmt.Errorf("redisstate: commit %s:%s: %w", channel, messageID, err)
	}
	return nil
}

// sequence gives envs their sequence numbers and queue time, one INCRBY per channel. A number
// taken by a commit that then fails is a gap, which the order does not mind.
func (s *Store) sequence(ctx context.Context, envs []*guanjia.Envelope) error {
	if len(envs) == 0 {
		return nil
	}
	count := map[string]int64{}
	for _, env := range envs {
		count[env.Channel]++
	}
	last := map[string]*redis.IntCmd{}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for ch, n := range count {
			last[ch] = p.IncrBy(ctx, s.outKey(ch, "seq"), n)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("redisstate: commit: sequence: %w", err)
	}
	next := map[string]int64{}
	for ch, n := range count {
		next[ch] = last[ch].Val() - n + 1
	}
	now := time.Now()
	for _, env := range envs {
		env.Seq, env.Queued = next[env.Channel], now
		next[env.Channel]++
		if env.ID == "" {
			env.ID = newID()
		}
	}
	return nil
}

var renewScript = redis.NewScript(`
if redis.call("ZSCORE", KEYS[1], ARGV[1]) then
	local t = redis.call("TIME")
	local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
	redis.call("ZADD", KEYS[1], "XX", now + tonumber(ARGV[2]), ARGV[1])
	return 1
end
return 0`)

// OutboxRenew extends the claim on a message being sent to lease from now; a message no longer
// claimed (acknowledged, or recovered after its lease ran out) is left alone.
func (s *Store) OutboxRenew(ctx context.Context, channel, id string, lease time.Duration) error {
	err := renewScript.Run(ctx, s.rdb, []string{s.outKey(channel, "inflight")}, id, lease.Milliseconds()).Err()
	return wrapErr("outbox renew", err)
}

// seqTTL is how long a ticket-number counter is kept after its last use: a day's counter
// matters for that day; one lost or lapsed is seeded again from the records.
const seqTTL = 72 * time.Hour

var nextSeqScript = redis.NewScript(`
local v = redis.call("GET", KEYS[1])
if not v then
	if ARGV[1] == "" then return -1 end
	redis.call("SET", KEYS[1], ARGV[1])
elseif ARGV[1] ~= "" and tonumber(v) < tonumber(ARGV[1]) then
	redis.call("SET", KEYS[1], ARGV[1])
end
local n = redis.call("INCR", KEYS[1])
redis.call("PEXPIRE", KEYS[1], ARGV[2])
return n`)

// NextSeq takes the next number of the sequence key in one atomic step (INCR). When Redis
// does not have the sequence (a new day, or a Redis that lost it), floor says the highest
// number already taken, from the records, and the sequence continues above it.
func (s *Store) NextSeq(ctx context.Context, key string, floor func(context.Context) (int64, error)) (int64, error) {
	k := s.prefix + "seq:" + key
	n, err := nextSeqScript.Run(ctx, s.rdb, []string{k}, "", seqTTL.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("redisstate: next seq %s: %w", key, err)
	}
	if n >= 0 {
		return n, nil
	}
	f, err := floor(ctx)
	if err != nil {
		return 0, fmt.Errorf("redisstate: next seq %s: %w", key, err)
	}
	return s.RaiseSeq(ctx, key, f)
}

// RaiseSeq moves the sequence key up to at least floor (the highest number known taken) and
// takes the next number above it.
func (s *Store) RaiseSeq(ctx context.Context, key string, floor int64) (int64, error) {
	k := s.prefix + "seq:" + key
	n, err := nextSeqScript.Run(ctx, s.rdb, []string{k}, floor, seqTTL.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("redisstate: raise seq %s: %w", key, err)
	}
	return n, nil
}
