package redisstate

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// The inbound journal of one channel:
//
//	journal:<ch>         hash of update id → the update as the platform sent it
//	journal:<ch>:offset  the next update id to ask the platform for
//
// A channel records an update here before it confirms it to the platform and removes it once
// the update is handled, so an update received but not handled when the process stopped is
// handled after the restart instead of being lost.

func (s *Store) journalKey(channel string) string { return s.prefix + "journal:" + channel }

// JournalAppend records the raw update id of channel. Appending an id again replaces it, so a
// platform that delivers an update twice leaves one entry.
func (s *Store) JournalAppend(ctx context.Context, channel string, id int64, raw []byte) error {
	if err := s.rdb.HSet(ctx, s.journalKey(channel), strconv.FormatInt(id, 10), raw).Err(); err != nil {
		return fmt.Errorf("redisstate: journal append %s:%d: %w", channel, id, err)
	}
	return nil
}

// JournalPending returns the updates of channel recorded and not yet removed, by id. The map
// has no order; update ids are not always increasing, so callers sort them when order matters.
func (s *Store) JournalPending(ctx context.Context, channel string) (map[int64][]byte, error) {
	all, err := s.rdb.HGetAll(ctx, s.journalKey(channel)).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstate: journal pending %s: %w", channel, err)
	}
	pending := make(map[int64][]byte, len(all))
	for field, raw := range all {
		id, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("redisstate: journal pending %s: bad id %q: %w", channel, field, err)
		}
		pending[id] = []byte(raw)
	}
	return pending, nil
}

// JournalRemove forgets the update once it is handled. Removing an absent id is not an error,
// because a redelivered update may be removed twice.
func (s *Store) JournalRemove(ctx context.Context, channel string, id int64) error {
	if err := s.rdb.HDel(ctx, s.journalKey(channel), strconv.FormatInt(id, 10)).Err(); err != nil {
		return fmt.Errorf("redisstate: journal remove %s:%d: %w", channel, id, err)
	}
	return nil
}

// SaveOffset remembers the next update id to ask the platform for, so a restart does not
// fetch again what is already in the journal.
func (s *Store) SaveOffset(ctx context.Context, channel string, offset int64) error {
	if err := s.rdb.Set(ctx, s.journalKey(channel)+":offset", offset, 0).Err(); err != nil {
		return fmt.Errorf("redisstate: save offset %s: %w", channel, err)
	}
	return nil
}

// Offset returns the offset saved for channel, or 0 when none was saved: 0 asks the platform
// for every update it still holds.
func (s *Store) Offset(ctx context.Context, channel string) (int64, error) {
	n, err := s.rdb.Get(ctx, s.journalKey(channel)+":offset").Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("redisstate: offset %s: %w", channel, err)
	}
	return n, nil
}
