package graph

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLimiterBoundsInFlightAcrossClients(t *testing.T) {
	var inflight, peak atomic.Int32
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		cur := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		if r.Method == http.MethodPost {
			_ = r.ParseForm()
			writeJSON(w, 200, []any{opResult(200, map[string]any{})}) // batches of one op below
			return
		}
		writeJSON(w, 200, map[string]any{"id": "1"})
	})
	lim := NewLimiter(3)
	var clients []*Client
	for range 4 {
		c, _ := clientFor(t, srv.URL, func(o *Options) { o.Limiter = lim; o.HTTPClient = srv.Client() })
		clients = append(clients, c)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for g := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := clients[g%len(clients)]
			for range 8 {
				if g%3 == 0 {
					if _, err := c.Batch(context.Background(), []Request{{Path: "/m/insights"}}); err != nil {
						errs <- err
					}
					continue
				}
				if err := c.Get(context.Background(), "/x", nil, nil); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if p := peak.Load(); p > 3 {
		t.Fatalf("peak in flight %d > limiter 3", p)
	} else if p < 2 {
		t.Fatalf("peak in flight %d: the test did not exercise concurrency", p)
	}
	if lim.InFlight() != 0 {
		t.Fatalf("slots leaked: %d", lim.InFlight())
	}
	var total int64
	for _, c := range clients {
		total += c.Stats().RoundTrips
	}
	if total != 96 {
		t.Fatalf("round trips %d", total)
	}
}

// gateClock blocks in Sleep until released, so a test can act while a
// client is sleeping.
type gateClock struct {
	fakeClock
	sleeping chan time.Duration
	release  chan struct{}
}

func (g *gateClock) Sleep(ctx context.Context, d time.Duration) error {
	g.sleeping <- d
	select {
	case <-g.release:
		return g.fakeClock.Sleep(ctx, d)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestLimiterNotHeldWhileSleeping(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first func(w http.ResponseWriter)
		want  time.Duration
	}{
		{"throttle wait", func(w http.ResponseWriter) {
			writeJSON(w, 400, graphErr(80002, 0, "(#80002) too many calls", false), HeaderBusinessUseCaseUsage, bucHeader(100, 1))
		}, time.Minute},
		{"transient backoff", func(w http.ResponseWriter) { writeJSON(w, 503, map[string]any{}) }, 500 * time.Millisecond},
		{"pacing", func(w http.ResponseWriter) {
			writeJSON(w, 200, map[string]any{}, HeaderAppUsage, `{"call_count":95,"total_time":1,"total_cputime":1}`)
		}, 8 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var aCalls atomic.Int32
			srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/v23.0/a" && aCalls.Add(1) == 1 {
					tc.first(w)
					return
				}
				writeJSON(w, 200, map[string]any{"ok": true})
			})
			lim := NewLimiter(1)
			gc := &gateClock{fakeClock: *newFakeClock(), sleeping: make(chan time.Duration, 1), release: make(chan struct{})}
			a := New(Options{BaseURL: srv.URL, Token: testToken, Limiter: lim, Clock: gc, HTTPClient: srv.Client()})
			a.rand = func() float64 { return 1 }
			b, _ := clientFor(t, srv.URL, func(o *Options) { o.Limiter = lim; o.HTTPClient = srv.Client() })

			aErr := make(chan error, 1)
			go func() {
				err := a.Get(context.Background(), "/a", nil, nil)
				if err == nil && tc.name == "pacing" {
					err = a.Get(context.Background(), "/a", nil, nil) // the paced request
				}
				aErr <- err
			}()
			var d time.Duration
			select {
			case d = <-gc.sleeping:
			case <-time.After(10 * time.Second):
				t.Fatal("client A never slept")
			}
			if d != tc.want {
				t.Errorf("A sleeps %v, want %v", d, tc.want)
			}
			if n := lim.InFlight(); n != 0 {
				t.Fatalf("limiter slot held while sleeping: %d", n)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := b.Get(ctx, "/b", nil, nil); err != nil {
				t.Fatalf("B blocked while A slept: %v", err)
			}
			close(gc.release)
			if err := <-aErr; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestLimiterBasics(t *testing.T) {
	var nilLim *Limiter
	if err := nilLim.Acquire(context.Background()); err != nil || nilLim.Cap() != 0 {
		t.Fatal("nil limiter must not limit")
	}
	nilLim.Release()
	l := NewLimiter(0)
	if l.Cap() != 1 {
		t.Fatalf("cap %d", l.Cap())
	}
	if err := l.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := l.Acquire(ctx); err == nil {
		t.Fatal("acquired a second slot")
	}
	l.Release()
	canceled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := l.Acquire(canceled); err == nil {
		t.Fatal("acquired with a canceled ctx")
	}
	if l.InFlight() != 0 {
		t.Fatalf("in flight %d", l.InFlight())
	}
}
