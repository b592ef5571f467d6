package graph

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The streams of one account share a Pacer: a throttle one of them meets
// pauses the others, and once the account is deferred none of them sends
// another request.
func TestPacerSharedByClients(t *testing.T) {
	var throttled atomic.Bool
	var requests atomic.Int32
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if strings.HasSuffix(r.URL.Path, "/media") && !throttled.Swap(true) {
			writeJSON(w, 400, graphErr(80002, 0, "(#80002) There have been too many calls to this Instagram account.", false),
				HeaderBusinessUseCaseUsage, bucHeader(100, 2))
			return
		}
		writeJSON(w, 200, map[string]any{"id": "1"})
	})
	clock := newFakeClock()
	pacer := NewPacer()
	mk := func(maxWait time.Duration) *Client {
		c, _ := newTestClient(t, srv, func(o *Options) {
			o.Pacer, o.Clock, o.Retry = pacer, clock, RetryPolicy{MaxWait: maxWait}
		})
		return c
	}
	media, users := mk(time.Hour), mk(time.Hour)
	if err := media.Get(context.Background(), "/17841400000000001/media", nil, nil); err != nil {
		t.Fatal(err)
	}
	// media waited the 2-minute regain; users, sharing the pacer, waits
	// out what is left of it before sending (none: the fake clock moved).
	if s := media.Stats(); s.ThrottleWaits != 1 || s.ThrottleWaited != 2*time.Minute {
		t.Fatalf("media stats %+v", s)
	}
	if err := users.Get(context.Background(), "/17841400000000001", nil, nil); err != nil {
		t.Fatal(err)
	}

	// Deferral is for the account: once one client passes MaxWait, the
	// others fail fast without a request.
	throttled.Store(false)
	pacer2 := NewPacer()
	a, _ := newTestClient(t, srv, func(o *Options) { o.Pacer, o.Retry = pacer2, RetryPolicy{MaxWait: time.Minute} })
	b, _ := newTestClient(t, srv, func(o *Options) { o.Pacer, o.Retry = pacer2, RetryPolicy{MaxWait: time.Minute} })
	err := a.Get(context.Background(), "/17841400000000001/media", nil, nil)
	if !errors.Is(err, ErrDeferred) {
		t.Fatalf("a: %v, want deferred (regain 2m > max wait 1m)", err)
	}
	before := requests.Load()
	if err := b.Get(context.Background(), "/17841400000000001", nil, nil); !errors.Is(err, ErrDeferred) {
		t.Fatalf("b: %v, want deferred with its account", err)
	}
	if requests.Load() != before {
		t.Errorf("a client of a deferred account sent a request")
	}
	// A client with its own pacer is not affected.
	c, _ := newTestClient(t, srv, nil)
	if err := c.Get(context.Background(), "/17841400000000002", nil, nil); err != nil {
		t.Fatalf("independent client: %v", err)
	}
}

// A pause one client starts delays the requests of the others sharing its
// pacer until it ends.
func TestPacerPauseDelaysOtherClients(t *testing.T) {
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"id": "1"}, HeaderBusinessUseCaseUsage, bucHeader(100, 3))
	})
	clock := newFakeClock()
	pacer := NewPacer()
	a, _ := newTestClient(t, srv, func(o *Options) { o.Pacer, o.Clock = pacer, clock })
	b, _ := newTestClient(t, srv, func(o *Options) { o.Pacer, o.Clock = pacer, clock })
	if err := a.Get(context.Background(), "/x", nil, nil); err != nil { // reads usage 100 %, regain 3m
		t.Fatal(err)
	}
	if err := b.Get(context.Background(), "/y", nil, nil); err != nil { // b pauses for the account
		t.Fatal(err)
	}
	if got := clock.Sleeps(); len(got) != 1 || got[0] != 3*time.Minute {
		t.Fatalf("sleeps %v, want one 3m pause taken by the second client", got)
	}
	if s := b.Stats(); s.ThrottleWaits != 1 || s.ThrottleWaited != 3*time.Minute {
		t.Errorf("b stats %+v", s)
	}
}
