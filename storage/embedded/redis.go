package embedded

import (
	"fmt"
	"log/slog"
	"net/url"
	"os/exec"
	"path/filepath"
)

// Kinds of embedded Redis, as RedisOptions.Server and Redis.Kind name them.
const (
	// KindServer is a redis-server child process with an append-only file.
	KindServer = "redis-server"
	// KindInProcess is miniredis inside guanjia, saved by snapshots.
	KindInProcess = "in-process"
)

// RedisOptions says how to run the embedded Redis.
type RedisOptions struct {
	// Server is "" to use redis-server when it is on the PATH and the in-process fallback
	// otherwise, KindInProcess for the fallback, or the path of a redis-server binary.
	Server string
	// Fsync is redis-server's appendfsync: "everysec" (when empty) or "always".
	Fsync string
	// Log receives the embedded Redis's messages; nil discards them.
	Log *slog.Logger
}

// Redis is the embedded Redis of the zero-setup default, listening on 127.0.0.1 with a
// password. It is a redis-server child process keeping an append-only file in its folder
// when redis-server is installed — nothing acknowledged is lost when guanjia or the server
// is killed — and otherwise miniredis inside the process, saved every 30 seconds.
type Redis struct {
	kind     string
	addr     string
	password string
	server   *serverRedis
	mem      *memRedis
}

// StartRedis starts the embedded Redis with its files in dir, as OpenRedis does with
// default options.
func StartRedis(dir string, logger *slog.Logger) (*Redis, error) {
	return OpenRedis(dir, RedisOptions{Log: logger})
}

// OpenRedis starts the embedded Redis with its files in dir (created if needed): a
// redis-server child, or one that an earlier, killed process left running in dir, or the
// in-process fallback, as opts says.
func OpenRedis(dir string, opts RedisOptions) (*Redis, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "embedded_redis")
	fsync := opts.Fsync
	switch fsync {
	case "":
		fsync = "everysec"
	case "everysec", "always":
	default:
		return nil, fmt.Errorf("embedded: redis fsync %q: want everysec or always", fsync)
	}
	bin := opts.Server
	if bin == "" {
		if found, err := exec.LookPath("redis-server"); err == nil {
			bin = found
		} else {
			bin = KindInProcess
		}
	}
	if bin == KindInProcess {
		m, err := startInProcess(dir, log)
		if err != nil {
			return nil, err
		}
		return &Redis{kind: KindInProcess, addr: m.mr.Addr(), password: m.password, mem: m}, nil
	}
	s, err := startServer(filepath.Join(dir, "redis"), bin, fsync, log)
	if err != nil {
		return nil, err
	}
	log.Info("embedded redis started", "kind", KindServer, "addr", s.addr, "pid", s.pid(), "appendfsync", fsync)
	return &Redis{kind: KindServer, addr: s.addr, password: s.password, server: s}, nil
}

// Kind is KindServer or KindInProcess.
func (r *Redis) Kind() string { return r.kind }

// Addr returns the host:port the server listens on.
func (r *Redis) Addr() string { return r.addr }

// URL returns a redis:// URL for database 0, password included, ready for redis.ParseURL.
func (r *Redis) URL() string {
	u := url.URL{Scheme: "redis", User: url.UserPassword("", r.password), Host: r.addr, Path: "/0"}
	return u.String()
}

// PID is the redis-server's process id; 0 for the in-process fallback.
func (r *Redis) PID() int {
	if r.server != nil {
		return r.server.pid()
	}
	return 0
}

// Close stops the server, saving its data: redis-server syncs its append-only file, the
// fallback writes a final snapshot. Writes that arrive afterwards are lost, so close Redis
// clients first. Calling Close again returns the first result.
func (r *Redis) Close() error {
	if r.mem != nil {
		return r.mem.close()
	}
	if r.server != nil {
		return r.server.closeOnce()
	}
	return nil
}
