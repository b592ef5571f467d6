package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// opResult builds one batch element.
func opResult(code int, body any) map[string]any {
	b, _ := json.Marshal(body)
	return map[string]any{"code": code, "body": string(b)}
}

// batchServer answers batch POSTs: respond(rel, attempt) gives each
// operation's element (nil → null); hdr adds response headers per POST.
type batchServer struct {
	mu       sync.Mutex
	sizes    []int
	attempts map[string]int
	rels     [][]string
}

func newBatchServer(t *testing.T, respond func(rel string, attempt int) any, hdr func(post int) []string) (*batchServer, *recorder, string) {
	t.Helper()
	bs := &batchServer{attempts: map[string]int{}}
	srv, rc := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v23.0/" {
			writeJSON(w, 404, graphErr(100, 0, "unexpected "+r.Method+" "+r.URL.Path, false))
			return
		}
		var ops []struct {
			Method      string `json:"method"`
			RelativeURL string `json:"relative_url"`
		}
		if err := json.Unmarshal([]byte(r.PostForm.Get("batch")), &ops); err != nil || len(ops) > MaxBatchOps {
			writeJSON(w, 400, graphErr(100, 0, "bad batch", false))
			return
		}
		bs.mu.Lock()
		post := len(bs.sizes)
		bs.sizes = append(bs.sizes, len(ops))
		var rels []string
		out := make([]any, len(ops))
		for i, op := range ops {
			if op.Method != "GET" {
				out[i] = opResult(400, graphErr(100, 0, "method", false))
				continue
			}
			rels = append(rels, op.RelativeURL)
			out[i] = respond(op.RelativeURL, bs.attempts[op.RelativeURL])
			bs.attempts[op.RelativeURL]++
		}
		bs.rels = append(bs.rels, rels)
		bs.mu.Unlock()
		var h []string
		if hdr != nil {
			h = hdr(post)
		}
		writeJSON(w, 200, out, h...)
	})
	return bs, rc, srv.URL
}

func (bs *batchServer) Sizes() []int {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	s := slices.Clone(bs.sizes)
	slices.Sort(s)
	return s
}

func reqsN(n int) []Request {
	reqs := make([]Request, n)
	for i := range reqs {
		reqs[i] = Request{Path: fmt.Sprintf("/m%d/insights", i), Params: url.Values{"metric": {"reach,views"}}}
	}
	return reqs
}

func echo(rel string, _ int) any { return opResult(200, map[string]string{"rel": rel}) }

func clientFor(t *testing.T, base string, mod func(*Options)) (*Client, *fakeClock) {
	t.Helper()
	fc := newFakeClock()
	o := Options{BaseURL: base, Version: "v23.0", Token: testToken, Clock: fc}
	if mod != nil {
		mod(&o)
	}
	c := New(o)
	c.rand = func() float64 { return 1 }
	return c, fc
}

func TestBatchChunkingOrderAndAuth(t *testing.T) {
	bs, rc, base := newBatchServer(t, echo, nil)
	c, _ := clientFor(t, base, func(o *Options) { o.AppSecret = testSecret; o.Limiter = NewLimiter(3) })
	reqs := reqsN(120)
	reqs[7].Params.Set("access_token", testToken) // must not be forwarded
	res, err := c.Batch(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	if got := bs.Sizes(); fmt.Sprint(got) != "[20 50 50]" {
		t.Fatalf("batch sizes %v", got)
	}
	for i, r := range res {
		var body struct{ Rel string }
		if r.Err != nil || json.Unmarshal(r.Body, &body) != nil {
			t.Fatalf("op %d: %v %s", i, r.Err, r.Body)
		}
		if want := fmt.Sprintf("m%d/insights?metric=reach%%2Cviews", i); body.Rel != want {
			t.Fatalf("op %d: relative_url %q, want %q (order or encoding)", i, body.Rel, want)
		}
	}
	for _, r := range rc.Requests() {
		if r.Auth != "Bearer "+testToken {
			t.Errorf("Authorization %q", r.Auth)
		}
		if r.Form.Get("include_headers") != "false" || r.Form.Get("appsecret_proof") != AppSecretProof(testSecret, testToken) {
			t.Errorf("form %v", r.Form)
		}
		// The token: in the header and once as a top-level form field of
		// the body (Meta's batch doc requires it), never in the URL nor in
		// an operation.
		if strings.Contains(r.RawQuery, testToken) || strings.Contains(r.Form.Get("batch"), testToken) {
			t.Errorf("token in the URL or an operation: %q %q", r.RawQuery, r.Form.Get("batch"))
		}
		if got := r.Form["access_token"]; len(got) != 1 || got[0] != testToken {
			t.Errorf("top-level access_token form field %q, want the token once", got)
		}
		if r.Query.Has("access_token") {
			t.Errorf("access_token in the query: %q", r.RawQuery)
		}
	}
	if s := c.Stats(); s.Calls != 120 || s.RoundTrips != 3 || s.Retries != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestBatchNullOps(t *testing.T) {
	t.Run("retried once", func(t *testing.T) {
		bs, _, base := newBatchServer(t, func(rel string, n int) any {
			if n == 0 && (strings.HasPrefix(rel, "m3/") || strings.HasPrefix(rel, "m7/")) {
				return nil
			}
			return echo(rel, n)
		}, nil)
		c, fc := clientFor(t, base, nil)
		res, err := c.Batch(context.Background(), reqsN(10))
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if r.Err != nil || !strings.Contains(string(r.Body), fmt.Sprintf(`"m%d/`, i)) {
				t.Fatalf("op %d: %v %s", i, r.Err, r.Body)
			}
		}
		if fmt.Sprint(bs.rels[1]) != "[m3/insights?metric=reach%2Cviews m7/insights?metric=reach%2Cviews]" {
			t.Errorf("follow-up batch %v", bs.rels[1])
		}
		if s := c.Stats(); s.Calls != 12 || s.RoundTrips != 2 || s.Retries != 2 {
			t.Errorf("stats %+v", s)
		}
		if got := fc.Sleeps(); fmt.Sprint(got) != "[500ms]" {
			t.Errorf("sleeps %v", got)
		}
	})
	t.Run("always null times out", func(t *testing.T) {
		_, _, base := newBatchServer(t, func(rel string, n int) any {
			if strings.HasPrefix(rel, "m1/") {
				return nil
			}
			return echo(rel, n)
		}, nil)
		c, _ := clientFor(t, base, nil)
		res, err := c.Batch(context.Background(), reqsN(3))
		if err != nil {
			t.Fatal(err)
		}
		var ae *Error
		if !errors.As(res[1].Err, &ae) || ae.Type != TypeBatchTimeout || !strings.Contains(ae.Error(), "timed out") || ae.Endpoint != "/m1/insights" {
			t.Fatalf("op 1: %v", res[1].Err)
		}
		if res[0].Err != nil || res[2].Err != nil {
			t.Fatalf("others: %v %v", res[0].Err, res[2].Err)
		}
		if s := c.Stats(); s.RoundTrips != 5 {
			t.Errorf("round trips %d, want MaxAttempts=5", s.RoundTrips)
		}
	})
}

func TestBatchPerOpErrors(t *testing.T) {
	_, _, base := newBatchServer(t, func(rel string, n int) any {
		switch {
		case strings.HasPrefix(rel, "m1/"):
			e := graphErr(100, 2108006, "Invalid parameter", false)
			e["error"].(map[string]any)["error_user_title"] = "Media posted before business account conversion"
			return opResult(400, e)
		case strings.HasPrefix(rel, "m2/"):
			return opResult(400, graphErr(10, 0, "(#10) Not enough viewers for the media to show insights", false))
		case strings.HasPrefix(rel, "m3/"):
			return map[string]any{"code": 400, "body": "<html>nope</html>"}
		case strings.HasPrefix(rel, "m4/"):
			return map[string]any{"code": 200, "body": "{truncated"}
		case strings.HasPrefix(rel, "m5/"):
			return "not an object"
		case strings.HasPrefix(rel, "m6/"):
			return opResult(400, graphErr(190, 463, "expired", false))
		case strings.HasPrefix(rel, "m8/"):
			return map[string]any{"code": "200", "body": `{"data":[]}`} // code as a string
		case strings.HasPrefix(rel, "m9/"):
			return map[string]any{"code": 200, "body": 42} // body not a string
		case strings.HasPrefix(rel, "m10/"):
			return map[string]any{"code": map[string]any{}, "body": "{}"} // code not a number
		case strings.HasPrefix(rel, "m11/"):
			return opResult(200, graphErr(100, 33, "Unsupported get request", false)) // an error under a 200
		case strings.HasPrefix(rel, "m12/"):
			return map[string]any{"code": 200, "body": `["a",1]`} // JSON, not an object
		case strings.HasPrefix(rel, "m13/"):
			return map[string]any{"code": 200, "body": `{"a":"\u00e9\"x\\"}`} // escapes inside the body
		}
		return echo(rel, n)
	}, nil)
	c, _ := clientFor(t, base, nil)
	res, err := c.Batch(context.Background(), reqsN(14))
	if err != nil {
		t.Fatal(err)
	}
	check := func(i int, f func(*Error) bool) {
		t.Helper()
		var ae *Error
		if !errors.As(res[i].Err, &ae) || !f(ae) {
			t.Errorf("op %d: %#v", i, res[i].Err)
		}
	}
	check(1, func(e *Error) bool {
		return e.Code == 100 && e.Subcode == 2108006 && e.HTTPStatus == 400 && e.Endpoint == "/m1/insights" &&
			e.UserTitle == "Media posted before business account conversion"
	})
	check(2, func(e *Error) bool { return e.Code == 10 && e.Permission() })
	check(3, func(e *Error) bool { return e.Type == TypeMalformedResponse && e.HTTPStatus == 400 })
	check(6, func(e *Error) bool { return e.TokenInvalid() })
	check(11, func(e *Error) bool { return e.Code == 100 && e.Subcode == 33 && e.HTTPStatus == 200 })
	for _, i := range []int{4, 5, 9, 10} {
		if res[i].Err == nil || !strings.Contains(res[i].Err.Error(), fmt.Sprintf("/m%d/insights", i)) {
			t.Errorf("op %d: %v", i, res[i].Err)
		}
	}
	for i, want := range map[int]string{
		0: `{"rel":"m0/insights?metric=reach%2Cviews"}`, 7: `{"rel":"m7/insights?metric=reach%2Cviews"}`,
		8: `{"data":[]}`, 12: `["a",1]`, 13: `{"a":"\u00e9\"x\\"}`,
	} {
		if res[i].Err != nil || string(res[i].Body) != want {
			t.Errorf("op %d: body %s, err %v; want body %s", i, res[i].Body, res[i].Err, want)
		}
	}
	if s := c.Stats(); s.RoundTrips != 1 || s.Retries != 0 {
		t.Errorf("errors must not be retried: %+v", s)
	}
}

func TestBatchThrottledOp(t *testing.T) {
	bs, _, base := newBatchServer(t, func(rel string, n int) any {
		if strings.HasPrefix(rel, "m1/") && n == 0 {
			return opResult(400, graphErr(80002, 0, "(#80002) There have been too many calls to this Instagram account.", false))
		}
		return echo(rel, n)
	}, func(post int) []string {
		if post == 0 {
			return []string{HeaderBusinessUseCaseUsage, bucHeader(100, 2)}
		}
		return nil
	})
	c, fc := clientFor(t, base, nil)
	res, err := c.Batch(context.Background(), reqsN(3))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("op %d: %v", i, r.Err)
		}
	}
	if got := fc.Sleeps(); fmt.Sprint(got) != "[2m0s]" {
		t.Errorf("sleeps %v, want the 2 minute regain once", got)
	}
	if fmt.Sprint(bs.Sizes()) != "[1 3]" {
		t.Errorf("sizes %v", bs.Sizes())
	}
	if s := c.Stats(); s.ThrottleWaits != 1 || s.ThrottleWaited != 2*time.Minute || s.Retries != 1 || s.Calls != 4 {
		t.Errorf("stats %+v", s)
	}
}

func TestBatchThrottledOpDeferred(t *testing.T) {
	_, _, base := newBatchServer(t, func(rel string, n int) any {
		if strings.HasPrefix(rel, "m0/") {
			return opResult(400, graphErr(80002, 0, "(#80002) too many calls", false))
		}
		return echo(rel, n)
	}, func(int) []string { return []string{HeaderBusinessUseCaseUsage, bucHeader(100, 20)} })
	c, _ := clientFor(t, base, nil)
	res, err := c.Batch(context.Background(), reqsN(2))
	if !errors.Is(err, ErrDeferred) || !errors.Is(res[0].Err, ErrDeferred) {
		t.Fatalf("err %v / op0 %v", err, res[0].Err)
	}
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != 80002 {
		t.Fatalf("deferred error does not wrap the throttle error: %v", err)
	}
	if res[1].Err != nil {
		t.Fatalf("op 1 should have succeeded: %v", res[1].Err)
	}
	if s := c.Stats(); s.ThrottleWaited != 20*time.Minute || s.RoundTrips != 2 {
		t.Errorf("stats %+v", s)
	}
}

func TestBatchTransientOp(t *testing.T) {
	_, _, base := newBatchServer(t, func(rel string, n int) any {
		if strings.HasPrefix(rel, "m0/") && n < 2 {
			return opResult(500, graphErr(2, 0, "An unexpected error has occurred.", true))
		}
		return echo(rel, n)
	}, nil)
	c, fc := clientFor(t, base, nil)
	res, err := c.Batch(context.Background(), reqsN(2))
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("%v %v %v", err, res[0].Err, res[1].Err)
	}
	if got := fc.Sleeps(); fmt.Sprint(got) != "[500ms 1s]" {
		t.Errorf("sleeps %v", got)
	}
	if s := c.Stats(); s.RoundTrips != 3 || s.Retries != 2 || s.Calls != 4 {
		t.Errorf("stats %+v", s)
	}
}

func TestBatchOuterFailures(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     int
		body       string
		wantErr    bool
		roundTrips int64
	}{
		{"token invalid", 400, `{"error":{"message":"Error validating access token","code":190,"error_subcode":463}}`, true, 1},
		{"5xx retried then final", 503, `oops`, true, 5},
		{"not an array", 200, `{}`, false, 1},
		{"wrong length", 200, `[null]`, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			c, _ := clientFor(t, srv.URL, nil)
			res, err := c.Batch(context.Background(), reqsN(3))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			for i, r := range res {
				if r.Err == nil || !strings.Contains(r.Err.Error(), "batch") {
					t.Errorf("op %d: %v", i, r.Err)
				}
			}
			if s := c.Stats(); s.RoundTrips != tc.roundTrips {
				t.Errorf("round trips %d", s.RoundTrips)
			}
		})
	}
}

func TestBatchEmpty(t *testing.T) {
	c := New(Options{Token: testToken})
	res, err := c.Batch(context.Background(), nil)
	if err != nil || len(res) != 0 {
		t.Fatal(res, err)
	}
}

func TestBatchThrottledOpBackoffEscalates(t *testing.T) {
	_, _, base := newBatchServer(t, func(rel string, n int) any {
		if strings.HasPrefix(rel, "m0/") && n < 3 {
			return opResult(400, graphErr(4, 0, "(#4) Application request limit reached", true))
		}
		return echo(rel, n)
	}, nil)
	c, fc := clientFor(t, base, nil)
	res, err := c.Batch(context.Background(), reqsN(2))
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	if got := fmt.Sprint(fc.Sleeps()); got != "[500ms 1s 2s]" {
		t.Errorf("sleeps %s: throttle backoff must grow across follow-up batches", got)
	}
	if s := c.Stats(); s.ThrottleWaits != 3 || s.RoundTrips != 4 {
		t.Errorf("stats %+v", s)
	}
}

// TestBatchTokenNeverPrinted: the batch POST body carries the token; no log
// line (debug level included) and no error of any kind of batch failure
// shows it, even when the server echoes the request body back.
func TestBatchTokenNeverPrinted(t *testing.T) {
	var posts int
	var mu sync.Mutex
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		posts++
		n := posts
		mu.Unlock()
		body := r.PostForm.Encode() // holds access_token=<token>
		switch n % 4 {
		case 1: // a 5xx echoing the body (retried, then given up)
			w.WriteHeader(502)
			_, _ = w.Write([]byte("<html>bad gateway: " + body + "</html>"))
		case 2: // a Graph error quoting the body
			writeJSON(w, 400, graphErr(100, 0, "(#100) bad request "+body, false))
		case 3: // a malformed 200 quoting the body
			_, _ = w.Write([]byte("[{\"code\":200,\"body\":" + body))
		default: // per-op errors quoting the body
			writeJSON(w, 200, []any{opResult(400, graphErr(-1, 2207086, "Fatal "+body, false))})
		}
	})
	var logs strings.Builder
	var lmu sync.Mutex
	c, _ := newTestClient(t, srv, func(o *Options) {
		o.Logger = slog.New(slog.NewJSONHandler(lockedWriter{&lmu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
		o.Retry.MaxAttempts = 2
	})
	ctx := context.Background()
	var texts []string
	for range 4 {
		res, err := c.Batch(ctx, []Request{{Path: "/m1/insights", Params: url.Values{"metric": {"facebook_views"}}}})
		if err != nil {
			texts = append(texts, err.Error())
			continue
		}
		for _, r := range res {
			if r.Err != nil {
				texts = append(texts, r.Err.Error())
				var ae *Error
				if errors.As(r.Err, &ae) {
					texts = append(texts, ae.Message, ae.Advice())
				}
			}
		}
	}
	if len(texts) < 4 {
		t.Fatalf("want an error per batch, got %q", texts)
	}
	lmu.Lock()
	texts = append(texts, logs.String())
	lmu.Unlock()
	for _, s := range texts {
		if strings.Contains(s, testToken) {
			t.Errorf("token printed: %s", s)
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
