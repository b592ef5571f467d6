package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

func TestExpCapAndBackoff(t *testing.T) {
	c := New(Options{Token: "t"})
	c.rand = func() float64 { return 1 }
	var got []time.Duration
	for n := 1; n <= 9; n++ {
		got = append(got, c.backoff(n))
	}
	if fmt.Sprint(got) != "[500ms 1s 2s 4s 8s 16s 30s 30s 30s]" {
		t.Fatalf("backoff caps %v", got)
	}
	c.rand = func() float64 { return 0.25 }
	if d := c.backoff(3); d != 500*time.Millisecond {
		t.Fatalf("full jitter: %v", d)
	}
	if d := expCap(time.Second, time.Hour, 1000); d != time.Hour {
		t.Fatalf("overflow guard: %v", d)
	}
}

// throttleServer answers n throttles, then success.
func throttleServer(t *testing.T, throttles int, status int, body any, hdr ...string) (*atomic.Int32, string) {
	t.Helper()
	var n atomic.Int32
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if int(n.Add(1)) <= throttles {
			writeJSON(w, status, body, hdr...)
			return
		}
		writeJSON(w, 200, map[string]any{"id": "1"})
	})
	return &n, srv.URL
}

func TestThrottle(t *testing.T) {
	e80002 := graphErr(80002, 0, "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again.", false)
	e4 := graphErr(4, 0, "(#4) Application request limit reached", true)
	for _, tc := range []struct {
		name      string
		throttles int
		status    int
		body      any
		hdr       []string
		retry     RetryPolicy
		wantN     int
		wantSleep string
		deferred  bool
		waited    time.Duration
	}{
		{name: "regain from BUC header", throttles: 1, status: 400, body: e80002,
			hdr: []string{HeaderBusinessUseCaseUsage, bucHeader(100, 3)}, wantN: 2, wantSleep: "[3m0s]", waited: 3 * time.Minute},
		{name: "no header: exponential backoff, not bound by MaxAttempts", throttles: 6, status: 400, body: e4,
			wantN: 7, wantSleep: "[500ms 1s 2s 4s 8s 16s]", waited: 31500 * time.Millisecond},
		{name: "HTTP 429 without a Graph body", throttles: 2, status: 429, body: "slow down",
			wantN: 3, wantSleep: "[500ms 1s]", waited: 1500 * time.Millisecond},
		{name: "code 17", throttles: 1, status: 400, body: graphErr(17, 0, "(#17) User request limit reached", false),
			wantN: 2, wantSleep: "[500ms]", waited: 500 * time.Millisecond},
		{name: "code 613", throttles: 1, status: 400, body: graphErr(613, 1996, "custom", false),
			wantN: 2, wantSleep: "[500ms]", waited: 500 * time.Millisecond},
		{name: "throttle backoff capped by ThrottleMaxDelay", throttles: 4, status: 400, body: e4,
			retry: RetryPolicy{ThrottleMaxDelay: 2 * time.Second}, wantN: 5, wantSleep: "[500ms 1s 2s 2s]", waited: 5500 * time.Millisecond},
		{name: "deferred past MaxWait", throttles: 100, status: 400, body: e80002,
			hdr:   []string{HeaderBusinessUseCaseUsage, bucHeader(100, 3)},
			retry: RetryPolicy{MaxWait: 5 * time.Minute}, wantN: 2, wantSleep: "[3m0s]", deferred: true, waited: 3 * time.Minute},
		{name: "regain beyond MaxWait defers at once", throttles: 100, status: 400, body: e80002,
			hdr: []string{HeaderBusinessUseCaseUsage, bucHeader(100, 60)}, wantN: 1, wantSleep: "[]", deferred: true},
		{name: "backoff waits deferred past MaxWait", throttles: 100, status: 400, body: e4,
			retry: RetryPolicy{MaxWait: 3 * time.Second}, wantN: 3, wantSleep: "[500ms 1s]", deferred: true, waited: 1500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, base := throttleServer(t, tc.throttles, tc.status, tc.body, tc.hdr...)
			c, fc := clientFor(t, base, func(o *Options) { o.Retry = tc.retry })
			err := c.Get(context.Background(), "/17841400000000001/insights", nil, nil)
			if got := int(n.Load()); got != tc.wantN {
				t.Errorf("requests = %d, want %d", got, tc.wantN)
			}
			if got := fmt.Sprint(fc.Sleeps()); got != tc.wantSleep {
				t.Errorf("sleeps = %s, want %s", got, tc.wantSleep)
			}
			s := c.Stats()
			if s.ThrottleWaited != tc.waited {
				t.Errorf("ThrottleWaited = %v, want %v", s.ThrottleWaited, tc.waited)
			}
			if !tc.deferred {
				if err != nil {
					t.Fatal(err)
				}
				if s.ThrottleWaits != int64(tc.throttles) || s.Retries != int64(tc.throttles) {
					t.Errorf("stats %+v", s)
				}
				return
			}
			if !errors.Is(err, ErrDeferred) {
				t.Fatalf("err = %v, want ErrDeferred", err)
			}
			var ae *Error
			if !errors.As(err, &ae) || !ae.Throttle() {
				t.Fatalf("deferred error does not wrap the throttle *Error: %v", err)
			}
			// Sticky: the client makes no further requests.
			before := n.Load()
			if err2 := c.Get(context.Background(), "/other", nil, nil); !errors.Is(err2, ErrDeferred) || n.Load() != before {
				t.Fatalf("after deferral: %v, %d more requests", err2, n.Load()-before)
			}
		})
	}
}

func TestNeverRetriedWhileThrottleStreak(t *testing.T) {
	// A throttle followed by a permission error: one wait, no retry of the
	// permission error.
	var n atomic.Int32
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			writeJSON(w, 400, graphErr(4, 0, "(#4) Application request limit reached", true))
			return
		}
		writeJSON(w, 403, graphErr(200, 0, "(#200) Requires pages_read_engagement permission", false))
	})
	c, _ := clientFor(t, srv.URL, nil)
	err := c.Get(context.Background(), "/x", nil, nil)
	var ae *Error
	if !errors.As(err, &ae) || !ae.Permission() || n.Load() != 2 {
		t.Fatalf("err %v after %d requests", err, n.Load())
	}
}
