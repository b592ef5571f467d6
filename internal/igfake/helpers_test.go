package igfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// t0 is the tests' clock start: 11:00 in Los Angeles (PDT).
var t0 = time.Date(2026, 9, 15, 18, 0, 0, 0, time.UTC)

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a server under test.
type env struct {
	t     testing.TB
	srv   *Server
	ts    *httptest.Server
	clock *fakeClock
}

// newEnv starts a server with a fake clock at t0 (unless o.Now is set).
func newEnv(t *testing.T, o Options) *env {
	t.Helper()
	clk := &fakeClock{t: t0}
	if o.Now == nil {
		o.Now = clk.Now
	}
	srv := New(o)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &env{t: t, srv: srv, ts: ts, clock: clk}
}

// resp is a decoded response.
type resp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// graphErr is the decoded error envelope.
type graphErr struct {
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      int    `json:"code"`
	Subcode   int    `json:"error_subcode"`
	Transient *bool  `json:"is_transient"`
	UserTitle string `json:"error_user_title"`
	UserMsg   string `json:"error_user_msg"`
	FBTraceID string `json:"fbtrace_id"`
}

func (r resp) err() graphErr {
	var e struct {
		Error graphErr `json:"error"`
	}
	json.Unmarshal(r.raw, &e)
	return e.Error
}

// data returns body["data"] as a list of objects.
func (r resp) data() []map[string]any {
	var out []map[string]any
	for _, x := range r.body["data"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

// do sends a request; header "Authorization: Bearer <token>" unless auth is
// "" (no header) or starts with "Bearer "/"OAuth " (used verbatim).
func (e *env) do(method, path string, form url.Values, auth string) resp {
	e.t.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		u = e.ts.URL + path
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	json.Unmarshal(raw, &r.body)
	return r
}

// get sends an authenticated GET (Bearer header).
func (e *env) get(path string) resp {
	e.t.Helper()
	return e.do("GET", path, nil, "Bearer "+e.srv.Options().Token)
}

// mustGet is get that fails the test on a non-200 answer.
func (e *env) mustGet(path string) resp {
	e.t.Helper()
	r := e.get(path)
	if r.status != 200 {
		e.t.Fatalf("GET %s: %d %s", path, r.status, r.raw)
	}
	return r
}

// wantErr checks status, code, subcode and the exact message of an error answer.
func wantErr(t *testing.T, r resp, status, code, subcode int, msg string) {
	t.Helper()
	e := r.err()
	if r.status != status || e.Code != code || e.Subcode != subcode || e.Message != msg {
		t.Errorf("got %d code %d/%d %q\nwant %d code %d/%d %q", r.status, e.Code, e.Subcode, e.Message, status, code, subcode, msg)
	}
	if e.FBTraceID == "" || e.Type == "" {
		t.Errorf("error without type or fbtrace_id: %s", r.raw)
	}
}

func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}
