package graph

import "context"

// Limiter bounds the number of HTTP requests in flight across every client
// that shares it (igexport.concurrency). A client holds a slot only for the
// network round trip — sending the request and reading the body — never
// while it sleeps for backoff, pacing or throttling, so a throttled account
// does not starve the others. A nil *Limiter does not limit.
type Limiter struct {
	slots chan struct{}
}

// NewLimiter returns a limiter allowing n requests in flight (n < 1 means 1).
func NewLimiter(n int) *Limiter {
	if n < 1 {
		n = 1
	}
	return &Limiter{slots: make(chan struct{}, n)}
}

// Cap is the number of requests the limiter lets through at once; 0 for a
// nil limiter (unbounded).
func (l *Limiter) Cap() int {
	if l == nil {
		return 0
	}
	return cap(l.slots)
}

// InFlight is the number of slots currently held.
func (l *Limiter) InFlight() int {
	if l == nil {
		return 0
	}
	return len(l.slots)
}

// Acquire takes a slot, waiting until one is free or ctx is done.
func (l *Limiter) Acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if l == nil {
		return nil
	}
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Release returns a slot taken by Acquire.
func (l *Limiter) Release() {
	if l == nil {
		return
	}
	<-l.slots
}
