package redisstate

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

var claimAlarmScript = redis.NewScript(`
if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then
	return {1, ARGV[1]}
end
return {0, redis.call("GET", KEYS[1])}`)

// ClaimAlarm stores candidate under key for ttl unless the key holds a value already, and
// returns the value now stored and whether this call stored it: the first of several people
// raising the same alarm names it, the others join it.
func (s *Store) ClaimAlarm(ctx context.Context, key, candidate string, ttl time.Duration) (string, bool, error) {
	res, err := claimAlarmScript.Run(ctx, s.rdb, []string{s.prefix + key}, candidate, ttl.Milliseconds()).Slice()
	if err != nil {
		return "", false, fmt.Errorf("redisstate: claim alarm: %w", err)
	}
	if len(res) != 2 {
		return "", false, fmt.Errorf("redisstate: claim alarm: unexpected reply %v", res)
	}
	won, _ := res[0].(int64)
	value, _ := res[1].(string)
	if value == "" {
		// The key lapsed between the two steps of the script: impossible inside one script,
		// but an empty name would merge unrelated alarms, so never hand one out.
		return "", false, fmt.Errorf("redisstate: claim alarm: empty value")
	}
	return value, won == 1, nil
}

// ClearAlarm forgets the alarm under key.
func (s *Store) ClearAlarm(ctx context.Context, key string) error {
	if err := s.rdb.Del(ctx, s.prefix+key).Err(); err != nil {
		return fmt.Errorf("redisstate: clear alarm: %w", err)
	}
	return nil
}
