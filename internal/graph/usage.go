package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Usage header names.
const (
	HeaderBusinessUseCaseUsage = "X-Business-Use-Case-Usage"
	HeaderAppUsage             = "X-App-Usage"
)

// Usage is what the usage headers of one response report.
type Usage struct {
	// Percent is the highest of call_count, total_cputime and total_time
	// over the X-App-Usage object and the X-Business-Use-Case-Usage entries
	// of type "instagram" (all entries when none is "instagram").
	Percent int
	// Regain is the longest estimated_time_to_regain_access of those
	// entries (given in minutes by the API); 0 when not blocked.
	Regain time.Duration
}

type usageCounts struct {
	Type      string  `json:"type"`
	CallCount flexInt `json:"call_count"`
	CPUTime   flexInt `json:"total_cputime"`
	TotalTime flexInt `json:"total_time"`
	Regain    flexInt `json:"estimated_time_to_regain_access"`
}

func (u usageCounts) percent() int { return max(int(u.CallCount), int(u.CPUTime), int(u.TotalTime)) }

// ParseUsage reads the usage headers of a response. ok is false when
// neither header is present and valid (headers only appear once enough
// calls were made; a malformed one is ignored).
func ParseUsage(h http.Header) (u Usage, ok bool) {
	if v := h.Get(HeaderBusinessUseCaseUsage); v != "" {
		var m map[string][]usageCounts
		if json.Unmarshal([]byte(v), &m) == nil {
			var ig, all []usageCounts
			for _, entries := range m {
				for _, e := range entries {
					all = append(all, e)
					if e.Type == "instagram" {
						ig = append(ig, e)
					}
				}
			}
			if len(ig) == 0 {
				ig = all
			}
			for _, e := range ig {
				ok = true
				u.Percent = max(u.Percent, e.percent())
				u.Regain = max(u.Regain, time.Duration(e.Regain)*time.Minute)
			}
		}
	}
	if v := h.Get(HeaderAppUsage); v != "" {
		var a usageCounts
		if json.Unmarshal([]byte(v), &a) == nil {
			ok = true
			u.Percent = max(u.Percent, a.percent())
		}
	}
	return u, ok
}

// PaceDelay is the delay added before each request at usage percent when
// the threshold is maxPercent: maxDelay × (usage − max)/(100 − max), capped
// at maxDelay; 0 at or below the threshold.
func PaceDelay(usage, maxPercent int, maxDelay time.Duration) time.Duration {
	if usage <= maxPercent || maxPercent >= 100 {
		return 0
	}
	if usage >= 100 {
		return maxDelay
	}
	return time.Duration(float64(maxDelay) * float64(usage-maxPercent) / float64(100-maxPercent))
}

// Pacer is the throttling and pacing state of one rate-limit subject: the
// clients that share it (the streams of one Instagram account, whose calls
// count against one X-Business-Use-Case-Usage budget) pause together on a
// throttle error or a usage reading at 100 %, slow down together above
// MaxUsagePercent, escalate one backoff streak, count their throttle waits
// toward one MaxWait, and defer together once it is passed. Without a
// shared Pacer each client has its own. A Pacer is safe for concurrent use.
type Pacer struct {
	mu       sync.Mutex
	ps       paceState
	waited   time.Duration // throttle pauses booked, overlaps counted once (MaxWait)
	deferred error         // sticky once throttling passed MaxWait
}

// NewPacer returns the shared state for the clients of one account.
func NewPacer() *Pacer { return &Pacer{} }

// paceState is the throttling and pacing state, guarded by Pacer.mu.
type paceState struct {
	usage        int           // last usage percent seen; 0 once a pause consumed it
	regain       time.Duration // its regain time
	streak       int           // consecutive throttles, for backoff
	blockedUntil time.Time     // end of the current throttle pause
	lastSlot     time.Time     // last paced send time
}

// observe records the usage headers of a response and returns the reading
// (zero when absent). Absent headers leave the last reading in place, until
// a throttle pause consumes it.
func (c *Client) observe(h http.Header) Usage {
	if h == nil {
		return Usage{}
	}
	u, ok := ParseUsage(h)
	if !ok {
		return Usage{}
	}
	c.p.mu.Lock()
	c.p.ps.usage, c.p.ps.regain = u.Percent, u.Regain
	c.p.mu.Unlock()
	c.mu.Lock()
	c.stats.LastUsagePercent = u.Percent
	c.mu.Unlock()
	return u
}

// succeeded resets the throttle streak after a successful response.
func (c *Client) succeeded() {
	c.p.mu.Lock()
	c.p.ps.streak = 0
	c.p.mu.Unlock()
}

// pace runs before every request. It fails fast once the pacer deferred;
// at ≥ 100 % usage it pauses (once per reading) until the regain time, or a
// throttle backoff, counted toward MaxWait; above MaxUsagePercent it spaces
// the pacer's requests by PaceDelay; and it waits out any throttle pause
// another request of this pacer started. No limiter slot is held here.
func (c *Client) pace(ctx context.Context, r request) error {
	c.p.mu.Lock()
	if c.p.deferred != nil {
		err := c.p.deferred
		c.p.mu.Unlock()
		return err
	}
	now := c.clock.Now()
	if c.p.ps.usage >= 100 {
		wait := c.p.ps.regain
		if wait > 0 {
			c.p.ps.streak++
		} else {
			wait = c.throttleBackoffLocked()
		}
		usage := c.p.ps.usage
		c.p.ps.usage, c.p.ps.regain = 0, 0 // consumed: the next response brings a fresh reading
		reason := "usage headers report " + strconv.Itoa(usage) + "% of the rate limit"
		if err := c.reserveLocked(now, r.endpoint, wait, nil, reason); err != nil {
			c.p.mu.Unlock()
			c.log.Warn("graph: usage at limit past max wait, deferring", "endpoint", Redact(r.endpoint), "err", err.Error())
			return err
		}
		c.log.Warn("graph: usage at limit, pausing", "endpoint", Redact(r.endpoint), "usage", usage, "wait", wait)
	}
	until := now
	if c.p.ps.blockedUntil.After(until) {
		until = c.p.ps.blockedUntil
	}
	if d := PaceDelay(c.p.ps.usage, c.maxUsage, c.maxPace); d > 0 {
		at := until
		if c.p.ps.lastSlot.After(at) {
			at = c.p.ps.lastSlot
		}
		at = at.Add(d)
		c.p.ps.lastSlot = at
		c.mu.Lock()
		c.stats.PaceWaits++
		c.stats.PaceWaited += at.Sub(until)
		c.mu.Unlock()
		c.log.Debug("graph: pacing", "endpoint", Redact(r.endpoint), "usage", c.p.ps.usage, "delay", at.Sub(until))
		until = at
	}
	c.p.mu.Unlock()
	if d := until.Sub(now); d > 0 {
		if err := c.clock.Sleep(ctx, d); err != nil {
			return c.ctxError(r, err)
		}
	}
	return nil
}
