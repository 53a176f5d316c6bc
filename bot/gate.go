package bot

import (
	"container/heap"
	"sync"
)

// gate lets a bounded number of messages be handled at once, admitting those waiting in the
// order they arrived (by their sequence number), not in the order their goroutines happened
// to reach it: in a burst the first to arrive are answered first.
type gate struct {
	mu      sync.Mutex
	free    int
	waiting waiters
}

func newGate(n int) *gate { return &gate{free: max(n, 1)} }

type waiter struct {
	seq   uint64
	ready chan struct{}
}

// waiters is a min-heap by sequence number.
type waiters []*waiter

func (w waiters) Len() int           { return len(w) }
func (w waiters) Less(i, j int) bool { return w[i].seq < w[j].seq }
func (w waiters) Swap(i, j int)      { w[i], w[j] = w[j], w[i] }
func (w *waiters) Push(x any)        { *w = append(*w, x.(*waiter)) }
func (w *waiters) Pop() any {
	old := *w
	last := old[len(old)-1]
	*w = old[:len(old)-1]
	return last
}

// enter waits for a place; seq is the message's arrival number.
func (g *gate) enter(seq uint64) {
	g.mu.Lock()
	if g.free > 0 && len(g.waiting) == 0 {
		g.free--
		g.mu.Unlock()
		return
	}
	w := &waiter{seq: seq, ready: make(chan struct{})}
	heap.Push(&g.waiting, w)
	g.mu.Unlock()
	<-w.ready
}

// leave gives the place to the earliest message waiting.
func (g *gate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.waiting) > 0 {
		close(heap.Pop(&g.waiting).(*waiter).ready)
		return
	}
	g.free++
}
