package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// serverStateFile, in the redis-server folder, names the running server (pid, address,
// password), so that a guanjia started after a kill -9 finds the server it left behind.
const serverStateFile = "server.json"

// serverWait bounds how long starting or stopping redis-server may take; loading a large
// append-only file takes a few seconds.
const serverWait = 60 * time.Second

// serverRedis is a redis-server child process keeping its append-only file in a folder.
type serverRedis struct {
	dir      string
	addr     string
	password string
	pid      int
	cmd      *exec.Cmd     // nil when the server was left running by an earlier process
	exited   chan struct{} // closed when cmd has exited; nil with cmd
	log      *slog.Logger
	closed   sync.Once
	err      error
}

// serverState is the content of serverStateFile.
type serverState struct {
	PID      int    `json:"pid"`
	Addr     string `json:"addr"`
	Password string `json:"password"`
}

// startServer starts redis-server (the binary bin) with its files in dir, or takes over the
// one an earlier process left running there.
func startServer(dir, bin, fsync string, log *slog.Logger) (*serverRedis, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded: redis folder: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: redis folder: %w", err)
	}
	if s, ok := adoptServer(dir, log); ok {
		// It keeps the settings it was started with; the fsync asked for now applies.
		c := s.client()
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.ConfigSet(ctx, "appendfsync", fsync).Err(); err != nil {
			log.Warn("embedded redis: appendfsync of the server taken over", "err", err)
		}
		return s, nil
	}
	password, err := randomToken()
	if err != nil {
		return nil, err
	}
	var lastErr error
	for range 3 { // a port found free can be taken before redis-server binds it
		s, err := spawnServer(dir, bin, fsync, password, log)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "already in use") {
			break
		}
	}
	return nil, lastErr
}

// adoptServer takes over a redis-server that an earlier, killed process left running in dir:
// it answers with the password kept in dir and serves dir. One that does not answer is
// stopped, so that two servers never write the same append-only file.
func adoptServer(dir string, log *slog.Logger) (*serverRedis, bool) {
	b, err := os.ReadFile(filepath.Join(dir, serverStateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	var st serverState
	if err != nil || json.Unmarshal(b, &st) != nil {
		log.Warn("embedded redis: unreadable server state, starting afresh", "err", err)
		return nil, false
	}
	if !isRedisServer(st.PID) {
		return nil, false // it died with the machine or was killed: start one on its file
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: st.Addr, Password: st.Password, DisableIdentity: true, MaxRetries: -1})
	defer c.Close()
	if got, err := c.ConfigGet(ctx, "dir").Result(); err == nil && got["dir"] == dir {
		log.Warn("embedded redis: taking over the redis-server an earlier guanjia left running", "pid", st.PID, "addr", st.Addr)
		return &serverRedis{dir: dir, addr: st.Addr, password: st.Password, pid: st.PID, log: log}, true
	}
	log.Warn("embedded redis: stopping a redis-server of this folder that does not answer", "pid", st.PID)
	stopPID(st.PID)
	return nil, false
}

// isRedisServer reports whether pid is a running redis-server.
func isRedisServer(pid int) bool {
	if pid <= 0 {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && strings.Contains(string(b), "redis-server")
}

// stopPID asks pid to stop and kills it if it has not within serverWait.
func stopPID(pid int) {
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(serverWait)
	for time.Now().Before(deadline) {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

// spawnServer starts redis-server on a free loopback port and waits until it answers.
func spawnServer(dir, bin, fsync, password string, log *slog.Logger) (*serverRedis, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	logFile := filepath.Join(dir, "redis.log")
	// The password stays out of the command line, which every local user can read.
	conf := strings.Join([]string{
		"bind 127.0.0.1",
		"port " + strconv.Itoa(port),
		"protected-mode yes",
		"daemonize no",
		"dir " + strconv.Quote(dir),
		"logfile " + strconv.Quote(logFile),
		"appendonly yes",
		"appendfsync " + fsync,
		`save ""`,
		"requirepass " + password,
	}, "\n") + "\n"
	confPath := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		return nil, fmt.Errorf("embedded: redis-server config: %w", err)
	}
	before := logSize(logFile)
	cmd := exec.Command(bin, confPath)
	cmd.Dir = dir
	// Its own process group: Ctrl-C at the terminal reaches guanjia, which then closes its
	// clients and stops the server last; the server must not stop first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("embedded: start %s: %w", bin, err)
	}
	s := &serverRedis{dir: dir, addr: addr, password: password, pid: cmd.Process.Pid, cmd: cmd, exited: make(chan struct{}), log: log}
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(); err != nil {
		_ = cmd.Process.Kill()
		<-s.exited
		return nil, fmt.Errorf("embedded: redis-server did not start: %w%s", err, logTail(logFile, before))
	}
	b, _ := json.Marshal(serverState{PID: s.pid, Addr: addr, Password: password})
	if err := writeFileAtomic(filepath.Join(dir, serverStateFile), b); err != nil {
		_ = s.close()
		return nil, err
	}
	return s, nil
}

// client is a client of the server.
func (s *serverRedis) client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: s.addr, Password: s.password, DisableIdentity: true, MaxRetries: -1})
}

// waitReady pings until the server answers; it answers LOADING while it reads its file.
func (s *serverRedis) waitReady() error {
	c := s.client()
	defer c.Close()
	deadline := time.Now().Add(serverWait)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return errors.New("it exited")
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return err
		}
	}
}

// closeOnce is close, once; later calls return the first result.
func (s *serverRedis) closeOnce() error {
	s.closed.Do(func() { s.err = s.close() })
	return s.err
}

// close stops the server: SHUTDOWN makes it write and sync its append-only file first.
func (s *serverRedis) close() error {
	c := s.client()
	ctx, cancel := context.WithTimeout(context.Background(), serverWait)
	defer cancel()
	err := c.Shutdown(ctx).Err()
	_ = c.Close()
	if err != nil && !isConnClosed(err) {
		s.log.Warn("embedded redis: SHUTDOWN failed, stopping it with SIGTERM", "err", err)
		_ = syscall.Kill(s.pid, syscall.SIGTERM)
	}
	if s.cmd != nil {
		select {
		case <-s.exited:
		case <-time.After(serverWait):
			_ = s.cmd.Process.Kill()
			<-s.exited
			return errors.New("embedded: redis-server did not stop; killed")
		}
	} else {
		for deadline := time.Now().Add(serverWait); syscall.Kill(s.pid, 0) == nil; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				return errors.New("embedded: redis-server did not stop")
			}
		}
	}
	_ = os.Remove(filepath.Join(s.dir, serverStateFile))
	return nil
}

// isConnClosed reports whether err is the server hanging up, which is how SHUTDOWN succeeds.
func isConnClosed(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) ||
		strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "connection reset")
}

// freePort finds a port of 127.0.0.1 that is free now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("embedded: find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func logSize(path string) int64 {
	if st, err := os.Stat(path); err == nil {
		return st.Size()
	}
	return 0
}

// logTail is what redis-server wrote to its log since offset, to say why it did not start.
func logTail(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) <= offset {
		return ""
	}
	b = b[offset:]
	if len(b) > 800 {
		b = b[len(b)-800:]
	}
	return ": " + strings.TrimSpace(string(b))
}

// writeFileAtomic replaces path with data, readable by the owner only.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("embedded: write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("embedded: write %s: %w", path, err)
	}
	return nil
}
