package graph

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestAppSecretProof(t *testing.T) {
	// printf token | openssl dgst -sha256 -hmac secret
	const want = "e941110e3d2bfe82621f0e3e1434730d7305d106c5f68c87165d0b27a4611a4a"
	if got := AppSecretProof("secret", "token"); got != want {
		t.Fatalf("AppSecretProof = %s, want %s", got, want)
	}
}

func TestGetAuthHeaderProofAndURL(t *testing.T) {
	for _, tc := range []struct {
		name      string
		secret    string
		path      string
		params    url.Values
		wantPath  string
		wantQuery url.Values
	}{
		{"no secret", "", "/17841400000000001", url.Values{"fields": {"id,username"}},
			"/v23.0/17841400000000001", url.Values{"fields": {"id,username"}}},
		{"secret adds proof", testSecret, "17841400000000001", url.Values{"fields": {"id"}},
			"/v23.0/17841400000000001", url.Values{"fields": {"id"}, "appsecret_proof": {AppSecretProof(testSecret, testToken)}}},
		{"caller token and stale proof dropped", testSecret, "/me/accounts?limit=5",
			url.Values{"access_token": {testToken}, "appsecret_proof": {"stale"}},
			"/v23.0/me/accounts", url.Values{"limit": {"5"}, "appsecret_proof": {AppSecretProof(testSecret, testToken)}}},
		{"version in path not doubled", "", "/v23.0/me", nil, "/v23.0/me", url.Values{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, rc := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, map[string]any{"id": "17841400000000001", "username": "brand"})
			})
			c, _ := newTestClient(t, srv, func(o *Options) { o.AppSecret = tc.secret })
			var out struct{ ID, Username string }
			if err := c.Get(context.Background(), tc.path, tc.params, &out); err != nil {
				t.Fatal(err)
			}
			if out.ID != "17841400000000001" || out.Username != "brand" {
				t.Fatalf("decoded %+v", out)
			}
			reqs := rc.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			if r.Auth != "Bearer "+testToken {
				t.Errorf("Authorization = %q", r.Auth)
			}
			if strings.Contains(r.RawQuery, "access_token") || strings.Contains(r.RawQuery, testToken) {
				t.Errorf("token in query %q", r.RawQuery)
			}
			if r.Path != tc.wantPath {
				t.Errorf("path = %q, want %q", r.Path, tc.wantPath)
			}
			if r.Query.Encode() != tc.wantQuery.Encode() {
				t.Errorf("query = %q, want %q", r.Query.Encode(), tc.wantQuery.Encode())
			}
			if s := c.Stats(); s.Calls != 1 || s.RoundTrips != 1 || s.Retries != 0 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func TestGetDoesNotMutateParams(t *testing.T) {
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]any{}) })
	c, _ := newTestClient(t, srv, func(o *Options) { o.AppSecret = testSecret })
	p := url.Values{"access_token": {"x"}, "fields": {"id"}}
	if err := c.Get(context.Background(), "/me", p, nil); err != nil {
		t.Fatal(err)
	}
	if p.Get("access_token") != "x" || p.Get("appsecret_proof") != "" {
		t.Fatalf("params mutated: %v", p)
	}
}

// script answers attempt n (0-based) of a request.
type script func(w http.ResponseWriter, n int)

func TestRetryClassification(t *testing.T) {
	always := func(status int, body any) script {
		return func(w http.ResponseWriter, n int) { writeJSON(w, status, body) }
	}
	raw := func(status int, body string) script {
		return func(w http.ResponseWriter, n int) {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}
	}
	backoffs := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}
	for _, tc := range []struct {
		name       string
		respond    script
		attempts   int
		wantErr    bool
		check      func(*Error) bool // on the *Error found with errors.As; nil = not an *Error
		wantSleeps []time.Duration
	}{
		{"HTTP 500 non-JSON", raw(500, "<html>Internal Server Error</html>"), 5, true,
			func(e *Error) bool { return e.Transient() && e.Type == TypeMalformedResponse && e.HTTPStatus == 500 }, backoffs},
		{"code 2 transient", always(500, graphErr(2, 0, "An unexpected error has occurred. Please retry your request later.", true)), 5, true,
			func(e *Error) bool { return e.Code == 2 && e.Transient() }, backoffs},
		{"code 1 on 400", always(400, graphErr(1, 99, "An unknown error occurred", false)), 5, true,
			func(e *Error) bool { return e.Code == 1 }, backoffs},
		{"code 1 reduce the amount of data is final", always(500, graphErr(1, 0, "Please reduce the amount of data you're asking for, then retry your request", false)), 1, true,
			func(e *Error) bool { return e.ReduceData() && !e.Transient() }, nil},
		{"is_transient on unknown code", always(400, graphErr(12345, 0, "flaky", true)), 5, true,
			func(e *Error) bool { return e.IsTransient }, backoffs},
		{"truncated JSON on 503", raw(503, `{"error":{"message":"x`), 5, true,
			func(e *Error) bool { return e.HTTPStatus == 503 && e.Transient() }, backoffs},
		{"token expired 190/463", always(400, graphErr(190, 463, "Error validating access token: Session has expired", false)), 1, true,
			func(e *Error) bool { return e.TokenInvalid() && e.Subcode == 463 }, nil},
		{"token error marked transient still final", always(400, graphErr(190, 460, "password changed", true)), 1, true,
			func(e *Error) bool { return e.TokenInvalid() }, nil},
		{"permission 10", always(400, graphErr(10, 0, "(#10) Application does not have permission for this action", false)), 1, true,
			func(e *Error) bool { return e.Permission() }, nil},
		{"permission 200 on 403", always(403, graphErr(200, 0, "(#200) Requires instagram_manage_insights permission", false)), 1, true,
			func(e *Error) bool { return e.Permission() && e.HTTPStatus == 403 }, nil},
		{"invalid parameter 100", always(400, graphErr(100, 33, "Unsupported get request.", false)), 1, true,
			func(e *Error) bool { return e.Code == 100 && !e.Transient() && !e.Throttle() }, nil},
		{"400 non-JSON is final", raw(400, "Bad Request"), 1, true,
			func(e *Error) bool { return e.Type == TypeMalformedResponse }, nil},
		{"502 then success", func(w http.ResponseWriter, n int) {
			if n == 0 {
				writeJSON(w, 502, map[string]any{})
				return
			}
			writeJSON(w, 200, map[string]any{"id": "1"})
		}, 2, false, nil, backoffs[:1]},
		{"connection reset then success", func(w http.ResponseWriter, n int) {
			if n < 2 {
				conn, _, _ := w.(http.Hijacker).Hijack()
				conn.Close()
				return
			}
			writeJSON(w, 200, map[string]any{"id": "1"})
		}, 3, false, nil, backoffs[:2]},
		{"connection reset always", func(w http.ResponseWriter, n int) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}, 5, true, nil, backoffs},
		{"truncated JSON on 200 is retried", raw(200, `{"id": "1",`), 5, true, nil, backoffs},
		{"truncated JSON on 200 then success", func(w http.ResponseWriter, n int) {
			if n == 0 {
				w.WriteHeader(200)
				_, _ = w.Write([]byte(`{"id": "1",`))
				return
			}
			writeJSON(w, 200, map[string]any{"id": "1"})
		}, 2, false, nil, backoffs[:1]},
		{"wrong JSON type on 200 is final", raw(200, `[1, 2]`), 1, true, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				tc.respond(w, int(n.Add(1)-1))
			})
			c, fc := newTestClient(t, srv, nil)
			var out map[string]any
			err := c.Get(context.Background(), "/17841400000000001/media", nil, &out)
			if got := int(n.Load()); got != tc.attempts {
				t.Errorf("attempts = %d, want %d", got, tc.attempts)
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if s := c.Stats(); s.RoundTrips != int64(tc.attempts) || s.Retries != int64(tc.attempts-1) || s.Calls != int64(tc.attempts) {
				t.Errorf("stats %+v", s)
			}
			if got := fc.Sleeps(); fmt.Sprint(got) != fmt.Sprint(tc.wantSleeps) && !(len(got) == 0 && len(tc.wantSleeps) == 0) {
				t.Errorf("sleeps = %v, want %v", got, tc.wantSleeps)
			}
			if err == nil {
				return
			}
			if !strings.Contains(err.Error(), "/17841400000000001/media") {
				t.Errorf("error does not name the endpoint: %v", err)
			}
			var ae *Error
			if tc.check != nil {
				if !errors.As(err, &ae) || !tc.check(ae) {
					t.Errorf("unexpected error %#v", err)
				}
			}
		})
	}
}

func TestMalformedResponses(t *testing.T) {
	type target struct {
		ID    int64 `json:"id"`
		Count int   `json:"count"`
	}
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"html", "<html>oops</html>", 200, "malformed response"},
		{"truncated", `{"id": 1, "count":`, 200, "malformed response"},
		{"wrong type", `{"id": "abc"}`, 200, "cannot unmarshal"},
		{"array instead of object", `[1,2]`, 200, "malformed response"},
		{"empty body", ``, 200, "empty body"},
		{"error not an object", `{"error": "oops"}`, 400, "unexpected shape"},
		{"error with wrong-typed code", `{"error": {"message": "m", "code": {"x":1}}}`, 400, "unexpected shape"},
		{"error with string code", `{"error": {"message": "quoted", "code": "190", "error_subcode": "463"}}`, 400, "code 190/463"},
		{"null error on 400", `{"error": null}`, 400, "not a Graph error object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			c, _ := newTestClient(t, srv, nil)
			var out target
			err := c.Get(context.Background(), "/17841400000000001", nil, &out)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), "/17841400000000001") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q: want endpoint and %q", err, tc.want)
			}
		})
	}
}

func TestErrorOnSuccessStatus(t *testing.T) {
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, graphErr(100, 0, "Invalid parameter", false))
	})
	c, _ := newTestClient(t, srv, nil)
	err := c.Get(context.Background(), "/x", nil, nil)
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != 100 || ae.HTTPStatus != 200 {
		t.Fatalf("err = %v", err)
	}
}

func TestContextCancelDuringBackoff(t *testing.T) {
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 503, map[string]any{}) })
	c := New(Options{BaseURL: srv.URL, Token: testToken, HTTPClient: srv.Client(),
		Retry: RetryPolicy{BaseDelay: time.Hour, MaxDelay: time.Hour}})
	c.rand = func() float64 { return 1 }
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Get(ctx, "/x", nil, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("did not honour ctx")
	}
}

func TestInvalidBaseURL(t *testing.T) {
	c := New(Options{BaseURL: "::not a url", Token: testToken})
	if err := c.Get(context.Background(), "/me", nil, nil); err == nil || !strings.Contains(err.Error(), "invalid base URL") {
		t.Fatalf("err = %v", err)
	}
	if _, err := c.Batch(context.Background(), []Request{{Path: "/me"}}); err == nil {
		t.Fatal("batch: no error")
	}
}

// TestCanaryTokenNeverPrinted drives every error path with a server that
// echoes the token wherever it can, and checks errors and logs.
func TestCanaryTokenNeverPrinted(t *testing.T) {
	proof := AppSecretProof(testSecret, testToken)
	var srvURL string
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v23.0/echo-message":
			writeJSON(w, 400, map[string]any{"error": map[string]any{
				"message": "Malformed access token " + testToken, "type": "OAuthException", "code": 190,
				"error_user_title": "token " + testToken, "error_user_msg": "Bearer " + testToken, "fbtrace_id": testToken}})
		case "/v23.0/echo-html":
			w.WriteHeader(500)
			_, _ = w.Write([]byte("<html>proxy error for ?access_token=" + testToken + "</html>"))
		case "/v23.0/echo-200":
			_, _ = w.Write([]byte("not json " + testToken))
		case "/v23.0/other-host":
			writeJSON(w, 200, map[string]any{"data": []any{}, "paging": map[string]any{
				"next": "https://evil.example.com/v23.0/x?access_token=" + testToken}})
		case "/v23.0/loop":
			writeJSON(w, 200, map[string]any{"data": []any{}, "paging": map[string]any{
				"next": srvURL + "/v23.0/loop?limit=100&appsecret_proof=" + proof + "&access_token=" + testToken}})
		case "/v23.0/throttle":
			writeJSON(w, 400, graphErr(80002, 0, "(#80002) There have been too many calls to this Instagram account. "+testToken, false),
				HeaderBusinessUseCaseUsage, bucHeader(100, 120))
		default:
			writeJSON(w, 404, map[string]any{})
		}
	})
	srvURL = srv.URL
	var logs bytes.Buffer
	c, _ := newTestClient(t, srv, func(o *Options) {
		o.AppSecret = testSecret
		o.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		o.Retry.MaxAttempts = 2
	})
	ctx := context.Background()
	var errs []error
	for _, p := range []string{"/echo-message", "/echo-html", "/echo-200"} {
		var out map[string]any
		errs = append(errs, c.Get(ctx, p, nil, &out))
	}
	for _, p := range []string{"/other-host", "/loop"} {
		errs = append(errs, rawPages(c, ctx, p, nil, func(json.RawMessage) error { return nil }))
	}
	_, berr := c.Batch(ctx, []Request{{Path: "/x", Params: url.Values{"access_token": {testToken}}}})
	errs = append(errs, berr)
	errs = append(errs, c.Get(ctx, "/throttle", nil, nil))
	// A transport error: the server is gone.
	dead := New(Options{BaseURL: "http://127.0.0.1:1", Token: testToken, AppSecret: testSecret,
		Clock: newFakeClock(), Retry: RetryPolicy{MaxAttempts: 1}})
	errs = append(errs, dead.Get(ctx, "/me", url.Values{"access_token": {testToken}}, nil))

	for i, err := range errs {
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		s := err.Error()
		var ae *Error
		if errors.As(err, &ae) {
			s += ae.Advice() + ae.Message + ae.UserMsg + ae.UserTitle + ae.FBTraceID
		}
		if strings.Contains(s, testToken) || strings.Contains(s, proof) {
			t.Errorf("case %d: secret in error: %s", i, s)
		}
		t.Logf("case %d: %s", i, err)
	}
	if strings.Contains(logs.String(), testToken) || strings.Contains(logs.String(), proof) {
		t.Errorf("secret in logs: %s", logs.String())
	}
	next := "https://graph.facebook.com/v23.0/1784/media?limit=25&access_token=" + testToken + "&after=QVFI&appsecret_proof=" + proof
	if r := Redact(next); strings.Contains(r, testToken) || strings.Contains(r, proof) || !strings.Contains(r, "after=QVFI") {
		t.Errorf("Redact(next) = %s", r)
	}
}

func TestDefaultHTTPClient(t *testing.T) {
	hc := DefaultHTTPClient()
	tr := hc.Transport.(*http.Transport)
	// No overall timeout: the Client bounds each attempt itself (Timeouts),
	// and a redirect policy is always there.
	if hc.Timeout != 0 || hc.CheckRedirect == nil || tr.ResponseHeaderTimeout != 60*time.Second || tr.MaxIdleConnsPerHost < 64 || tr.DisableKeepAlives {
		t.Fatalf("client %+v transport %+v", hc, tr)
	}
}

func TestGzipAndTimeoutRetry(t *testing.T) {
	var n atomic.Int32
	arrived := make(chan struct{})
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			close(arrived)
			<-r.Context().Done() // no answer: the client times out
			return
		}
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			t.Error("no Accept-Encoding: gzip")
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		_, _ = zw.Write([]byte(`{"id":"zipped"}`))
		_ = zw.Close()
	})
	hc := srv.Client()
	// The first request times out once the server has it (an injected
	// client timeout: no wall-clock race with a slow machine); the retry
	// has no deadline.
	hc.Transport = &timeoutFirst{base: hc.Transport, fire: arrived}
	c, fc := newTestClient(t, srv, func(o *Options) { o.HTTPClient = hc })
	var out struct{ ID string }
	if err := c.Get(context.Background(), "/x", nil, &out); err != nil {
		t.Fatal(err)
	}
	if out.ID != "zipped" || n.Load() != 2 || len(fc.Sleeps()) != 1 {
		t.Fatalf("out %+v, %d requests, sleeps %v", out, n.Load(), fc.Sleeps())
	}
}

// timeoutFirst gives the first request a deadline that passes when fire is
// closed, as an http.Client timeout would: the request fails with
// context.DeadlineExceeded.
type timeoutFirst struct {
	base http.RoundTripper
	fire chan struct{}
	used atomic.Bool
}

func (tf *timeoutFirst) RoundTrip(r *http.Request) (*http.Response, error) {
	if tf.used.Swap(true) {
		return tf.base.RoundTrip(r)
	}
	ctx, expire := context.WithCancelCause(r.Context())
	defer expire(nil)
	go func() {
		select {
		case <-tf.fire:
			expire(context.DeadlineExceeded)
		case <-ctx.Done():
		}
	}()
	resp, err := tf.base.RoundTrip(r.WithContext(ctx))
	if err == nil {
		resp.Body.Close()
		return nil, fmt.Errorf("the first request was answered: %s", resp.Status)
	}
	return nil, fmt.Errorf("%w (Client.Timeout exceeded while awaiting headers)", context.Cause(ctx))
}
