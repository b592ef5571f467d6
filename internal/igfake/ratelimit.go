package igfake

import (
	"net/http"
	"time"
)

// nominalBudget is the call budget the usage headers are computed against
// when Faults.ThrottleAfter is 0 (never throttle): 4800 calls × 1 impression.
const nominalBudget = 4800

// budget is the rate-limit state of one key (an IG user id, or "app").
type budget struct {
	calls        int // every call ever charged (UsageAfter)
	count        int // calls in the current window
	windowStart  time.Time
	blockedUntil time.Time
}

func (s *Server) limitKey(accountID string) string {
	if s.o.Faults.UsageHeader == "app" {
		return "app" // X-App-Usage: one app-wide budget
	}
	return accountID
}

// charge counts one call against the account's budget (the rolling window
// is 24 h) and answers the throttle error once the budget is spent. Calls
// while blocked extend the block; the budget resets when a block ends.
func (s *Server) charge(accountID string) *apiError {
	f := s.o.Faults
	now := s.o.Now()
	key := s.limitKey(accountID)
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.limits[key]
	if b == nil {
		b = &budget{windowStart: now}
		s.limits[key] = b
	}
	b.calls++
	if !b.blockedUntil.IsZero() {
		if now.Before(b.blockedUntil) {
			b.blockedUntil = now.Add(f.ThrottleFor)
			s.st.Throttled++
			return errThrottle(f.ThrottleCode, f.ThrottleHTTP429)
		}
		b.count, b.blockedUntil, b.windowStart = 0, time.Time{}, now
	}
	if now.Sub(b.windowStart) >= 24*time.Hour {
		b.count, b.windowStart = 0, now
	}
	b.count++
	if f.ThrottleAfter > 0 && b.count > f.ThrottleAfter {
		b.blockedUntil = now.Add(f.ThrottleFor)
		s.st.Throttled++
		return errThrottle(f.ThrottleCode, f.ThrottleHTTP429)
	}
	return nil
}

// usage returns the whole-number percentages and the minutes to regain
// access of a budget; the caller holds s.mu.
func (s *Server) usage(b *budget, now time.Time) (calls, cpu, total, minutes int) {
	size := s.o.Faults.ThrottleAfter
	if size <= 0 {
		size = nominalBudget
	}
	calls = b.count * 100 / size
	if s.o.Faults.ThrottleAfter <= 0 {
		calls = min(calls, 99)
	}
	if now.Before(b.blockedUntil) {
		calls = max(calls, 100)
		minutes = int((b.blockedUntil.Sub(now) + time.Minute - 1) / time.Minute)
		minutes = max(minutes, 1)
	}
	return calls, calls / 2, calls * 4 / 5, minutes
}

// usageHeaders sets X-Business-Use-Case-Usage (one entry per account the
// response touched) or X-App-Usage, once UsageAfter calls were charged.
func (s *Server) usageHeaders(h http.Header, accounts []string) {
	f := s.o.Faults
	if f.UsageHeader == "none" || len(accounts) == 0 {
		return
	}
	now := s.o.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.UsageHeader == "app" {
		b := s.limits["app"]
		if b == nil || b.calls <= f.UsageAfter {
			return
		}
		c, cpu, t, _ := s.usage(b, now)
		h.Set("X-App-Usage", string(encode(obj{{"call_count", c}, {"total_time", t}, {"total_cputime", cpu}})))
		return
	}
	v := obj{}
	for _, id := range accounts {
		if _, dup := v.get(id); dup || len(v) == 32 {
			continue
		}
		b := s.limits[id]
		if b == nil || b.calls <= f.UsageAfter {
			continue
		}
		c, cpu, t, m := s.usage(b, now)
		v = append(v, kv{id, []any{obj{{"type", "instagram"}, {"call_count", c}, {"total_cputime", cpu},
			{"total_time", t}, {"estimated_time_to_regain_access", m}}}})
	}
	if len(v) > 0 {
		h.Set("X-Business-Use-Case-Usage", string(encode(v)))
	}
}
