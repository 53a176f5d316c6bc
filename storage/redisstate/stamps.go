package redisstate

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Stamp is the current stamp of name (see mongostore.Stamper); empty when none is set.
func (s *Store) Stamp(ctx context.Context, name string) (string, error) {
	v, err := s.rdb.Get(ctx, s.prefix+"stamp:"+name).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("redisstate: stamp %s: %w", name, err)
	}
	return v, nil
}

// Restamp gives name a new random stamp, one no reader has seen: even a Redis that lost the
// old stamp and counted again could not hand out one a reader still holds.
func (s *Store) Restamp(ctx context.Context, name string) error {
	if err := s.rdb.Set(ctx, s.prefix+"stamp:"+name, rand.Text(), 0).Err(); err != nil {
		return fmt.Errorf("redisstate: restamp %s: %w", name, err)
	}
	return nil
}
