package igfake

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TokenSpec describes a token the emulator accepts besides Options.Token
// (Options.Tokens), or Options.Token itself when Tokens has an entry for it:
// what GET /debug_token says about it and how it behaves on other calls.
// The zero value is a valid Facebook Login user token that expires 60 days
// after the clock's first reading, with a data-access deadline 90 days out
// and every permission igexport needs.
type TokenSpec struct {
	// ExpiresIn is the time from the clock's first reading to the token's
	// expiry: 0 means 60 days; negative means it expired that long ago
	// (every call answers 190/463, debug_token is_valid false).
	ExpiresIn time.Duration
	// NeverExpires makes expires_at 0 (a Page or system-user token).
	NeverExpires bool
	// DataAccessExpiresIn is the data-access deadline from the first
	// reading (0: 90 days).
	DataAccessExpiresIn time.Duration
	// MissingScopes are permissions left out of the token's scopes.
	MissingScopes []string
	// Invalidated makes the token invalid (the user changed their password):
	// 190/460 on every call, is_valid false with the error inside data on
	// debug_token.
	Invalidated bool
	// Login is "facebook" (default) or "instagram": an Instagram Login token
	// has the instagram_business_* scopes and may use
	// /refresh_access_token.
	Login string
	// IssuedAgo is the token's age at the clock's first reading (default
	// 48h); Instagram refuses to refresh a token younger than 24 hours.
	IssuedAgo time.Duration
	// NotDeveloper: the token's user is no developer of the app, so it
	// cannot be the access_token of a debug_token call ((#100)).
	NotDeveloper bool
	// Type is debug_token's type (default "USER"; "PAGE", "SYSTEM_USER").
	Type string
	// Account is the account (from 1; default 1) an Instagram Login token
	// belongs to: what its GET /me answers.
	Account int
}

// DefaultAppID is the app id when Options.AppID is empty.
const DefaultAppID = "100000000000000"

// DefaultClientSecret is the app secret of token exchanges and app tokens
// when Options.ClientSecret and Options.AppSecret are empty.
const DefaultClientSecret = "igfake-client-secret"

// Scopes of a healthy token by login kind.
var (
	facebookScopes  = []string{"instagram_basic", "instagram_manage_insights", "pages_show_list", "pages_read_engagement"}
	instagramScopes = []string{"instagram_business_basic", "instagram_business_manage_insights"}
)

// token is the state of one accepted token.
type token struct {
	spec       TokenSpec
	issued     time.Time
	expires    time.Time // zero: never
	dataAccess time.Time
	scopes     []string
}

func newToken(spec TokenSpec, now time.Time) *token {
	t := &token{spec: spec}
	age := spec.IssuedAgo
	if age == 0 {
		age = 48 * time.Hour
	}
	t.issued = now.Add(-age)
	if !spec.NeverExpires {
		in := spec.ExpiresIn
		if in == 0 {
			in = 60 * 24 * time.Hour
		}
		t.expires = now.Add(in)
	}
	da := spec.DataAccessExpiresIn
	if da == 0 {
		da = 90 * 24 * time.Hour
	}
	t.dataAccess = now.Add(da)
	all := facebookScopes
	if spec.Login == "instagram" {
		all = instagramScopes
	}
	for _, s := range all {
		if !slices.Contains(spec.MissingScopes, s) {
			t.scopes = append(t.scopes, s)
		}
	}
	return t
}

// initTokens registers Options.Token and Options.Tokens at time now.
func (s *Server) initTokens(now time.Time) {
	def := TokenSpec{}
	if s.o.InstagramHost {
		def.Login = "instagram"
	}
	s.tokens = map[string]*token{s.o.Token: newToken(def, now)}
	for k, spec := range s.o.Tokens {
		s.tokens[k] = newToken(spec, now)
	}
}

// lookupToken returns the state of an accepted token, or nil.
func (s *Server) lookupToken(tok string) *token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[tok]
}

// tokenError is the error every call made with t answers at now, or nil.
func (t *token) tokenError(now time.Time) *apiError {
	switch {
	case t.spec.Invalidated:
		return errInvalidatedToken()
	case !t.expires.IsZero() && !now.Before(t.expires):
		return errExpiredToken(t.expires, now)
	}
	return nil
}

func errInvalidatedToken() *apiError {
	msg := "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons."
	return &apiError{Status: http.StatusBadRequest, Type: typeOAuth, Code: 190, Subcode: 460, Message: msg, WWWAuth: wwwAuth(msg)}
}

func errNotDeveloper() *apiError {
	return errParam("(#100) You must provide an app access token, or a user access token that is an owner or developer of the app")
}

// appToken is the app access token "APP_ID|APP_SECRET".
func (s *Server) appToken() string { return s.o.AppID + "|" + s.o.ClientSecret }

// debugAuth authenticates a debug_token call: the app token, or a valid
// token of one of the app's developers.
func (c *call) debugAuth() *apiError {
	if c.token == "" {
		return errNoToken()
	}
	if c.tokenBad {
		return errInvalidToken()
	}
	if c.token == c.s.appToken() {
		return nil
	}
	t := c.s.lookupToken(c.token)
	if t == nil {
		return errInvalidToken()
	}
	if err := t.tokenError(c.s.o.Now()); err != nil {
		return err
	}
	if t.spec.NotDeveloper {
		return errNotDeveloper()
	}
	return nil
}

// debugToken serves GET /debug_token?input_token=T (graph-api.md §8, §11).
func (c *call) debugToken() (any, *apiError) {
	in := c.query.Get("input_token")
	if in == "" {
		return nil, errParam("(#100) The parameter input_token is required")
	}
	now := c.s.o.Now()
	data := obj{{"app_id", c.s.o.AppID}, {"type", "USER"}, {"application", "igfake"}}
	t := c.s.lookupToken(in)
	if t == nil {
		data = append(data, kv{"is_valid", false}, kv{"error", obj{{"code", 190}, {"message", "Invalid OAuth access token."}}})
		return obj{{"data", data}}, nil
	}
	if t.spec.Type != "" {
		data[1] = kv{"type", t.spec.Type}
	}
	var expires int64
	if !t.expires.IsZero() {
		expires = t.expires.Unix()
	}
	data = append(data,
		kv{"data_access_expires_at", t.dataAccess.Unix()},
		kv{"expires_at", expires})
	if err := t.tokenError(now); err != nil {
		e := obj{{"code", err.Code}, {"message", err.Message}, {"subcode", err.Subcode}}
		data = append(data, kv{"is_valid", false}, kv{"error", e})
	} else {
		data = append(data, kv{"is_valid", true})
	}
	data = append(data,
		kv{"issued_at", t.issued.Unix()},
		kv{"scopes", t.scopes},
		kv{"user_id", c.s.ds.UserID})
	return obj{{"data", data}}, nil
}

// mint registers a fresh long-lived token derived from old and returns it
// with its lifetime in seconds.
func (s *Server) mint(prefix string, old *token, now time.Time) (string, int64) {
	const life = 60 * 24 * time.Hour
	s.mu.Lock()
	defer s.mu.Unlock()
	s.minted++
	tok := fmt.Sprintf("%s%016x", prefix, s.ds.hash("minted", strconv.FormatInt(s.minted, 10)))
	nt := &token{spec: old.spec, issued: now, expires: now.Add(life), dataAccess: now.Add(90 * 24 * time.Hour), scopes: old.scopes}
	nt.spec.IssuedAgo = 0
	s.tokens[tok] = nt
	return tok, int64(life / time.Second)
}

// exchangeToken serves GET /oauth/access_token?grant_type=fb_exchange_token
// &client_id&client_secret&fb_exchange_token (a long-lived user token).
func (c *call) exchangeToken() (any, *apiError) {
	q := c.query
	if q.Get("grant_type") != "fb_exchange_token" {
		return nil, errParam("(#100) Unsupported grant_type %q", q.Get("grant_type"))
	}
	if q.Get("client_id") != c.s.o.AppID {
		return nil, &apiError{Status: http.StatusBadRequest, Type: typeOAuth, Code: 101, Message: "Error validating application. Invalid application ID."}
	}
	if q.Get("client_secret") != c.s.o.ClientSecret {
		return nil, &apiError{Status: http.StatusBadRequest, Type: typeOAuth, Code: 1, Message: "Error validating client secret."}
	}
	old := c.s.lookupToken(q.Get("fb_exchange_token"))
	if old == nil || old.spec.Login == "instagram" {
		return nil, errInvalidToken()
	}
	now := c.s.o.Now()
	if err := old.tokenError(now); err != nil {
		return nil, err
	}
	tok, secs := c.s.mint("EAAigfake", old, now)
	return obj{{"access_token", tok}, {"token_type", "bearer"}, {"expires_in", secs}}, nil
}

// refreshToken serves GET /refresh_access_token?grant_type=ig_refresh_token
// &access_token (Instagram Login: a token at least 24 h old, not expired).
func (c *call) refreshToken() (any, *apiError) {
	if c.query.Get("grant_type") != "ig_refresh_token" {
		return nil, errParam("(#100) Unsupported grant_type %q", c.query.Get("grant_type"))
	}
	if c.token == "" {
		return nil, errNoToken()
	}
	old := c.s.lookupToken(c.token)
	if c.tokenBad || old == nil || old.spec.Login != "instagram" {
		return nil, errInvalidToken()
	}
	now := c.s.o.Now()
	if err := old.tokenError(now); err != nil {
		return nil, err
	}
	if now.Sub(old.issued) < 24*time.Hour {
		return nil, errParam("(#100) The access token is less than 24 hours old and cannot be refreshed yet")
	}
	tok, secs := c.s.mint("IGAAigfake", old, now)
	return obj{{"access_token", tok}, {"token_type", "bearer"}, {"expires_in", secs}}, nil
}

// tokenRoute routes the token endpoints, which authenticate on their own;
// ok is false for other paths.
func (c *call) tokenRoute() (rt route, ok bool) {
	path := strings.Join(c.segs, "/")
	if c.s.o.InstagramHost && facebookHostOnly[path] {
		return route{endpoint: "GET /" + path, err: errUnknownPath(path), auth: noAuth}, true
	}
	switch path {
	case "debug_token":
		return route{endpoint: "GET /debug_token", handler: (*call).debugToken, auth: (*call).debugAuth}, true
	case "oauth/access_token":
		return route{endpoint: "GET /oauth/access_token", handler: (*call).exchangeToken, auth: noAuth}, true
	case "refresh_access_token":
		return route{endpoint: "GET /refresh_access_token", handler: (*call).refreshToken, auth: noAuth}, true
	case "me", "me/accounts":
		// An Instagram Login token's /me is its Instagram account
		// (graph.instagram.com), which has no Pages.
		if t := c.s.lookupToken(c.token); t != nil && t.spec.Login == "instagram" && !c.tokenBad {
			if len(c.segs) > 1 {
				return route{endpoint: "GET /me/accounts", err: errNonexistingField("accounts")}, true
			}
			return route{endpoint: "GET /me (instagram)", handler: func(c *call) (any, *apiError) { return c.instagramMe(t) }}, true
		}
	}
	return route{}, false
}

// instagramMe serves GET /me?fields=user_id,username for an Instagram
// Login token (graph-api.md §12): the token's account.
func (c *call) instagramMe(t *token) (any, *apiError) {
	fs, err := fieldsOf(c.query, "id")
	if err != nil {
		return nil, err
	}
	i := max(t.spec.Account, 1) - 1
	if i >= len(c.s.ds.Accounts) {
		return nil, errUnsupportedGet("GET", "me")
	}
	a := c.s.ds.Accounts[i]
	out := obj{}
	for _, f := range fs {
		switch f.Name {
		case "id", "user_id":
			out = append(out, kv{f.Name, a.ID})
		case "username":
			out = append(out, kv{"username", a.Username})
		case "name":
			out = append(out, kv{"name", a.Name})
		case "account_type":
			out = append(out, kv{"account_type", "BUSINESS"})
		default:
			return nil, errNonexistingField(f.Name)
		}
	}
	return withID(out, a.ID), nil
}

func noAuth(*call) *apiError { return nil }

// ParseTokenSpecs parses igfake's -tokens flag: comma-separated
// TOKEN=SWITCH[+SWITCH…] entries, where a switch is expires:DURATION
// (e.g. 120h; negative: expired), expired, never, invalidated,
// missing:SCOPE, instagram, new (issued an hour ago), not-developer,
// data-access:DURATION, type:TYPE or account:N (an Instagram Login
// token's account, from 1).
func ParseTokenSpecs(s string) (map[string]TokenSpec, error) {
	out := map[string]TokenSpec{}
	for _, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		name, switches, _ := strings.Cut(entry, "=")
		if name == "" {
			return nil, fmt.Errorf("token entry %q: no token", entry)
		}
		var spec TokenSpec
		for _, sw := range strings.Split(switches, "+") {
			key, val, _ := strings.Cut(sw, ":")
			var err error
			switch key {
			case "":
			case "expires":
				spec.ExpiresIn, err = parseDays(val)
			case "expired":
				spec.ExpiresIn = -time.Hour
			case "never":
				spec.NeverExpires = true
			case "invalidated":
				spec.Invalidated = true
			case "missing":
				spec.MissingScopes = append(spec.MissingScopes, val)
			case "instagram":
				spec.Login = "instagram"
			case "new":
				spec.IssuedAgo = time.Hour
			case "not-developer":
				spec.NotDeveloper = true
			case "data-access":
				spec.DataAccessExpiresIn, err = parseDays(val)
			case "type":
				spec.Type = val
			case "account":
				spec.Account, err = strconv.Atoi(val)
			default:
				err = fmt.Errorf("unknown switch %q", key)
			}
			if err != nil {
				return nil, fmt.Errorf("token entry %q: %v", name, err)
			}
		}
		out[name] = spec
	}
	return out, nil
}

// parseDays parses a Go duration or a number of days with a "d" suffix.
func parseDays(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		f, err := strconv.ParseFloat(n, 64)
		if err != nil {
			return 0, err
		}
		return time.Duration(f * 24 * float64(time.Hour)), nil
	}
	return time.ParseDuration(v)
}
