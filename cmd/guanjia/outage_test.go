package main

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guanjia/guanjia/storage/mongostore"
)

// redisProxy forwards to the real Redis and can be cut, as an outage.
type redisProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	down  bool
	conns []net.Conn
}

func newRedisProxy(t *testing.T) *redisProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &redisProxy{ln: ln}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.cut() })
	return p
}

func (p *redisProxy) url() string { return "redis://" + p.ln.Addr().String() }

func (p *redisProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", "127.0.0.1:6379")
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); up.Close() }()
		go func() { _, _ = io.Copy(c, up); c.Close() }()
	}
}

// cut drops every connection and refuses new ones until restore.
func (p *redisProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *redisProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// syncBuffer is the console's output, read while the console writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRedisOutageApologisesAndLosesNothing confirms a repair while Redis is down: the resident
// is told at once that something went wrong (the queue being down, directly), and when Redis
// is back the confirmation is handled — the ticket filed once and its number told.
func TestRedisOutageApologisesAndLosesNothing(t *testing.T) {
	proxy := newRedisProxy(t)
	cfg := testConfig(t)
	cfg.RedisURL = proxy.url()
	out := &syncBuffer{}
	app := openTestApp(t, cfg, newClock(), out)
	defer app.Close()
	app.Mux.Retry = []time.Duration{300 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond,
		time.Second, time.Second, time.Second, time.Second, time.Second, time.Second}
	app.say(t, "张三: 报修", "张三: 1", "张三: 1", "张三: 厨房水龙头一直滴水", "张三: 跳过", "张三: 1")

	proxy.cut()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = app.con.Line(context.Background(), app.Mux, "张三: 1")
	}()
	waitFor(t, func() bool { return strings.Contains(out.String(), "[张三] 抱歉，系统暂时出了点问题") })
	select {
	case <-done:
		t.Fatalf("the confirmation was given up while Redis was down:\n%s", out.String())
	case <-time.After(time.Second):
	}
	proxy.restore()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatalf("the confirmation was not handled after Redis came back:\n%s", out.String())
	}
	text := out.String()
	if n := strings.Count(text, "抱歉，系统暂时出了点问题"); n != 1 {
		t.Errorf("apologised %d times, want once:\n%s", n, text)
	}
	list, err := app.Store.TicketsByReporter(context.Background(), mongostore.SampleCommunity, "p-zhangsan", 0)
	if err != nil || len(list) != 1 {
		t.Fatalf("张三's tickets: %d, %v; want 1\n%s", len(list), err, text)
	}
	if n := strings.Count(text, "[张三] 报修已提交，工单号 "+list[0].No); n != 1 {
		t.Errorf("张三 told his number %d times, want once:\n%s", n, text)
	}
}
