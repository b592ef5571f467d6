package graph

import (
	"container/heap"
	"context"
	"math"
	"sync"
)

// Limiter bounds the number of HTTP requests in flight across every client
// that shares it (igexport.concurrency). A client holds a slot only for the
// network round trip — sending the request and reading the body — never
// while it sleeps for backoff, pacing or throttling, so a throttled account
// does not starve the others. A nil *Limiter does not limit.
//
// When requests wait for a slot, the oldest client goes first: each client
// created with the limiter takes a ticket, and a freed slot goes to the
// waiting request with the lowest ticket (first come, first served among
// equals). Accounts started earlier therefore finish earlier instead of all
// accounts of a run advancing in lockstep and finishing together, which
// leaves the last few to run alone with slots to spare; and an account's
// listing (its media pages, the chain every insights batch waits behind)
// goes before its own insights batches, whose clients are created after it.
type Limiter struct {
	n int

	mu      sync.Mutex
	used    int
	seq     uint64 // arrival order of waiters
	tickets uint64 // tickets handed to clients
	waiting waiters
}

// NewLimiter returns a limiter allowing n requests in flight (n < 1 means 1).
func NewLimiter(n int) *Limiter {
	if n < 1 {
		n = 1
	}
	return &Limiter{n: n}
}

// Cap is the number of requests the limiter lets through at once; 0 for a
// nil limiter (unbounded).
func (l *Limiter) Cap() int {
	if l == nil {
		return 0
	}
	return l.n
}

// InFlight is the number of slots currently held.
func (l *Limiter) InFlight() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.used
}

// ticket returns the next client ticket (0 for a nil limiter).
func (l *Limiter) ticket() uint64 {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tickets++
	return l.tickets
}

// Acquire takes a slot, waiting until one is free or ctx is done. It waits
// behind every client's request (the lowest priority).
func (l *Limiter) Acquire(ctx context.Context) error {
	return l.acquire(ctx, math.MaxUint64)
}

// acquire takes a slot for a request of priority prio (lower goes first).
func (l *Limiter) acquire(ctx context.Context, prio uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if l == nil {
		return nil
	}
	l.mu.Lock()
	if l.used < l.n && len(l.waiting) == 0 {
		l.used++
		l.mu.Unlock()
		return nil
	}
	l.seq++
	w := &waiter{prio: prio, seq: l.seq, ready: make(chan struct{})}
	heap.Push(&l.waiting, w)
	l.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		if w.index < 0 { // a slot was handed over meanwhile: pass it on
			l.mu.Unlock()
			l.Release()
			return ctx.Err()
		}
		heap.Remove(&l.waiting, w.index)
		l.mu.Unlock()
		return ctx.Err()
	}
}

// Release returns a slot taken by Acquire: to the first waiting request,
// if any.
func (l *Limiter) Release() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.waiting) > 0 {
		w := heap.Pop(&l.waiting).(*waiter)
		close(w.ready) // the slot passes to w: used does not change
		return
	}
	if l.used > 0 {
		l.used--
	}
}

// waiter is a request waiting for a slot.
type waiter struct {
	prio, seq uint64
	index     int // in the heap; -1 once handed a slot
	ready     chan struct{}
}

// waiters is a min-heap by (prio, seq).
type waiters []*waiter

func (h waiters) Len() int { return len(h) }
func (h waiters) Less(i, j int) bool {
	if h[i].prio != h[j].prio {
		return h[i].prio < h[j].prio
	}
	return h[i].seq < h[j].seq
}
func (h waiters) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *waiters) Push(x any) {
	w := x.(*waiter)
	w.index = len(*h)
	*h = append(*h, w)
}
func (h *waiters) Pop() any {
	old := *h
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	w.index = -1
	return w
}
