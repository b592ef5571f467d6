package graph

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fastjson"
)

// Defaults for [Options].
const (
	DefaultBaseURL         = "https://graph.facebook.com"
	DefaultVersion         = "v23.0"
	DefaultMaxUsagePercent = 75
	DefaultMaxPaceDelay    = 10 * time.Second
	DefaultUserAgent       = "igexport"
	// MaxResponseBytes bounds the body read from one response.
	MaxResponseBytes = 64 << 20
	// DefaultRequestTimeout and DefaultReadIdleTimeout are the defaults of
	// [Timeouts].
	DefaultRequestTimeout  = 2 * time.Minute
	DefaultReadIdleTimeout = 30 * time.Second
)

// Timeouts bound every HTTP request of a client, each attempt on its own:
// a request that runs out of time is a transient failure (retried with
// backoff, up to RetryPolicy.MaxAttempts attempts), and then fails with an
// error that says it timed out. Zero fields take the defaults.
type Timeouts struct {
	// Request bounds one attempt from the moment it is sent to the last
	// byte of its body (default 2m): a body trickled a byte at a time
	// cannot hold a request for longer.
	Request time.Duration
	// ReadIdle bounds the wait for more of a response body once its headers
	// are in (default 30s): a response that stops halfway fails then,
	// without waiting for Request. (The wait for the headers is bounded by
	// Request, and by the transport's response header timeout, 60s with
	// [NewHTTPClient].)
	ReadIdle time.Duration
}

func (t Timeouts) withDefaults() Timeouts {
	if t.Request <= 0 {
		t.Request = DefaultRequestTimeout
	}
	if t.ReadIdle <= 0 {
		t.ReadIdle = DefaultReadIdleTimeout
	}
	return t
}

// Clock is the time source of a client. All sleeping (backoff, throttling,
// pacing) goes through Sleep, so tests can use a fake clock.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, returning ctx.Err() then.
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits for d or until ctx is done.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Options configure a [Client]. The zero value of every field has a default.
type Options struct {
	// BaseURL is the Graph host (default "https://graph.facebook.com"; an
	// emulator URL in tests). Version is the path version (default "v23.0").
	// Request URLs are BaseURL + "/" + Version + path.
	BaseURL, Version string
	// Token is sent as "Authorization: Bearer <token>" only. When AppSecret
	// is set, appsecret_proof = hex(HMAC-SHA256(AppSecret, Token)) goes with
	// every call.
	Token, AppSecret string
	// HTTPClient nil → [DefaultHTTPClient]. Whatever client it is, the
	// Client follows a redirect only within BaseURL's origin (scheme, host
	// and port), the rule of paging.next: the token never goes elsewhere.
	HTTPClient *http.Client
	// Timeouts bound each request (zero fields: defaults; see [Timeouts]).
	Timeouts Timeouts
	// Limiter is shared across clients and bounds requests in flight;
	// nil → unbounded. Waiting requests of clients created earlier go
	// first (see Limiter).
	Limiter *Limiter
	// Retry zero value → defaults (see [RetryPolicy]).
	Retry RetryPolicy
	// MaxUsagePercent is the pacing threshold (default 75): above it each
	// request is delayed by MaxPaceDelay × (usage − max)/(100 − max); at 100
	// the client pauses until the regain time. ≥ 100 disables pacing below 100.
	MaxUsagePercent int
	// MaxPaceDelay is the pacing delay at 100 % usage (default 10s).
	MaxPaceDelay time.Duration
	// Logger nil → discard. Everything logged is redacted.
	Logger *slog.Logger
	// Clock nil → [RealClock].
	Clock Clock
	// Pacer, shared by the clients of one Instagram account, makes them
	// pause, slow down, count MaxWait and defer together (see [Pacer]);
	// nil → the client's own.
	Pacer *Pacer
	// UserAgent default "igexport".
	UserAgent string
	// MaxPages bounds the pages one PageItems call follows (default:
	// 100,000 items' worth at the page size asked for, and at least 1,000
	// pages; Instagram serves at most the 10,000 most recent media).
	// MaxEmptyPages bounds the empty pages in a row that still have a
	// paging.next (default 5): the API may send one, but a run of them is
	// paging that makes no progress. Past either bound the call fails with
	// an error saying so.
	MaxPages, MaxEmptyPages int
	// Batch, shared by the clients of one host, remembers whether the
	// host takes batch requests (see [BatchSupport]); nil: batch requests
	// are sent and a refusal fails them.
	Batch *BatchSupport
}

// Client is a Graph API client for one access token. It is safe for
// concurrent use.
type Client struct {
	baseURL  string   // BaseURL without trailing slash
	base     *url.URL // parsed BaseURL, for paging.next host checks
	baseErr  error
	version  string
	token    string
	proof    string
	hc       *http.Client
	lim      *Limiter
	ticket   uint64 // the client's place in the limiter's queue (older first)
	retry    RetryPolicy
	timeouts Timeouts
	maxPages int // 0: from the page size
	maxEmpty int
	maxUsage int
	maxPace  time.Duration
	log      *slog.Logger
	clock    Clock
	ua       string
	sc       scrubber
	rand     func() float64 // [0,1), for jitter; replaceable in tests

	p        *Pacer        // throttling and pacing state, shared by the clients of one account
	batchSup *BatchSupport // the host's batch support, shared by its clients

	mu sync.Mutex // guards stats and pageLimits
	// pageLimits are the page limits reduced on code 1, per listing path.
	pageLimits map[string]int
	stats      Stats
}

// Stats are a client's counters. A call is one object operation (each
// operation of a batch POST counts, and so does each resend); a round trip
// is one HTTP request; Retries counts operations sent again (a retried GET
// counts 1, a follow-up batch counts its operations).
type Stats struct {
	Calls, RoundTrips, Retries, ThrottleWaits int64
	// ThrottleWaited is the throttle pause time this client booked
	// (overlapping waits of concurrent requests, of this client or another
	// one sharing its Pacer, counted once, by whoever extended the pause):
	// summed over the clients of a Pacer it is what RetryPolicy.MaxWait
	// bounds.
	ThrottleWaited time.Duration
	// LastUsagePercent is the highest percentage of the last usage header seen.
	LastUsagePercent int
	// PaceWaits and PaceWaited count the delays added by usage pacing
	// below 100 %.
	PaceWaits  int64
	PaceWaited time.Duration
}

// New returns a client. A BaseURL that does not parse makes every call fail
// with an error saying so.
func New(o Options) *Client {
	c := &Client{
		baseURL:  strings.TrimRight(o.BaseURL, "/"),
		version:  strings.Trim(o.Version, "/"),
		token:    o.Token,
		hc:       o.HTTPClient,
		lim:      o.Limiter,
		ticket:   o.Limiter.ticket(),
		p:        o.Pacer,
		retry:    o.Retry.withDefaults(),
		timeouts: o.Timeouts.withDefaults(),
		maxPages: o.MaxPages,
		maxEmpty: o.MaxEmptyPages,
		maxUsage: o.MaxUsagePercent,
		maxPace:  o.MaxPaceDelay,
		log:      o.Logger,
		clock:    o.Clock,
		ua:       o.UserAgent,
		sc:       newScrubber(o.Token, o.AppSecret),
		rand:     rand.Float64,
		batchSup: o.Batch,
	}
	if c.baseURL == "" {
		c.baseURL = DefaultBaseURL
	}
	if c.version == "" {
		c.version = DefaultVersion
	}
	if c.hc == nil {
		c.hc = DefaultHTTPClient()
	}
	if c.maxEmpty <= 0 {
		c.maxEmpty = DefaultMaxEmptyPages
	}
	if c.maxUsage <= 0 {
		c.maxUsage = DefaultMaxUsagePercent
	}
	if c.maxPace <= 0 {
		c.maxPace = DefaultMaxPaceDelay
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.clock == nil {
		c.clock = RealClock{}
	}
	if c.ua == "" {
		c.ua = DefaultUserAgent
	}
	if c.p == nil {
		c.p = NewPacer()
	}
	if o.AppSecret != "" {
		c.proof = AppSecretProof(o.AppSecret, o.Token)
	}
	u, err := url.Parse(c.baseURL)
	if err == nil && (u.Scheme == "" || u.Host == "") {
		err = errors.New("missing scheme or host")
	}
	if err != nil {
		c.baseErr = fmt.Errorf("graph: invalid base URL %q: %s", Redact(c.baseURL), Redact(err.Error()))
	}
	c.base = u
	// The redirect rule lives here, not in the HTTP client a caller may
	// pass: every client this package sends the token with obeys it.
	c.hc = withRedirectPolicy(c.hc, u)
	return c
}

// AppSecretProof is the lowercase hex HMAC-SHA256 of token keyed by the app
// secret, Graph's appsecret_proof.
func AppSecretProof(appSecret, token string) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Get fetches path (version-less, e.g. "/17841400000000001") with params and
// decodes the JSON response into out (nil: discard). A response that does
// not decode into out is an error naming the endpoint.
func (c *Client) Get(ctx context.Context, path string, params url.Values, out any) error {
	r, err := c.getRequest(path, params)
	if err != nil {
		return err
	}
	if out != nil {
		r.decode = func(body []byte) error { return decodeJSON(r.endpoint, body, out) }
	}
	_, err = c.do(ctx, r)
	return err
}

// Process-wide caches: response bodies are read into pooled buffers and
// decoded with pooled fastjson parsers. A parser keeps its memory between
// uses (a copy of the last document and a value cache as large as the
// largest document it parsed), so parsers are pooled by the size of what
// they parse: a page parser is 0.3–0.5 MB (see pageParser), a batch
// element or body parser a few KB. One pool for all clients keeps as many
// parsers as are in use at once. Batches of big bodies (user insights: a
// month of values of several metrics, tens of KB each) have parsers of
// their own, without the slot: those go once such batches stop coming,
// instead of staying on for the small bodies of the rest of the run (media
// insights: ~3 KB each).
var (
	bodyBuffers     sync.Pool                   // *bytes.Buffer
	pageParsers     parserPool[pageParser]      // pages of 100 media (PageItems)
	batchParsers    parserPool[fastjson.Parser] // the elements of batch responses
	opParsers       parserPool[fastjson.Parser] // one operation's body (a few KB)
	bigBatchParsers fastjson.ParserPool         // batchParsers for big bodies
	bigOpParsers    fastjson.ParserPool         // opParsers for big bodies
)

// bigOpBody is the mean size of an operation's body over which a batch
// response is decoded with bigBatchParsers and bigOpParsers.
const bigOpBody = 16 << 10

// parsers is a pool of fastjson parsers.
type parsers interface {
	Get() *fastjson.Parser
	Put(*fastjson.Parser)
}

// parserPool is a pool of parsers (a fastjson.ParserPool) behind one slot
// that every goroutine sees. A sync.Pool keeps what is put back in the
// putting P's private slot, which a Get on another P does not look at: a
// listing whose pages are decoded on one P and then another kept a page
// parser per P (each the size of the biggest page it parsed, ~0.5 MB),
// although it never uses more than one at a time. The slot serves one user
// at a time; the sync.Pool behind it holds what more users at once need,
// and drops it once unused.
type parserPool[T any] struct {
	one  atomic.Pointer[T]
	more sync.Pool // *T
}

// Get returns a parser from the pool, or a new one.
func (pp *parserPool[T]) Get() *T {
	if p := pp.one.Swap(nil); p != nil {
		return p
	}
	if p, _ := pp.more.Get().(*T); p != nil {
		return p
	}
	return new(T)
}

// Put gives p back to the pool; p must not be used afterwards.
func (pp *parserPool[T]) Put(p *T) {
	if !pp.one.CompareAndSwap(nil, p) {
		pp.more.Put(p)
	}
}

// request is one logical HTTP request, re-sent as is on retry.
type request struct {
	method   string
	url      string // absolute, never carrying the token
	endpoint string // version-less path: errors and logs
	form     []byte // url-encoded POST body; nil for GET
	ops      int    // operations it carries (Stats.Calls)
	// decode, when set, decodes a successful body inside the retry loop: a
	// body that is not JSON (truncated, an HTML page from a proxy) is
	// retried like a transient failure; JSON of the wrong shape or types
	// fails at once. The error it returns must name the endpoint.
	decode func(body []byte) error
}

// versionPrefix matches a leading "/v23.0" path segment.
var versionPrefix = regexp.MustCompile(`^/v\d+(\.\d+)?(/|$)`)

// splitPath normalises a caller's path: leading "/", no version segment,
// any "?query" merged into a copy of params, access_token removed.
func splitPath(path string, params url.Values) (string, url.Values) {
	q := url.Values{}
	for k, v := range params {
		q[k] = append([]string(nil), v...)
	}
	if p, raw, ok := strings.Cut(path, "?"); ok {
		path = p
		if extra, err := url.ParseQuery(raw); err == nil {
			for k, v := range extra {
				if _, set := q[k]; !set {
					q[k] = v
				}
			}
		}
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if m := versionPrefix.FindString(path); m != "" {
		path = "/" + strings.TrimPrefix(path[len(m):], "/")
	}
	q.Del("access_token") // the header carries the token
	return path, q
}

func (c *Client) getRequest(path string, params url.Values) (request, error) {
	if c.baseErr != nil {
		return request{}, c.baseErr
	}
	p, q := splitPath(path, params)
	q.Del("appsecret_proof")
	if c.proof != "" {
		q.Set("appsecret_proof", c.proof)
	}
	u := c.baseURL + "/" + c.version + p
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return request{method: http.MethodGet, url: u, endpoint: p, ops: 1}, nil
}

// endpointOf is the version-less path of a URL, for errors.
func endpointOf(u *url.URL) string {
	p := u.EscapedPath()
	if m := versionPrefix.FindString(p); m != "" {
		p = "/" + strings.TrimPrefix(p[len(m):], "/")
	}
	if p == "" {
		p = "/"
	}
	return p
}

// roundTrip sends r once and returns its body in a buffer from
// bodyBuffers, which the caller puts back once it has decoded it (nil when
// err is set). The limiter slot is held from before the request is sent
// until its body has been read, and at no other time; the buffer is taken
// once the slot is, so that the requests waiting for a slot hold none (at a
// concurrency of 16, an account's batch calls alone can have many more
// requests waiting than in flight). The attempt is bounded by c.timeouts:
// Request from the moment the slot is taken, ReadIdle between two reads of
// the body.
func (c *Client) roundTrip(ctx context.Context, r request) (body *bytes.Buffer, h http.Header, status int, err error) {
	if err := c.lim.acquire(ctx, c.ticket); err != nil {
		return nil, nil, 0, c.ctxError(r, err)
	}
	defer c.lim.Release()
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	total := time.AfterFunc(c.timeouts.Request, func() {
		cancel(&timeoutError{msg: fmt.Sprintf("timed out: no complete response within %s (request timeout)", c.timeouts.Request)})
	})
	defer total.Stop()
	var rd io.Reader
	if r.form != nil {
		rd = bytes.NewReader(r.form)
	}
	req, err := http.NewRequestWithContext(actx, r.method, r.url, rd)
	if err != nil {
		return nil, nil, 0, &safeError{msg: "graph: " + Redact(r.endpoint) + ": building request: " + c.sc.clean(err.Error()), err: err}
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	if r.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	c.mu.Lock()
	c.stats.RoundTrips++
	c.stats.Calls += int64(r.ops)
	c.mu.Unlock()
	if c.log.Enabled(ctx, slog.LevelDebug) {
		c.log.Debug("graph: request", "method", r.method, "url", c.sc.clean(r.url), "ops", r.ops)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, 0, c.transportError(ctx, actx, r, err)
	}
	idle := time.AfterFunc(c.timeouts.ReadIdle, func() {
		cancel(&timeoutError{msg: fmt.Sprintf("timed out: the response stopped arriving for %s (read idle timeout)", c.timeouts.ReadIdle)})
	})
	buf, _ := bodyBuffers.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	n, err := readBody(&idleReader{r: resp.Body, t: idle, d: c.timeouts.ReadIdle}, resp.ContentLength, buf)
	idle.Stop()
	resp.Body.Close()
	if err != nil {
		bodyBuffers.Put(buf)
		return nil, resp.Header, resp.StatusCode, c.transportError(ctx, actx, r, err)
	}
	if n > MaxResponseBytes {
		// not pooled: the buffer grew past the bound, every later request
		// would keep it
		return nil, resp.Header, resp.StatusCode, &safeError{msg: fmt.Sprintf("graph: %s: response larger than %d bytes", Redact(r.endpoint), MaxResponseBytes)}
	}
	return buf, resp.Header, resp.StatusCode, nil
}

// ErrTimeout is wrapped by the error of a request that ran out of time
// (see [Timeouts]), after its retries.
var ErrTimeout = errors.New("request timed out")

// timeoutError is the cause an attempt is cancelled with when it runs out
// of time; it matches ErrTimeout.
type timeoutError struct{ msg string }

func (e *timeoutError) Error() string        { return e.msg }
func (e *timeoutError) Is(target error) bool { return target == ErrTimeout }

// idleReader pushes the idle timer t back by d whenever data arrives.
type idleReader struct {
	r io.Reader
	t *time.Timer
	d time.Duration
}

func (ir *idleReader) Read(p []byte) (int, error) {
	n, err := ir.r.Read(p)
	if n > 0 {
		ir.t.Reset(ir.d)
	}
	return n, err
}

// readBody reads up to MaxResponseBytes+1 bytes of a response body into
// buf (emptied first), grown from Content-Length n when there is one (media
// pages are ~100 KB: growing a buffer by doubling copies and clears it
// several times). It returns the length read.
func readBody(body io.Reader, n int64, buf *bytes.Buffer) (int, error) {
	buf.Reset()
	if n > 0 && n <= MaxResponseBytes {
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(io.LimitReader(body, MaxResponseBytes+1))
	return buf.Len(), err
}

// transportError wraps a failure to send or read: transient unless the
// context ended, TLS verification failed or a redirect was refused; an
// attempt that ran out of time (actx's cause) is transient and says so.
// The message is redacted (a *url.Error prints the URL).
func (c *Client) transportError(ctx, actx context.Context, r request, err error) error {
	if ctx.Err() != nil {
		return c.ctxError(r, context.Cause(ctx))
	}
	var te *timeoutError
	if cause := context.Cause(actx); errors.As(cause, &te) {
		return &safeError{msg: "graph: " + r.method + " " + Redact(r.endpoint) + ": " + te.msg, err: te, transient: true}
	}
	var ue *url.Error
	cause := err
	if errors.As(err, &ue) {
		cause = ue.Err
	}
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	permanent := errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr) ||
		errors.Is(err, errRedirectRefused)
	return &safeError{
		msg:       "graph: " + r.method + " " + Redact(r.endpoint) + ": " + c.sc.clean(cause.Error()),
		err:       err,
		transient: !permanent,
	}
}

func (c *Client) ctxError(r request, err error) error {
	return &safeError{msg: "graph: " + Redact(r.endpoint) + ": " + err.Error(), err: err}
}

// do sends r until it succeeds or fails for good: transient failures are
// retried with backoff up to MaxAttempts attempts, throttling is waited out
// within MaxWait, anything else is returned at once. It returns the headers
// of the successful response; its body is only seen by r.decode, and the
// buffer it was read into goes back to bodyBuffers as soon as it is
// decoded, before any wait (throttle, backoff) for another attempt.
func (c *Client) do(ctx context.Context, r request) (http.Header, error) {
	failures := 0
	for {
		if err := c.pace(ctx, r); err != nil {
			return nil, err
		}
		buf, h, status, err := c.roundTrip(ctx, r)
		reading := c.observe(h)
		if err == nil {
			var final bool
			final, err = c.check(r, status, buf.Bytes())
			bodyBuffers.Put(buf)
			switch {
			case final:
				return nil, err
			case err == nil:
				if r.method == http.MethodGet {
					// A batch POST can succeed with throttled operations in
					// it: runChunk decides for those.
					c.succeeded()
				}
				return h, nil
			}
		}
		if ctx.Err() != nil {
			return nil, c.ctxError(r, context.Cause(ctx))
		}
		var ae *Error
		isAPI := errors.As(err, &ae)
		switch {
		case isAPI && (ae.TokenInvalid() || ae.Permission()):
			return nil, err
		case isAPI && ae.Throttle():
			if werr := c.waitThrottle(ctx, r.endpoint, ae, reading.Regain); werr != nil {
				return nil, werr
			}
		case isAPI && ae.Transient(), isTransient(err):
			failures++
			if failures >= c.retry.MaxAttempts {
				return nil, &safeError{msg: fmt.Sprintf("%s (gave up after %s)", err.Error(), plural(failures, "attempt")), err: err}
			}
			d := c.backoff(failures)
			c.log.Warn("graph: transient error, retrying", "endpoint", Redact(r.endpoint), "attempt", failures, "in", d, "err", err.Error())
			if serr := c.clock.Sleep(ctx, d); serr != nil {
				return nil, c.ctxError(r, serr)
			}
		default:
			return nil, err
		}
		c.mu.Lock()
		c.stats.Retries += int64(r.ops)
		c.mu.Unlock()
	}
}

// check reads the body of a response to r: the API error it carries, or
// the error decoding it; final reports an error no attempt can fix (JSON of
// the wrong shape), as opposed to an API error and a body that is not JSON
// (transient).
func (c *Client) check(r request, status int, body []byte) (final bool, err error) {
	if apiErr := parseError(status, body, r.endpoint, c.sc); apiErr != nil {
		return false, apiErr
	}
	if derr := r.decodeBody(body); derr != nil {
		if !isSyntaxError(derr) {
			return true, derr
		}
		return false, &safeError{msg: derr.Error(), err: derr, transient: true}
	}
	return false, nil
}

func (r request) decodeBody(body []byte) error {
	if r.decode == nil {
		return nil
	}
	return r.decode(body)
}

// isSyntaxError reports a body that is not JSON at all (as opposed to JSON
// of the wrong shape): a response cut short or replaced on the way, worth
// another attempt.
func isSyntaxError(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, errEmptyBody) || errors.Is(err, errNotJSON)
}

// errEmptyBody is a 2xx response without a body.
var errEmptyBody = errors.New("empty body")

// isTransient reports a transport failure worth retrying.
func isTransient(err error) bool {
	var se *safeError
	return errors.As(err, &se) && se.transient
}

// decodeJSON is json.Unmarshal that never panics on odd input and names the
// endpoint on failure.
func decodeJSON(endpoint string, body []byte, out any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return decodeError(endpoint, errEmptyBody)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return decodeError(endpoint, err)
	}
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
