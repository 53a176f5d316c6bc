package bottest

import (
	"sync"
	"time"
)

// Changes lets the fake servers of tests tell waiters that their state changed: long polls
// answer at once, and tests wait for a condition without sleeping. The zero value is ready.
type Changes struct {
	mu sync.Mutex
	ch chan struct{}
}

// Next returns a channel closed at the next change.
func (c *Changes) Next() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ch == nil {
		c.ch = make(chan struct{})
	}
	return c.ch
}

// Notify wakes everything waiting for a change.
func (c *Changes) Notify() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ch != nil {
		close(c.ch)
	}
	c.ch = make(chan struct{})
}

// Wait waits up to timeout for cond to hold and reports whether it did. It checks cond after
// every change, and every few milliseconds for conditions on anything else (the bot's store,
// its readiness).
func (c *Changes) Wait(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		next := c.Next()
		if cond() {
			return true
		}
		select {
		case <-next:
		case <-tick.C:
		case <-deadline.C:
			return cond()
		}
	}
}
