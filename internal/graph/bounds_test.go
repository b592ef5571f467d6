package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Tests of the bounds every request and every list has: redirects stay in
// the Graph API's origin, requests have a total and an idle-read deadline,
// paging ends. Deadlines are injected (Options.Timeouts) and always measured
// against a server that never answers: a slow machine makes these tests
// slower, never wrong.

// canary is a server on another origin that records what reaches it.
type canary struct {
	*httptest.Server
	hits atomic.Int32
	leak atomic.Value // string: the first credential seen
}

func newCanary(t *testing.T) *canary {
	t.Helper()
	c := &canary{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		if a := r.Header.Get("Authorization"); a != "" {
			c.leak.CompareAndSwap(nil, "Authorization: "+a)
		}
		for _, k := range []string{"access_token", "appsecret_proof"} {
			if v := r.URL.Query().Get(k); v != "" {
				c.leak.CompareAndSwap(nil, k+"="+v)
			}
		}
		writeJSON(w, 200, map[string]any{"id": "from-the-other-origin", "data": []any{}})
	}))
	t.Cleanup(c.Close)
	return c
}

// TestRedirectToAnotherOriginRefused: a 3xx to another port of the same
// host (the case Go's own policy lets through with the Authorization
// header), another host or another scheme is not followed, whatever HTTP
// client the Client was given; the call fails at once (no retry) with an
// error naming the endpoint, and nothing reaches the other origin — neither
// the token nor appsecret_proof.
func TestRedirectToAnotherOriginRefused(t *testing.T) {
	evil := newCanary(t)
	var target string // Location base
	var code atomic.Int32
	srv, rc := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		// The Location repeats the request's query, appsecret_proof included.
		w.Header().Set("Location", target+r.URL.RequestURI())
		w.WriteHeader(int(code.Load()))
	})
	u, _ := url.Parse(srv.URL)
	otherScheme := "https://" + u.Host
	localhost := "http://localhost:" + u.Port()
	for _, tc := range []struct {
		name, target string
		status       int
		hc           func() *http.Client
	}{
		{"other port, 307, default client", evil.URL, 307, nil},
		{"other port, 302, test client without a policy", evil.URL, 302, func() *http.Client { return srv.Client() }},
		{"other port, 308, NewHTTPClient", evil.URL, 308, func() *http.Client { return NewHTTPClient(8) }},
		{"other port, 301, client that allows everything", evil.URL, 301, func() *http.Client {
			return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
		}},
		{"other scheme", otherScheme, 307, nil},
		{"other host name", localhost, 307, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target, _ = strings.CutSuffix(tc.target, "/")
			code.Store(int32(tc.status))
			for _, call := range []struct {
				name, endpoint string
				do             func(c *Client) error
			}{
				{"Get", "/17841400000000001", func(c *Client) error {
					return c.Get(context.Background(), "/17841400000000001", url.Values{"fields": {"id"}}, &struct{}{})
				}},
				{"PageItems", "/17841400000000001/media", func(c *Client) error {
					return rawPages(c, context.Background(), "/17841400000000001/media", nil, func(json.RawMessage) error { return nil })
				}},
				{"Batch", batchEndpoint, func(c *Client) error {
					_, err := c.Batch(context.Background(), reqsN(2))
					return err
				}},
			} {
				before := len(rc.Requests())
				evil.hits.Store(0)
				c, fc := newTestClient(t, srv, func(o *Options) {
					o.AppSecret = testSecret
					o.HTTPClient = nil
					if tc.hc != nil {
						o.HTTPClient = tc.hc()
					}
				})
				err := call.do(c)
				if err == nil || !strings.Contains(err.Error(), "another origin") || !strings.Contains(err.Error(), call.endpoint) {
					t.Errorf("%s: err = %v; want a refused redirect naming %s", call.name, err, call.endpoint)
				}
				if n := evil.hits.Load(); n != 0 {
					t.Errorf("%s: %d requests reached the other origin", call.name, n)
				}
				if n := len(rc.Requests()) - before; n != 1 || len(fc.Sleeps()) != 0 {
					t.Errorf("%s: %d requests, sleeps %v; a refused redirect is not retried", call.name, n, fc.Sleeps())
				}
				if err != nil && (strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), AppSecretProof(testSecret, testToken))) {
					t.Errorf("%s: secret in error %v", call.name, err)
				}
			}
		})
	}
	if v := evil.leak.Load(); v != nil {
		t.Errorf("a credential reached the other origin: %v", v)
	}
}

// TestRedirectSameOriginFollowed: a redirect within the Graph API's origin
// is followed with the token, and the caller's HTTP client is not changed.
func TestRedirectSameOriginFollowed(t *testing.T) {
	srv, rc := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v23.0/old" {
			http.Redirect(w, r, "/v23.0/new?x=1", http.StatusTemporaryRedirect)
			return
		}
		writeJSON(w, 200, map[string]string{"id": "moved"})
	})
	hc := srv.Client()
	c, _ := newTestClient(t, srv, func(o *Options) { o.HTTPClient = hc })
	var out struct{ ID string }
	if err := c.Get(context.Background(), "/old", nil, &out); err != nil || out.ID != "moved" {
		t.Fatalf("out %+v, err %v", out, err)
	}
	reqs := rc.Requests()
	if len(reqs) != 2 || reqs[1].Path != "/v23.0/new" || reqs[1].Auth != "Bearer "+testToken {
		t.Fatalf("requests %+v", reqs)
	}
	if hc.CheckRedirect != nil {
		t.Error("New changed the caller's http.Client")
	}
}

// TestRedirectLoopBounded: redirects within the origin stop after 10.
func TestRedirectLoopBounded(t *testing.T) {
	srv, rc := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/v23.0/again", http.StatusFound)
	})
	c, _ := newTestClient(t, srv, nil)
	err := c.Get(context.Background(), "/x", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "stopped after 10 redirects") {
		t.Fatalf("err = %v", err)
	}
	if n := len(rc.Requests()); n != 10 {
		t.Errorf("%d requests; want 10 (not retried)", n)
	}
}

// stall answers headers and the first half of a body, then never the rest.
func stall(w http.ResponseWriter, r *http.Request) {
	body := []byte(`{"id":"17841400000000001","username":"never_finished"}`)
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(200)
	_, _ = w.Write(body[:len(body)/2])
	http.NewResponseController(w).Flush()
	<-r.Context().Done()
}

// trickle sends a space (valid JSON whitespace) every few milliseconds,
// forever: never idle, never done.
func trickle(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(200)
	for {
		if _, err := w.Write([]byte(" ")); err != nil {
			return
		}
		http.NewResponseController(w).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// silent never answers at all.
func silent(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// TestRequestTimeouts: a response that stops halfway fails on the idle-read
// deadline, one trickled forever and one that never starts on the total
// deadline; each is a transient failure, retried up to MaxAttempts, then an
// error that says it timed out and names the endpoint. Every call kind
// (GET, pages, batch POST) is bounded.
func TestRequestTimeouts(t *testing.T) {
	const attempts = 3
	for _, tc := range []struct {
		name     string
		h        http.HandlerFunc
		timeouts Timeouts
		want     string
	}{
		{"body stops halfway", stall, Timeouts{Request: time.Hour, ReadIdle: 200 * time.Millisecond}, "read idle timeout"},
		{"body trickled forever", trickle, Timeouts{Request: 300 * time.Millisecond, ReadIdle: time.Hour}, "request timeout"},
		{"no headers ever", silent, Timeouts{Request: 200 * time.Millisecond, ReadIdle: time.Hour}, "request timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, rc := newServer(t, tc.h)
			for _, call := range []struct {
				name, endpoint string
				do             func(c *Client) error
			}{
				{"Get", "GET /17841400000000001", func(c *Client) error {
					return c.Get(context.Background(), "/17841400000000001", nil, &struct{}{})
				}},
				{"Pages", "GET /17841400000000001/media", func(c *Client) error {
					return rawPages(c, context.Background(), "/17841400000000001/media", nil, func(json.RawMessage) error { return nil })
				}},
				{"Batch", "POST " + batchEndpoint, func(c *Client) error {
					_, err := c.Batch(context.Background(), reqsN(2))
					return err
				}},
			} {
				before := len(rc.Requests())
				c, _ := newTestClient(t, srv, func(o *Options) {
					o.Timeouts = tc.timeouts
					o.Retry.MaxAttempts = attempts
				})
				err := call.do(c)
				if err == nil || !errors.Is(err, ErrTimeout) {
					t.Fatalf("%s: err = %v; want a timeout", call.name, err)
				}
				for _, want := range []string{call.endpoint, "timed out", tc.want, fmt.Sprintf("gave up after %d attempts", attempts)} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("%s: %q does not say %q", call.name, err, want)
					}
				}
				if n := len(rc.Requests()) - before; n != attempts {
					t.Errorf("%s: %d requests; want %d (bounded retries)", call.name, n, attempts)
				}
				if s := c.Stats(); s.Retries != int64(attempts-1)*int64(max(1, callOps(call.name))) {
					t.Errorf("%s: stats %+v", call.name, s)
				}
			}
		})
	}
}

func callOps(name string) int {
	if name == "Batch" {
		return 2
	}
	return 1
}

// TestRequestTimeoutThenSuccess: a stalled attempt is retried and the call
// succeeds; the deadline is per attempt.
func TestRequestTimeoutThenSuccess(t *testing.T) {
	var n atomic.Int32
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			stall(w, r)
			return
		}
		writeJSON(w, 200, map[string]string{"id": "ok"})
	})
	// The good answer is one small write: the idle deadline cannot catch it.
	c, fc := newTestClient(t, srv, func(o *Options) { o.Timeouts = Timeouts{Request: time.Hour, ReadIdle: 200 * time.Millisecond} })
	var out struct{ ID string }
	if err := c.Get(context.Background(), "/x", nil, &out); err != nil || out.ID != "ok" {
		t.Fatalf("out %+v, err %v", out, err)
	}
	if n.Load() != 2 || len(fc.Sleeps()) != 1 || c.Stats().Retries != 1 {
		t.Fatalf("%d requests, sleeps %v, stats %+v", n.Load(), fc.Sleeps(), c.Stats())
	}
}

// endless serves pages forever: each with a new next, items per page as
// items(page) says.
func endless(items func(page int) int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		page := 0
		fmt.Sscan(r.URL.Query().Get("after"), &page)
		data := make([]map[string]string, items(page))
		for i := range data {
			data[i] = map[string]string{"id": fmt.Sprintf("%d-%d", page, i)}
		}
		next := fmt.Sprintf("http://%s%s?limit=%s&after=%d", r.Host, r.URL.Path, r.URL.Query().Get("limit"), page+1)
		writeJSON(w, 200, map[string]any{"data": data, "paging": map[string]any{"next": next}})
	}
}

// TestPagesBounded: paging that never ends stops with an error naming the
// endpoint and saying why: empty pages in a row with ever new next URLs
// (no progress), or more pages than the bound.
func TestPagesBounded(t *testing.T) {
	for _, tc := range []struct {
		name      string
		items     func(page int) int
		mod       func(*Options)
		params    url.Values
		wantPages int
		want      string
	}{
		{"empty pages", func(int) int { return 0 }, nil, nil, DefaultMaxEmptyPages, "makes no progress: 5 empty pages in a row"},
		{"empty pages after data", func(p int) int { return max(0, 2-p) }, func(o *Options) { o.MaxEmptyPages = 3 }, nil, 2 + 3, "3 empty pages in a row"},
		{"full pages, MaxPages", func(int) int { return 1 }, func(o *Options) { o.MaxPages = 7 }, nil, 7, "after 7 pages"},
		{"full pages, default bound at limit 100", func(int) int { return 1 }, nil, nil, MaxPageItems / 100, "after 1000 pages"},
		{"full pages, default bound at limit 50", func(int) int { return 1 }, nil, url.Values{"limit": {"50"}}, MaxPageItems / 50, "after 2000 pages"},
		{"default bound has a floor", func(int) int { return 1 }, nil, url.Values{"limit": {"500"}}, MinMaxPages, "after 1000 pages"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, rc := newServer(t, endless(tc.items))
			c, _ := newTestClient(t, srv, tc.mod)
			pages := 0
			err := rawPages(c, context.Background(), "/me/accounts", tc.params, func(json.RawMessage) error { pages++; return nil })
			if err == nil || !errors.Is(err, ErrPaging) || !strings.Contains(err.Error(), "/me/accounts") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want %q naming /me/accounts", err, tc.want)
			}
			if n := len(rc.Requests()); n != tc.wantPages || pages != tc.wantPages {
				t.Errorf("%d requests, %d pages; want %d", n, pages, tc.wantPages)
			}
		})
	}
}

// TestPagesEmptyPagesBetweenData: empty pages with a next are allowed as
// long as data keeps coming (the API sends them); the count is of empty
// pages in a row.
func TestPagesEmptyPagesBetweenData(t *testing.T) {
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		page := 0
		fmt.Sscan(r.URL.Query().Get("after"), &page)
		body := map[string]any{"data": []any{}}
		if page%4 == 3 {
			body["data"] = []map[string]string{{"id": fmt.Sprint(page)}}
		}
		if page < 40 {
			body["paging"] = map[string]any{"next": fmt.Sprintf("http://%s%s?after=%d", r.Host, r.URL.Path, page+1)}
		}
		writeJSON(w, 200, body)
	})
	c, _ := newTestClient(t, srv, func(o *Options) { o.MaxEmptyPages = 4 })
	var ids []string
	err := rawPages(c, context.Background(), "/x", nil, func(d json.RawMessage) error {
		var items []struct{ ID string }
		_ = json.Unmarshal(d, &items)
		for _, it := range items {
			ids = append(ids, it.ID)
		}
		return nil
	})
	if err != nil || len(ids) != 10 {
		t.Fatalf("ids %v, err %v", ids, err)
	}
}

// TestDeadlinesKeepConnectionsAlive: the per-attempt deadlines end with the
// attempt and do not cost the connection: sequential requests reuse one.
func TestDeadlinesKeepConnectionsAlive(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"id": "1", "data": []any{}})
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, _ := newTestClient(t, srv, func(o *Options) {
		o.HTTPClient = nil
		o.Timeouts = Timeouts{Request: time.Hour, ReadIdle: time.Hour}
	})
	for range 20 {
		if err := c.Get(context.Background(), "/x", nil, &struct{}{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 20 sequential requests; want 1", n)
	}
}
