package graph

import (
	"context"
	"fmt"
	"time"
)

// RetryPolicy bounds retries and throttle waits. Zero fields take defaults.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts (first one included) for a
	// transient failure (default 5). Throttling does not use attempts: it is
	// bounded by MaxWait.
	MaxAttempts int
	// BaseDelay (default 500ms) and MaxDelay (default 30s) shape the
	// exponential backoff with full jitter: attempt n sleeps a uniform random
	// duration in [0, min(MaxDelay, BaseDelay·2^(n-1))).
	BaseDelay, MaxDelay time.Duration
	// MaxWait bounds the total throttle wait of a client, or of the
	// clients sharing a Pacer (default 30m); a wait that would pass it ends
	// the call with an error wrapping [ErrDeferred].
	MaxWait time.Duration
	// ThrottleMaxDelay caps the backoff used for a throttle error that gives
	// no estimated_time_to_regain_access (default 5m; an addition to the
	// contract: a 30s cap would poke a one-hour app throttle dozens of times,
	// and every call made while throttled lengthens the block). Such waits
	// are never shorter than BaseDelay.
	ThrottleMaxDelay time.Duration
}

// Defaults for [RetryPolicy].
const (
	DefaultMaxAttempts      = 5
	DefaultBaseDelay        = 500 * time.Millisecond
	DefaultMaxDelay         = 30 * time.Second
	DefaultMaxWait          = 30 * time.Minute
	DefaultThrottleMaxDelay = 5 * time.Minute
)

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultMaxDelay
	}
	if p.MaxWait <= 0 {
		p.MaxWait = DefaultMaxWait
	}
	if p.ThrottleMaxDelay <= 0 {
		p.ThrottleMaxDelay = DefaultThrottleMaxDelay
	}
	return p
}

// expCap is min(limit, base·2^(n-1)) for n ≥ 1, without overflow.
func expCap(base, limit time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// backoff is the full-jitter delay before retry n (n ≥ 1) of a transient
// failure.
func (c *Client) backoff(n int) time.Duration {
	return time.Duration(c.rand() * float64(expCap(c.retry.BaseDelay, c.retry.MaxDelay, n)))
}

// throttleBackoffLocked is the wait for a throttle without a regain time:
// full jitter over an exponential cap that grows with the client's streak of
// throttles, never below BaseDelay. c.p.mu must be held.
func (c *Client) throttleBackoffLocked() time.Duration {
	c.p.ps.streak++
	d := time.Duration(c.rand() * float64(expCap(c.retry.BaseDelay, c.retry.ThrottleMaxDelay, c.p.ps.streak)))
	return max(d, c.retry.BaseDelay)
}

// waitThrottle waits out a throttle error: regain when the response's usage
// header gave estimated_time_to_regain_access, else the throttle backoff.
// It fails with an error wrapping ErrDeferred and cause when the wait would
// take the client's total past MaxWait.
func (c *Client) waitThrottle(ctx context.Context, endpoint string, cause *Error, regain time.Duration) error {
	c.p.mu.Lock()
	now := c.clock.Now()
	wait := regain
	if wait > 0 {
		c.p.ps.streak++
	} else {
		wait = c.throttleBackoffLocked()
	}
	c.p.ps.usage, c.p.ps.regain = 0, 0 // reading consumed by this pause: pace must not pause or slow down for it again
	err := c.reserveLocked(now, endpoint, wait, cause, "")
	until := c.p.ps.blockedUntil
	total := c.p.waited
	c.p.mu.Unlock()
	if err != nil {
		c.log.Warn("graph: throttled past max wait, deferring", "endpoint", Redact(endpoint), "err", err.Error())
		return err
	}
	d := until.Sub(now)
	c.log.Warn("graph: throttled, waiting", "endpoint", Redact(endpoint), "wait", d, "throttle_waited", total, "err", cause.Error())
	if err := c.clock.Sleep(ctx, d); err != nil {
		return &safeError{msg: "graph: " + Redact(endpoint) + ": " + err.Error(), err: err}
	}
	return nil
}

// reserveLocked books a throttle pause of wait from now. Pauses of
// concurrent requests (of every client of the pacer) overlap, so only the
// part past the current pause counts toward MaxWait. When the total would
// pass MaxWait the pacer defers: the error is stored and returned by every
// later call of its clients. c.p.mu must be held.
func (c *Client) reserveLocked(now time.Time, endpoint string, wait time.Duration, cause *Error, reason string) error {
	if c.p.deferred != nil {
		return c.p.deferred
	}
	start := now
	if c.p.ps.blockedUntil.After(start) {
		start = c.p.ps.blockedUntil
	}
	end := now.Add(wait)
	var booked time.Duration
	if ext := end.Sub(start); ext > 0 {
		if c.p.waited+ext > c.retry.MaxWait {
			what := "graph: " + Redact(endpoint) + ": " + reason
			if cause != nil {
				what = cause.Error()
			}
			msg := fmt.Sprintf("%s: %s (throttled %s so far; waiting another %s would pass the max wait of %s)",
				what, ErrDeferred, c.p.waited.Round(time.Second), wait.Round(time.Second), c.retry.MaxWait)
			c.p.deferred = &deferredError{msg: msg, cause: cause}
			return c.p.deferred
		}
		c.p.waited += ext
		c.p.ps.blockedUntil = end
		booked = ext
	}
	c.mu.Lock() // lock order: c.p.mu, then c.mu
	c.stats.ThrottleWaited += booked
	c.stats.ThrottleWaits++
	c.mu.Unlock()
	return nil
}

// deferredError is returned once throttling passed MaxWait. It matches
// ErrDeferred and, when there was one, the throttle *Error.
type deferredError struct {
	msg   string
	cause *Error
}

func (e *deferredError) Error() string { return e.msg }

func (e *deferredError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrDeferred}
	}
	return []error{ErrDeferred, e.cause}
}
