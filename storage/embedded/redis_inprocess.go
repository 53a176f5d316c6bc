package embedded

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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

// snapshotEvery bounds how much an unclean exit (a crash, kill -9) of the in-process Redis
// can lose.
const snapshotEvery = 30 * time.Second

// ttlTick is how often the in-process Redis ages its keys' TTLs. miniredis's own ClockTTL
// ages every key on every command, which makes each command cost as much as the whole
// database; a ticker does the same work once a second.
const ttlTick = time.Second

// snapshotTimeout bounds one snapshot; 100,000 keys take well under a second.
const snapshotTimeout = 60 * time.Second

// SnapshotFile is the name of the file, inside the folder given to the in-process Redis,
// that keeps its data across restarts.
const SnapshotFile = "redis-snapshot.json"

// memRedis is the in-process fallback (miniredis) for machines without redis-server. Keys
// expire on the wall clock and the data survives restarts through a snapshot file written
// every 30 seconds and on Close; a crash loses what changed since the last snapshot. Only
// database 0 is saved.
type memRedis struct {
	mr       *miniredis.Miniredis
	snap     *redis.Client // reads queues for snapshots, see takeSnapshot
	path     string
	password string
	log      *slog.Logger
	stop     chan struct{}
	done     chan struct{}
	closed   sync.Once
	err      error
}

// startInProcess starts miniredis on a random port of 127.0.0.1 with a password, restoring
// the snapshot in dir (created if needed) when there is one. A snapshot that cannot be read
// is an error rather than a silent fresh start, because it may hold queued work.
func startInProcess(dir string, log *slog.Logger) (*memRedis, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("embedded: redis folder: %w", err)
	}
	mr := miniredis.NewMiniRedis()
	path := filepath.Join(dir, SnapshotFile)
	// Restore before listening, so no client ever sees a half-restored state.
	restored, skipped, err := restoreSnapshot(mr, path, time.Now())
	if err != nil {
		return nil, fmt.Errorf("embedded: restore redis snapshot %s: %w", path, err)
	}
	password, err := randomToken()
	if err != nil {
		return nil, err
	}
	// Other processes on the data folder reach this server on loopback; the password, kept
	// in the folder, keeps other local users out.
	mr.RequireAuth(password)
	if err := mr.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("embedded: start redis: %w", err)
	}
	r := &memRedis{
		mr: mr,
		snap: redis.NewClient(&redis.Options{
			// An in-memory pipe: snapshots need no port and cannot be refused.
			Dialer:          func(context.Context, string, string) (net.Conn, error) { return mr.Dial() },
			Password:        password,
			Protocol:        2,
			DisableIdentity: true,
			PoolSize:        1,
			ReadTimeout:     snapshotTimeout, // a snapshot of many keys is one long reply
		}),
		path:     path,
		password: password,
		log:      log,
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	log.Warn("embedded redis runs in-process: a crash or kill -9 loses up to the last 30 seconds of conversations and queued messages; install redis-server (apt install redis-server) to keep everything",
		"addr", mr.Addr(), "restored_keys", restored, "expired_keys", skipped)
	go r.loop()
	return r, nil
}

// randomToken is a password for an embedded Redis.
func randomToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("embedded: redis password: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// loop ages TTLs every ttlTick and saves a snapshot every snapshotEvery until Close.
func (r *memRedis) loop() {
	defer close(r.done)
	ttl := time.NewTicker(ttlTick)
	defer ttl.Stop()
	snap := time.NewTicker(snapshotEvery)
	defer snap.Stop()
	last := time.Now()
	for {
		select {
		case <-r.stop:
			return
		case now := <-ttl.C:
			r.mr.FastForward(now.Sub(last))
			last = now
		case <-snap.C:
			if err := r.save(); err != nil {
				r.log.Error("redis snapshot failed", "err", err)
			}
		}
	}
}

// save writes a snapshot, replacing the previous one only once the new one is complete.
func (r *memRedis) save() error {
	ctx, cancel := context.WithTimeout(context.Background(), snapshotTimeout)
	defer cancel()
	start := time.Now()
	snap, unsupported, err := takeSnapshot(ctx, r.mr, r.snap, start)
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

// close stops the loop, writes a final snapshot and shuts the server down. Writes that
// arrive after the final snapshot are lost, so close Redis clients first. Calling close
// again returns the first result.
func (r *memRedis) close() error {
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
