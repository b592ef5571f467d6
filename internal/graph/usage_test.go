package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseUsage(t *testing.T) {
	for _, tc := range []struct {
		name     string
		buc, app string
		want     Usage
		ok       bool
	}{
		{"none", "", "", Usage{}, false},
		{"app usage", "", `{"call_count":28,"total_time":25,"total_cputime":31}`, Usage{Percent: 31}, true},
		{"instagram entry", `{"1784":[{"type":"instagram","call_count":12,"total_cputime":40,"total_time":3,"estimated_time_to_regain_access":0}]}`, "",
			Usage{Percent: 40}, true},
		{"instagram preferred over others", `{"1784":[{"type":"instagram","call_count":60,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":0}],
			"999":[{"type":"pages","call_count":99,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":7}]}`, "",
			Usage{Percent: 60}, true},
		{"other types when no instagram", `{"999":[{"type":"pages","call_count":95,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":7}]}`, "",
			Usage{Percent: 95, Regain: 7 * time.Minute}, true},
		{"two instagram entries", `{"a":[{"type":"instagram","call_count":100,"estimated_time_to_regain_access":19}],"b":[{"type":"instagram","call_count":20}]}`, "",
			Usage{Percent: 100, Regain: 19 * time.Minute}, true},
		{"both headers: max", `{"a":[{"type":"instagram","call_count":50}]}`, `{"call_count":80,"total_time":1,"total_cputime":1}`,
			Usage{Percent: 80}, true},
		{"numbers as strings", `{"a":[{"type":"instagram","call_count":"77","estimated_time_to_regain_access":"2"}]}`, "",
			Usage{Percent: 77, Regain: 2 * time.Minute}, true},
		{"malformed BUC ignored", `{"a":`, `{"call_count":10}`, Usage{Percent: 10}, true},
		{"malformed both", `nope`, `[1]`, Usage{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.buc != "" {
				h.Set(HeaderBusinessUseCaseUsage, tc.buc)
			}
			if tc.app != "" {
				h.Set(HeaderAppUsage, tc.app)
			}
			got, ok := ParseUsage(h)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("ParseUsage = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestPaceDelay(t *testing.T) {
	for _, tc := range []struct {
		usage, max int
		want       time.Duration
	}{
		{50, 75, 0}, {75, 75, 0}, {80, 75, 2 * time.Second}, {85, 75, 4 * time.Second},
		{90, 75, 6 * time.Second}, {99, 75, 9600 * time.Millisecond}, {100, 75, 10 * time.Second},
		{150, 75, 10 * time.Second}, {95, 90, 5 * time.Second}, {99, 100, 0},
	} {
		if got := PaceDelay(tc.usage, tc.max, 10*time.Second); got != tc.want {
			t.Errorf("PaceDelay(%d, %d) = %v, want %v", tc.usage, tc.max, got, tc.want)
		}
	}
}

func TestPacingFromHeaders(t *testing.T) {
	for _, tc := range []struct {
		name      string
		hdr       []string
		maxUsage  int
		wantSleep string
		wantLast  int
		waited    time.Duration
	}{
		{"below threshold", []string{HeaderAppUsage, `{"call_count":70,"total_time":1,"total_cputime":1}`}, 0, "[]", 70, 0},
		{"app usage 85", []string{HeaderAppUsage, `{"call_count":85,"total_time":1,"total_cputime":1}`}, 0, "[4s 4s]", 85, 0},
		{"instagram 90", []string{HeaderBusinessUseCaseUsage, bucHeader(90, 0)}, 0, "[6s 6s]", 90, 0},
		{"custom threshold", []string{HeaderBusinessUseCaseUsage, bucHeader(90, 0)}, 80, "[5s 5s]", 90, 0},
		// At 100 the first paced request pauses until the regain time (a
		// throttle wait); the reading is then consumed.
		{"at 100 pauses until regain", []string{HeaderBusinessUseCaseUsage, bucHeader(100, 2)}, 0, "[2m0s]", 100, 2 * time.Minute},
		{"at 100 without regain: backoff", []string{HeaderBusinessUseCaseUsage, bucHeader(100, 0)}, 0, "[500ms]", 100, 500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					writeJSON(w, 200, map[string]any{}, tc.hdr...)
					return
				}
				writeJSON(w, 200, map[string]any{}) // no headers: the last reading stays
			})
			c, fc := clientFor(t, srv.URL, func(o *Options) { o.MaxUsagePercent = tc.maxUsage })
			for range 3 {
				if err := c.Get(context.Background(), "/x", nil, nil); err != nil {
					t.Fatal(err)
				}
			}
			if got := fmt.Sprint(fc.Sleeps()); got != tc.wantSleep {
				t.Errorf("sleeps %s, want %s", got, tc.wantSleep)
			}
			s := c.Stats()
			if s.LastUsagePercent != tc.wantLast || s.ThrottleWaited != tc.waited {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func TestPacingAt100DefersPastMaxWait(t *testing.T) {
	var n atomic.Int32
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		writeJSON(w, 200, map[string]any{}, HeaderBusinessUseCaseUsage, bucHeader(100, 45))
	})
	c, fc := clientFor(t, srv.URL, nil)
	if err := c.Get(context.Background(), "/x", nil, nil); err != nil {
		t.Fatal(err)
	}
	err := c.Get(context.Background(), "/x", nil, nil)
	if !errors.Is(err, ErrDeferred) || n.Load() != 1 || len(fc.Sleeps()) != 0 {
		t.Fatalf("err %v, %d requests, sleeps %v", err, n.Load(), fc.Sleeps())
	}
}

func TestPacingSpacesConcurrentRequests(t *testing.T) {
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{}, HeaderAppUsage, `{"call_count":85,"total_time":1,"total_cputime":1}`)
	})
	c, _ := clientFor(t, srv.URL, nil)
	if err := c.Get(context.Background(), "/x", nil, nil); err != nil {
		t.Fatal(err)
	}
	// Pace directly: four concurrent requests at the same instant get slots
	// 4s apart, not four parallel 4s sleeps.
	clk := &recordingClock{now: time.Unix(0, 0)}
	c.clock = clk
	done := make(chan struct{})
	for range 4 {
		go func() {
			_ = c.pace(context.Background(), request{endpoint: "/x"})
			done <- struct{}{}
		}()
	}
	for range 4 {
		<-done
	}
	if got := fmt.Sprint(clk.sorted()); got != "[4s 8s 12s 16s]" {
		t.Fatalf("pacing slots %s", got)
	}
}

// recordingClock never advances; it records sleeps.
type recordingClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (r *recordingClock) Now() time.Time { return r.now }
func (r *recordingClock) Sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.sleeps = append(r.sleeps, d)
	r.mu.Unlock()
	return nil
}
func (r *recordingClock) sorted() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := slices.Clone(r.sleeps)
	slices.Sort(s)
	return s
}
