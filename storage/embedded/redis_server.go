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

// serverRedis is a redis-server keeping its append-only file in a folder: a child process,
// or one an earlier, killed process left running there. When it stops on its own (a crash,
// the OOM killer, kill -9) it is started again on the same port and file.
type serverRedis struct {
	dir      string
	bin      string
	conf     string
	addr     string
	password string
	log      *slog.Logger

	mu   sync.Mutex
	proc *serverProc // the process serving now

	stop   chan struct{} // closed by close: stop restarting
	done   chan struct{} // closed when supervise has returned
	closed sync.Once
	err    error
}

// serverProc is one redis-server process.
type serverProc struct {
	pid    int
	exited chan struct{} // closed once the process is gone
	kill   func()
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
	s := &serverRedis{dir: dir, bin: bin, conf: filepath.Join(dir, "redis.conf"), log: log,
		stop: make(chan struct{}), done: make(chan struct{})}
	if s.adopt() {
		// It keeps the settings it was started with; the fsync asked for now applies.
		c := s.client()
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.ConfigSet(ctx, "appendfsync", fsync).Err(); err != nil {
			log.Warn("embedded redis: appendfsync of the server taken over", "err", err)
		}
		go s.supervise()
		return s, nil
	}
	if s.password, err = randomToken(); err != nil {
		return nil, err
	}
	var lastErr error
	for range 3 { // a port found free can be taken before redis-server binds it
		if err := s.configure(fsync); err != nil {
			return nil, err
		}
		p, err := s.spawn()
		if err == nil {
			s.proc = p
			if err := s.writeState(); err != nil {
				s.proc.kill()
				<-s.proc.exited
				return nil, err
			}
			go s.supervise()
			return s, nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "already in use") {
			break
		}
	}
	return nil, lastErr
}

// adopt takes over a redis-server that an earlier, killed process left running in the
// folder: it answers with the password kept there and serves that folder. One that does not
// answer is stopped, so that two servers never write the same append-only file.
func (s *serverRedis) adopt() bool {
	b, err := os.ReadFile(filepath.Join(s.dir, serverStateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	var st serverState
	if err != nil || json.Unmarshal(b, &st) != nil {
		s.log.Warn("embedded redis: unreadable server state, starting afresh", "err", err)
		return false
	}
	if !isRedisServer(st.PID) {
		return false // it died with the machine or was killed: start one on its file
	}
	s.addr, s.password = st.Addr, st.Password
	c := s.client()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if got, err := c.ConfigGet(ctx, "dir").Result(); err == nil && got["dir"] == s.dir {
		s.log.Warn("embedded redis: taking over the redis-server an earlier guanjia left running", "pid", st.PID, "addr", st.Addr)
		s.proc = watchPID(st.PID)
		return true
	}
	s.log.Warn("embedded redis: stopping a redis-server of this folder that does not answer", "pid", st.PID)
	stopPID(st.PID)
	s.addr, s.password = "", ""
	return false
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

// watchPID follows a process that is not a child of this one.
func watchPID(pid int) *serverProc {
	p := &serverProc{pid: pid, exited: make(chan struct{}), kill: func() { _ = syscall.Kill(pid, syscall.SIGKILL) }}
	go func() {
		for syscall.Kill(pid, 0) == nil {
			time.Sleep(200 * time.Millisecond)
		}
		close(p.exited)
	}()
	return p
}

// configure writes redis.conf for a free loopback port. The password stays out of the
// command line, which every local user can read.
func (s *serverRedis) configure(fsync string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	s.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	conf := strings.Join([]string{
		"bind 127.0.0.1",
		"port " + strconv.Itoa(port),
		"protected-mode yes",
		"daemonize no",
		"dir " + strconv.Quote(s.dir),
		"logfile " + strconv.Quote(filepath.Join(s.dir, "redis.log")),
		"appendonly yes",
		"appendfsync " + fsync,
		`save ""`,
		"requirepass " + s.password,
	}, "\n") + "\n"
	if err := os.WriteFile(s.conf, []byte(conf), 0o600); err != nil {
		return fmt.Errorf("embedded: redis-server config: %w", err)
	}
	return nil
}

// spawn starts redis-server on s.conf and waits until it answers.
func (s *serverRedis) spawn() (*serverProc, error) {
	logFile := filepath.Join(s.dir, "redis.log")
	before := logSize(logFile)
	cmd := exec.Command(s.bin, s.conf)
	cmd.Dir = s.dir
	// Its own process group: Ctrl-C at the terminal reaches guanjia, which then closes its
	// clients and stops the server last; the server must not stop first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("embedded: start %s: %w", s.bin, err)
	}
	p := &serverProc{pid: cmd.Process.Pid, exited: make(chan struct{}), kill: func() { _ = cmd.Process.Kill() }}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	if err := s.waitReady(p); err != nil {
		p.kill()
		<-p.exited
		return nil, fmt.Errorf("embedded: redis-server did not start: %w%s", err, logTail(logFile, before))
	}
	return p, nil
}

// supervise starts the server again whenever it stops before close asks it to.
func (s *serverRedis) supervise() {
	defer close(s.done)
	for {
		s.mu.Lock()
		p := s.proc
		s.mu.Unlock()
		select {
		case <-s.stop:
			return
		case <-p.exited:
		}
		s.log.Error("embedded redis: redis-server stopped; starting it again on its append-only file", "pid", p.pid)
		for {
			np, err := s.spawn()
			if err == nil {
				s.mu.Lock()
				s.proc = np
				s.mu.Unlock()
				if err := s.writeState(); err != nil {
					s.log.Error("embedded redis: server state", "err", err)
				}
				break
			}
			s.log.Error("embedded redis: restart failed", "err", err)
			select {
			case <-s.stop:
				return
			case <-time.After(time.Second):
			}
		}
	}
}

// writeState records the serving process for a later start to find.
func (s *serverRedis) writeState() error {
	s.mu.Lock()
	st := serverState{PID: s.proc.pid, Addr: s.addr, Password: s.password}
	s.mu.Unlock()
	b, _ := json.Marshal(st)
	return writeFileAtomic(filepath.Join(s.dir, serverStateFile), b)
}

// pid is the serving process's id.
func (s *serverRedis) pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc.pid
}

// client is a client of the server.
func (s *serverRedis) client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: s.addr, Password: s.password, DisableIdentity: true, MaxRetries: -1})
}

// waitReady pings until the server answers; it answers LOADING while it reads its file.
func (s *serverRedis) waitReady(p *serverProc) error {
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
		case <-p.exited:
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
	close(s.stop)
	<-s.done
	p := s.proc
	c := s.client()
	ctx, cancel := context.WithTimeout(context.Background(), serverWait)
	defer cancel()
	err := c.Shutdown(ctx).Err()
	_ = c.Close()
	if err != nil && !isConnClosed(err) {
		s.log.Warn("embedded redis: SHUTDOWN failed, stopping it with SIGTERM", "err", err)
		_ = syscall.Kill(p.pid, syscall.SIGTERM)
	}
	select {
	case <-p.exited:
	case <-time.After(serverWait):
		p.kill()
		<-p.exited
		return errors.New("embedded: redis-server did not stop; killed")
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
