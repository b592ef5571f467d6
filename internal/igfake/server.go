package igfake

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure the emulator. The zero value serves one account with the
// reference dataset (500 media, 50 carousels of 5, 3 stories).
type Options struct {
	// Accounts is the number of IG business accounts (default 1, at most
	// 1000). Account i (from 1) has id "178414" + i on 11 digits
	// (17841400000000001), username "igfake_<i>" and a Page.
	Accounts int
	// PagesWithoutIG is the number of extra Facebook Pages without an IG
	// account listed by /me/accounts (default 0).
	PagesWithoutIG int
	// Media is the number of media per account (default 500; negative: none).
	// Every 10th (positions 0, 10, 20, … newest first) is a CAROUSEL_ALBUM;
	// the others cycle through VIDEO/REELS, IMAGE/FEED and VIDEO/FEED.
	// Timestamps are spread over the 720 days before Now.
	Media int
	// Children is the number of children of each carousel (default 5, at most 10).
	Children int
	// Stories is the number of stories per account (default 3; negative:
	// none), with timestamps within the 23 hours before Now.
	Stories int
	// Followers is every account's followers_count (default 5000). Under 100,
	// follower_count, online_followers, follows_and_unfollows and
	// follower_demographics are not returned.
	Followers int
	// Seed makes every value, id suffix and trace id deterministic.
	Seed int64
	// Token is the only valid access token (default "igfake-token"). It is
	// accepted as "Authorization: Bearer", "Authorization: OAuth" or an
	// access_token query/form parameter.
	Token string
	// AppSecret, when set, makes appsecret_proof (hex HMAC-SHA256 of the
	// token keyed by the secret) mandatory.
	AppSecret string
	// Latency is the time every HTTP request takes to answer at least
	// (the emulator's own work included).
	Latency time.Duration
	// Now is the clock (default time.Now). The dataset is built relative to
	// its first reading; rate-limit blocks, story expiry, token expiry and the
	// insights date rules follow it.
	Now func() time.Time
	// Location is the accounts' day boundary for user insights (default
	// America/Los_Angeles).
	Location *time.Location
	// DefaultPageSize and MaxPageSize bound list pages (defaults 25 and 100;
	// a larger limit is capped silently).
	DefaultPageSize, MaxPageSize int
	// ConvertedAt is the business-conversion time: insights of media older
	// than it answer 100/2108006. Zero: no media is affected.
	ConvertedAt time.Time
	// LowViewerStories: the first N stories of each account answer
	// "(#10) Not enough viewers for the media to show insights".
	LowViewerStories int
	// DeletedMedia: the N newest media of each account are listed but their
	// insights answer 100/33 "Unsupported get request…", as for media
	// deleted between the listing and the insights request.
	DeletedMedia int
	// NoPermissionMedia: the next N media answer "(#10) Application does not
	// have permission for this action" on insights.
	NoPermissionMedia int
	// SharedToFacebook says which media were shared to Facebook, the only
	// ones facebook_views and crossposted_views are served for: "" (default)
	// a third of the reels, "all" or "none".
	SharedToFacebook string
	// UntilInclusive makes daily account insights treat until as Meta does
	// (graph-api.md §10.3): a day is served when it overlaps [since, until],
	// both ends included, so a one-day request with until at the day's end
	// boundary returns two days; until one second before returns one. Off
	// (default): a day is served when its end_time is in (since, until+1 s],
	// which answers both shapes with one day.
	UntilInclusive bool
	// CommentsPermissionDenied makes GET /{media-id}/comments answer
	// "(#10) Application does not have permission for this action", as for
	// a token without instagram_manage_comments.
	CommentsPermissionDenied bool
	// InstagramHost makes the server graph.instagram.com, the Instagram API
	// with Instagram Login (see instagramhost.go): Token is an Instagram
	// Login token, Facebook Login tokens are refused, and the
	// Facebook-Login-only field and metrics are not served.
	InstagramHost bool
	// NoBatch makes the server refuse Graph batch POSTs (HTTP 400, code
	// 100, subcode 33), as a host without batch support would.
	NoBatch bool
	// Faults are the fault-injection switches.
	Faults Faults
	// Tokens are more accepted tokens (and Token's own behaviour when it
	// has an entry), each with its debug_token answer and expiry.
	Tokens map[string]TokenSpec
	// AppID is the app's id (default DefaultAppID): debug_token's app_id,
	// the client_id of token exchanges, the first half of the app token.
	AppID string
	// ClientSecret is the app secret of the app token (AppID|ClientSecret)
	// and of token exchanges (default AppSecret, else DefaultClientSecret).
	ClientSecret string
}

// DefaultToken is the token accepted when Options.Token is empty.
const DefaultToken = "igfake-token"

// DefaultVersion is the Graph API version served on unversioned paths.
const DefaultVersion = "v23.0"

func (o Options) withDefaults() Options {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		} else if *p < 0 {
			*p = 0
		}
	}
	def(&o.Accounts, 1)
	o.Accounts = min(o.Accounts, 1000)
	def(&o.Media, 500)
	def(&o.Children, 5)
	o.Children = min(o.Children, 10)
	def(&o.Stories, 3)
	def(&o.Followers, 5000)
	def(&o.DefaultPageSize, 25)
	def(&o.MaxPageSize, 100)
	if o.Token == "" {
		o.Token = DefaultToken
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = pacific()
	}
	o.Faults = o.Faults.withDefaults()
	if o.AppID == "" {
		o.AppID = DefaultAppID
	}
	if o.ClientSecret == "" {
		o.ClientSecret = cmp.Or(o.AppSecret, DefaultClientSecret)
	}
	return o
}

// Server is the emulator: an http.Handler serving a deterministic fake Graph
// API (graph-api.md "Emulator checklist"). It is safe for concurrent use.
type Server struct {
	o  Options
	ds *Dataset

	mu         sync.Mutex
	st         Stats
	calls      int64 // for TokenExpiresAfter
	expiredAt  time.Time
	limits     map[string]*budget // rate-limit key → budget
	burstLeft  int
	rtSeq      int64           // round trips since start (faults)
	ops        int64           // batch operations seen (BatchNullEvery)
	endless    int64           // pages served by EndlessPages
	nulled     map[string]bool // batch ops already answered null once
	traceCount uint64
	tokens     map[string]*token // accepted tokens (tokens.go)
	minted     int64             // tokens minted by exchanges and refreshes

	comments commentStore // comments.go
}

// Stats counts what the server was asked.
type Stats struct {
	// Calls counts object operations: one per GET, one per batch operation,
	// one per id of a multi-ids GET; each page of a list counts 1. Injected
	// transport faults and null batch operations are not calls.
	Calls int64
	// RoundTrips counts HTTP requests, whatever their outcome.
	RoundTrips int64
	// ByEndpoint counts calls per endpoint, keyed like "GET /{ig-user-id}/media",
	// "GET /{media-id}/insights", "GET /me/accounts"; "POST batch" counts batch
	// round trips.
	ByEndpoint map[string]int64
	// Throttled counts calls answered with a throttle error.
	Throttled int64
	// Faults counts round trips answered by an injected fault (5xx, reset,
	// malformed body).
	Faults int64
	// NullOps counts batch operations answered null.
	NullOps int64
	// BatchesWithoutFormToken counts batch POSTs without a top-level
	// access_token form field (Meta's batch doc requires one, even when the
	// header or every operation carries a token).
	BatchesWithoutFormToken int64
}

// New returns an emulator serving the dataset built from o.
func New(o Options) *Server {
	o = o.withDefaults()
	s := &Server{o: o, limits: map[string]*budget{}, nulled: map[string]bool{}}
	start := o.Now()
	s.ds = build(&s.o, start)
	s.initTokens(start)
	s.st.ByEndpoint = map[string]int64{}
	return s
}

// Dataset returns everything the server serves.
func (s *Server) Dataset() *Dataset { return s.ds }

// Options returns the options in effect (defaults filled in).
func (s *Server) Options() Options { return s.o }

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	st.ByEndpoint = maps.Clone(s.st.ByEndpoint)
	return st
}

// ResetStats zeroes the counters (not the rate-limit budgets nor the token
// expiry count).
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = Stats{ByEndpoint: map[string]int64{}}
	s.resetCommentFetches()
}

// countCall records one call of an endpoint and returns the running total
// used by TokenExpiresAfter.
func (s *Server) countCall(endpoint string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Calls++
	s.st.ByEndpoint[endpoint]++
	s.calls++
	return s.calls
}

// retired reports a field Faults.RetiredFields retires.
func (s *Server) retired(name string) bool { return slices.Contains(s.o.Faults.RetiredFields, name) }

// traceID returns a fresh, random-looking fbtrace_id (deterministic sequence).
func (s *Server) traceID() string {
	s.mu.Lock()
	s.traceCount++
	n := s.traceCount
	s.mu.Unlock()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
	h := s.ds.hash("fbtrace", strconv.FormatUint(n, 10))
	b := make([]byte, 11)
	for i := range b {
		b[i] = alphabet[h&63]
		h >>= 6
	}
	return string(b)
}

// call is one GET operation: a top-level request or a batch operation.
type call struct {
	s            *Server
	version      string // served version, "v23.0"
	prefix       string // "/v23.0" when the path had one
	segs         []string
	query        url.Values
	token        string
	tokenInQuery bool
	tokenBad     bool   // several different tokens
	base         string // scheme://host
	accounts     []string
}

// result is the outcome of one operation.
type result struct {
	status int
	body   []byte
	header http.Header
}

var versionRE = regexp.MustCompile(`^v(\d+)\.0$`)

// NewestVersion is the newest Graph API version served (graph-api.md §10.1).
const NewestVersion = 27

// splitVersion takes a leading /vNN.0 off path. Versions below v21.0 are
// served as v21.0 (Graph upgrades expired versions); above NewestVersion is
// an error.
func splitVersion(path string) (version, prefix string, segs []string, err *apiError) {
	segs = strings.FieldsFunc(path, func(r rune) bool { return r == '/' })
	version = DefaultVersion
	if len(segs) > 0 {
		if m := versionRE.FindStringSubmatch(segs[0]); m != nil {
			n, _ := strconv.Atoi(m[1])
			prefix = "/" + segs[0]
			segs = segs[1:]
			switch {
			case n < 21:
				version = "v21.0"
			case n > NewestVersion:
				return "", "", nil, errUnknownPath(strings.TrimPrefix(path, "/"))
			default:
				version = m[0]
			}
		}
	}
	return version, prefix, segs, nil
}

// collectToken collects the token from the query/form parameters and the
// Authorization header (Bearer or OAuth); different tokens make it invalid.
func collectToken(c *call, params url.Values, header string, paramsInQuery bool) {
	var vals []string
	for _, v := range params["access_token"] {
		if v != "" {
			vals = append(vals, v)
			c.tokenInQuery = c.tokenInQuery || paramsInQuery
		}
	}
	if scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " "); ok {
		if strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "OAuth") {
			vals = append(vals, strings.TrimSpace(tok))
		}
	}
	for _, v := range vals {
		if c.token == "" {
			c.token = v
		} else if v != c.token {
			c.tokenBad = true
		}
	}
}

// auth checks the token, appsecret_proof and TokenExpiresAfter for a call
// numbered n.
func (c *call) auth(n int64, proof string) *apiError {
	s := c.s
	if c.token == "" {
		if len(c.segs) > 0 && c.segs[0] == "me" {
			return errNoTokenMe()
		}
		return errNoToken()
	}
	tok := s.lookupToken(c.token)
	if c.tokenBad || tok == nil {
		return errInvalidToken()
	}
	if err := s.hostRefuses(tok); err != nil {
		return err
	}
	if s.o.AppSecret != "" {
		if proof == "" {
			return errProofMissing()
		}
		m := hmac.New(sha256.New, []byte(s.o.AppSecret))
		m.Write([]byte(c.token))
		want := hex.EncodeToString(m.Sum(nil))
		if !hmac.Equal([]byte(strings.ToLower(proof)), []byte(want)) {
			return errProofInvalid()
		}
	}
	if err := tok.tokenError(s.o.Now()); err != nil {
		return err
	}
	if k := int64(s.o.Faults.TokenExpiresAfter); k > 0 && n >= k && c.token == s.o.Token {
		now := s.o.Now()
		s.mu.Lock()
		if s.expiredAt.IsZero() {
			s.expiredAt = now // the Nth call was the last one the token served
		}
		exp := s.expiredAt
		s.mu.Unlock()
		if n > k {
			return errExpiredToken(exp, now)
		}
	}
	return nil
}

// do runs one GET operation end to end: route, count, authenticate, charge
// the rate limit, render.
func (c *call) do(proof string) result {
	s := c.s
	rt := c.route()
	n := s.countCall(rt.endpoint)
	auth := func() *apiError { return c.auth(n, proof) }
	if rt.auth != nil {
		auth = func() *apiError { return rt.auth(c) }
	}
	if err := auth(); err != nil {
		return c.fail(err)
	}
	if rt.err != nil {
		return c.fail(rt.err)
	}
	if rt.account != "" {
		if err := c.charge(rt.account); err != nil {
			return c.fail(err)
		}
	}
	v, err := rt.handler(c)
	if err != nil {
		return c.fail(err)
	}
	return result{status: http.StatusOK, body: encode(v)}
}

// fail renders an error result.
func (c *call) fail(e *apiError) result {
	r := result{status: e.Status, body: encode(e.body(c.s.traceID()))}
	if e.WWWAuth != "" {
		r.header = http.Header{"Www-Authenticate": {e.WWWAuth}}
	}
	return r
}

// charge counts one call against an account's rate-limit budget and
// remembers the account for the usage headers.
func (c *call) charge(accountID string) *apiError {
	c.accounts = append(c.accounts, accountID)
	return c.s.charge(accountID)
}

// ServeHTTP implements http.Handler.
//
// Latency is the time to answer, measured from the request's arrival: the
// answer is computed at once and sent when the latency is up (or when it is
// ready, if computing took longer), the way a remote API's latency includes
// its own work. A faulty round trip (slow, reset, 5xx) waits the latency
// first and is not computed.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	deadline := time.Now().Add(s.o.Latency)
	n := s.roundTrip()
	ctx := r.Context()
	f := s.faultFor(n)
	var res result
	var accounts []string
	version := DefaultVersion
	if !f.slow && !f.reset && !f.serverError && !f.redirect && !f.trickle {
		res, accounts, version = s.handle(r)
	}
	if d := time.Until(deadline); d > 0 && !sleep(ctx, d) {
		return
	}
	if f.slow {
		if !sleep(ctx, s.o.Faults.SlowDelay) {
			return
		}
		if !f.reset && !f.serverError && !f.redirect && !f.trickle {
			res, accounts, version = s.handle(r)
		}
	}
	if f.reset {
		resetConn(w)
		return
	}
	switch {
	case f.redirect:
		http.Redirect(w, r, s.o.Faults.RedirectTo+r.URL.RequestURI(), http.StatusTemporaryRedirect)
		return
	case f.trickle:
		trickle(w, r, s.o.Faults.TrickleInterval)
		return
	}
	if f.serverError {
		res = result{status: http.StatusInternalServerError, body: encode(errTransient().body(s.traceID()))}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	h.Set("Facebook-Api-Version", version)
	h.Set("X-Fb-Rev", "1026000000")
	h.Set("X-Fb-Trace-Id", s.traceID())
	for k, v := range res.header {
		h[k] = v
	}
	s.usageHeaders(h, accounts)
	body := res.body
	if f.malformed {
		res.status, body = http.StatusOK, body[:len(body)/2]
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(res.status)
	if f.stall {
		// Half the body, then nothing until the client gives up.
		w.Write(body[:len(body)/2])
		_ = http.NewResponseController(w).Flush()
		<-ctx.Done()
		return
	}
	w.Write(body)
}

// handle routes one HTTP request: a batch POST or a GET.
func (s *Server) handle(r *http.Request) (result, []string, string) {
	version, prefix, segs, verr := splitVersion(r.URL.Path)
	c := &call{s: s, version: version, prefix: prefix, segs: segs, base: baseURL(r)}
	if verr != nil {
		c.version = DefaultVersion
		return c.fail(verr), nil, c.version
	}
	switch r.Method {
	case http.MethodGet:
		c.query = r.URL.Query()
		collectToken(c, c.query, r.Header.Get("Authorization"), true)
		res := c.do(c.query.Get("appsecret_proof"))
		return res, c.accounts, version
	case http.MethodPost:
		if err := r.ParseMultipartForm(32 << 20); err != nil && err != http.ErrNotMultipart {
			return c.fail(errParam("(#100) Could not parse the request body")), nil, version
		}
		if len(segs) == 0 && r.PostForm.Has("batch") {
			if s.o.NoBatch {
				s.mu.Lock()
				s.st.ByEndpoint["POST batch (refused)"]++
				s.mu.Unlock()
				return c.fail(errBatchRefused()), nil, version
			}
			return s.batch(r, c)
		}
		id := "/"
		if len(segs) > 0 {
			id = segs[0]
		}
		return c.fail(errUnsupportedGet("POST", id)), nil, version
	default:
		return c.fail(errParam("(#100) Unsupported method %s", r.Method)), nil, version
	}
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

// sleep waits d or until ctx ends; it reports whether the wait completed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
