package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guanjia/guanjia/storage/embedded"
)

// TestGoroutinesReturnToBaseline: after many messages on the in-process embedded Redis the
// program is back to the goroutines it had before them (it grew 33 → 166 over 2,000): the
// Redis connections a burst opened are closed again but for a few, each of which cost a
// goroutine serving it.
func TestGoroutinesReturnToBaseline(t *testing.T) {
	cfg := testConfig(t)
	cfg.RedisURL = ""
	cfg.EmbeddedRedis = embedded.KindInProcess
	ta := openTestApp(t, cfg, newClock(), io.Discard)
	defer ta.Close()
	people := []string{"张三", "李四", "李奶奶", "王管家", "刘师傅", "赵主管"}
	// Bursts of 40 people at once, as a busy Telegram bot gets them.
	say := func(n int) {
		for i := 0; i < n; i += 40 {
			var wg sync.WaitGroup
			for j := i; j < i+40; j++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ta.say(t, fmt.Sprintf("%s%d: 你好", people[j%len(people)], j))
				}()
			}
			wg.Wait()
		}
	}
	say(40)
	base := settle(0)
	say(800)
	// Each connection the in-process Redis serves is two goroutines, one of them here.
	served := strings.Count(stacks(), "server.(*Server).servePeer(0x")
	for deadline := time.Now().Add(3 * time.Second); served > 2*redisIdleConns && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		served = strings.Count(stacks(), "server.(*Server).servePeer(0x")
	}
	if served > 2*redisIdleConns {
		t.Errorf("goroutines %d → %d; %d Redis connections still served after the bursts, want no more than twice the %d kept idle:\n%s",
			base, runtime.NumGoroutine(), served, redisIdleConns, stacks())
	}
}

func stacks() string {
	buf := make([]byte, 4<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// settle waits up to 3 s for the goroutines to drop to want, and returns how many there are.
func settle(want int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(3 * time.Second); n > want && time.Now().Before(deadline); n = runtime.NumGoroutine() {
		time.Sleep(50 * time.Millisecond)
	}
	return n
}
