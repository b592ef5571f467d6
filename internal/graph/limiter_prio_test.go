package graph

import (
	"context"
	"sync"
	"testing"
	"time"
)

// A freed slot goes to the waiting request of the oldest client (lowest
// ticket), first come first served among equals.
func TestLimiterServesOlderClientsFirst(t *testing.T) {
	l := NewLimiter(1)
	if err := l.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i, prio := range []uint64{5, 3, 9, 3, 1} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.acquire(context.Background(), prio); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			l.Release()
		}()
		waitFor(t, func() bool { l.mu.Lock(); defer l.mu.Unlock(); return len(l.waiting) == i+1 })
	}
	l.Release()
	wg.Wait()
	if want := []int{4, 1, 3, 0, 2}; len(order) != len(want) || order[0] != 4 || order[1] != 1 || order[2] != 3 || order[3] != 0 || order[4] != 2 {
		t.Errorf("served %v, want %v (by ticket, then arrival)", order, want)
	}
	if l.InFlight() != 0 {
		t.Errorf("in flight %d", l.InFlight())
	}
}

// Clients take increasing tickets from their limiter.
func TestLimiterTickets(t *testing.T) {
	l := NewLimiter(2)
	a := New(Options{BaseURL: "http://127.0.0.1:1", Limiter: l})
	b := New(Options{BaseURL: "http://127.0.0.1:1", Limiter: l})
	if a.ticket == 0 || b.ticket <= a.ticket {
		t.Errorf("tickets %d, %d", a.ticket, b.ticket)
	}
	if c := New(Options{BaseURL: "http://127.0.0.1:1"}); c.ticket != 0 {
		t.Errorf("no limiter: ticket %d", c.ticket)
	}
}

// A waiter whose context ends leaves the queue; one whose context ends as
// it is handed a slot passes the slot on. No slot leaks either way.
func TestLimiterCancelWhileWaiting(t *testing.T) {
	l := NewLimiter(1)
	_ = l.Acquire(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- l.acquire(ctx, 1) }()
	waitFor(t, func() bool { l.mu.Lock(); defer l.mu.Unlock(); return len(l.waiting) == 1 })
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("acquire after cancel: nil error")
	}
	l.Release()
	if l.InFlight() != 0 {
		t.Fatalf("in flight %d after cancel and release", l.InFlight())
	}
	for i := 0; i < 200; i++ {
		_ = l.Acquire(context.Background())
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = l.acquire(ctx, 1); close(done) }()
		waitFor(t, func() bool { l.mu.Lock(); defer l.mu.Unlock(); return len(l.waiting) == 1 })
		go cancel()
		l.Release()
		<-done
		// Whoever got the slot (the waiter, or nobody after it passed it
		// on) must leave it free once the waiter's release ran.
		if ctx.Err() == nil {
			cancel()
		}
		waitFor(t, func() bool { return l.InFlight() <= 1 })
		if l.InFlight() == 1 {
			l.Release() // the waiter won the slot before its context ended
		}
		if l.InFlight() != 0 {
			t.Fatalf("round %d: in flight %d", i, l.InFlight())
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(100 * time.Microsecond)
	}
}
