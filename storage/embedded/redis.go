package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// snapshotEvery bounds how much an unclean exit (a crash, kill -9) can lose.
const snapshotEvery = 30 * time.Second

// SnapshotFile is the name of the file, inside the folder given to StartRedis, that keeps
// the embedded Redis's data across restarts.
const SnapshotFile = "redis-snapshot.json"

// Redis is an in-process Redis-compatible server (miniredis) for the zero-setup default.
// Unlike a bare miniredis, keys expire on the wall clock and the data survives restarts
// through a snapshot file written every 30 seconds and on Close. Only database 0 is saved.
type Redis struct {
	mr     *miniredis.Miniredis
	snap   *redis.Client // reads snapshots through the server, see takeSnapshot
	path   string
	log    *slog.Logger
	stop   chan struct{}
	done   chan struct{}
	closed sync.Once
	err    error
}

// StartRedis starts the server on a random port of 127.0.0.1, restoring the snapshot in dir
// (created if needed) when there is one, and begins saving snapshots there. A snapshot that
// cannot be read is an error rather than a silent fresh start, because it may hold queued work.
func StartRedis(dir string, logger *slog.Logger) (*Redis, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("embedded: redis folder: %w", err)
	}
	mr := miniredis.NewMiniRedis()
	// Without ClockTTL miniredis only ages keys on FastForward; with it, TTLs follow the
	// wall clock and expired keys vanish on the next command.
	mr.ClockTTL(true)
	path := filepath.Join(dir, SnapshotFile)
	// Restore before listening, so no client ever sees a half-restored state.
	restored, skipped, err := restoreSnapshot(mr, path, time.Now())
	if err != nil {
		return nil, fmt.Errorf("embedded: restore redis snapshot %s: %w", path, err)
	}
	if err := mr.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("embedded: start redis: %w", err)
	}
	r := &Redis{
		mr: mr,
		snap: redis.NewClient(&redis.Options{
			// An in-memory pipe: snapshots need no port and cannot be refused.
			Dialer:          func(context.Context, string, string) (net.Conn, error) { return mr.Dial() },
			Protocol:        2,
			DisableIdentity: true,
			PoolSize:        1,
		}),
		path: path,
		log:  logger.With("component", "embedded_redis"),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	r.log.Info("embedded redis started", "addr", mr.Addr(), "restored_keys", restored, "expired_keys", skipped)
	go r.loop()
	return r, nil
}

// Addr returns the host:port the server listens on.
func (r *Redis) Addr() string { return r.mr.Addr() }

// URL returns a redis:// URL for database 0, ready for redis.ParseURL.
func (r *Redis) URL() string { return "redis://" + r.mr.Addr() + "/0" }

// loop saves a snapshot every snapshotEvery until Close.
func (r *Redis) loop() {
	defer close(r.done)
	t := time.NewTicker(snapshotEvery)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			if err := r.save(); err != nil {
				r.log.Error("redis snapshot failed", "err", err)
			}
		}
	}
}

// save writes a snapshot, replacing the previous one only once the new one is complete.
func (r *Redis) save() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	snap, unsupported, err := takeSnapshot(ctx, r.snap, start)
	if err != nil {
		return err
	}
	if unsupported > 0 {
		r.log.Warn("redis snapshot left out keys of unsupported types", "unsupported_keys", unsupported)
	}
	if err := writeSnapshot(r.path, snap); err != nil {
		return err
	}
	r.log.Debug("redis snapshot saved", "keys", len(snap.Keys), "duration_ms", time.Since(start).Milliseconds())
	return nil
}

// Close stops the snapshot goroutine, writes a final snapshot and shuts the server down.
// Writes that arrive after the final snapshot are lost, so close Redis clients first.
// Calling Close again returns the first result.
func (r *Redis) Close() error {
	r.closed.Do(func() {
		close(r.stop)
		<-r.done
		var errs []error
		if err := r.save(); err != nil {
			errs = append(errs, fmt.Errorf("embedded: final redis snapshot: %w", err))
		}
		if err := r.snap.Close(); err != nil {
			errs = append(errs, fmt.Errorf("embedded: redis snapshot client: %w", err))
		}
		r.mr.Close()
		r.err = errors.Join(errs...)
	})
	return r.err
}
