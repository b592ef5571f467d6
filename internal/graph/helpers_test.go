package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// testToken is a canary: it must never show up in an error or log line.
const testToken = "CANARYTOKEN0123456789abcdef"

const testSecret = "app-secret-0123"

// fakeClock advances instantly on Sleep and records every sleep.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	f.now = f.now.Add(d)
	return nil
}

func (f *fakeClock) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

// seen is one request as the test server saw it.
type seen struct {
	Method, Path, RawQuery, Auth string
	Query, Form                  url.Values
}

// recorder wraps a handler and records requests.
type recorder struct {
	mu   sync.Mutex
	reqs []seen
	h    http.HandlerFunc
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s := seen{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Auth: r.Header.Get("Authorization"),
		Query: r.URL.Query(), Form: r.PostForm}
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, s)
	rc.mu.Unlock()
	rc.h(w, r)
}

func (rc *recorder) Requests() []seen {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]seen(nil), rc.reqs...)
}

// newServer starts a test server recording requests to h.
func newServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *recorder) {
	t.Helper()
	rc := &recorder{h: h}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return srv, rc
}

// newTestClient is a client on srv with a fake clock and deterministic
// jitter (rand = 1: every backoff is its cap).
func newTestClient(t *testing.T, srv *httptest.Server, mod func(*Options)) (*Client, *fakeClock) {
	t.Helper()
	fc := newFakeClock()
	o := Options{BaseURL: srv.URL, Version: "v23.0", Token: testToken, Clock: fc, HTTPClient: srv.Client()}
	if mod != nil {
		mod(&o)
	}
	c := New(o)
	c.rand = func() float64 { return 1 }
	return c, fc
}

// writeJSON writes v with status and optional headers.
func writeJSON(w http.ResponseWriter, status int, v any, hdr ...string) {
	for i := 0; i+1 < len(hdr); i += 2 {
		w.Header().Set(hdr[i], hdr[i+1])
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// graphErr is a Graph error body.
func graphErr(code, sub int, msg string, transient bool) map[string]any {
	e := map[string]any{"message": msg, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf"}
	if sub != 0 {
		e["error_subcode"] = sub
	}
	if transient {
		e["is_transient"] = true
	}
	return map[string]any{"error": e}
}

// bucHeader is an X-Business-Use-Case-Usage value for one instagram entry.
func bucHeader(pct, regainMin int) string {
	b, _ := json.Marshal(map[string]any{"17841400000000001": []map[string]any{{
		"type": "instagram", "call_count": pct, "total_cputime": 1, "total_time": 1,
		"estimated_time_to_regain_access": regainMin}}})
	return string(b)
}
