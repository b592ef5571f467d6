package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/igexport/igexport/export"
	"github.com/igexport/igexport/internal/igfake"
)

// Tokens besides the canary; none may ever be printed either.
const (
	expiredToken = "EXPIRED-tok-5b2e91c0aa"
	igLoginToken = "IGLOGIN-tok-77c3d2e9f1"
	appSecret    = "APPSECRET-c0ffee1234"
	appID        = "1234567890"
)

// tokenConfig: brand_a and brand_b on IG_ACCESS_TOKEN (brand_a with the
// app's id and secret), creator on an Instagram Login token.
const tokenConfig = `igexport {
  graph_api_url     = "{{.API}}"
  instagram_api_url = "{{.API}}"
  concurrency       = 4
}

account "brand_a" {
  ig_user_id   = "17841400000000001"
  access_token = env("IG_ACCESS_TOKEN")
  app_id       = "` + appID + `"
  app_secret   = env("IG_APP_SECRET")
  start_date   = "2026-11-20"
}

account "brand_b" {
  ig_user_id   = "17841400000000002"
  access_token = env("IG_ACCESS_TOKEN")
  start_date   = "2026-11-20"
}

destination {
  url = "file://{{.Dir}}/lake"
}
`

// tokenHarness is an emulator whose canary token behaves as spec, and the
// app id and secret of tokenConfig.
func tokenHarness(t *testing.T, spec igfake.TokenSpec) *harness {
	fo := fakeOptions()
	fo.AppID, fo.ClientSecret = appID, appSecret
	fo.Tokens = map[string]igfake.TokenSpec{canary: spec, expiredToken: {ExpiresIn: -time.Hour},
		igLoginToken: {Login: "instagram"}}
	h := newHarness(t, fo)
	h.env["IG_APP_SECRET"] = appSecret
	h.writeConfig("igexport.hcl", tokenConfig)
	return h
}

// noToken fails when any token or the app secret appears in the texts.
func noToken(t *testing.T, what string, extra []string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		for _, tok := range append([]string{canary, expiredToken, igLoginToken, appSecret}, extra...) {
			if tok != "" && strings.Contains(s, tok) {
				t.Errorf("%s: a secret (%.8s…) appears in:\n%s", what, tok, s)
			}
		}
	}
}

// TestTokenExpiringSoonWarns: a token expiring in 5 days (token_warn_days
// 14 by default) is warned about by plan and apply, and token check exits 3;
// each run asks debug_token once for the one distinct token, with the app
// token since brand_a has app_id and app_secret.
func TestTokenExpiringSoonWarns(t *testing.T) {
	h := tokenHarness(t, igfake.TokenSpec{ExpiresIn: 5 * 24 * time.Hour})
	fp := export.Fingerprint(canary)

	r := h.run("plan", "-config", h.config)
	h.wantCode(r, exitOK)
	noToken(t, "plan", nil, r.stdout, r.stderr)
	for _, want := range []string{
		"token …" + fp + " (facebook login): expires in 5 days (2026-11-27)",
		"warning: token " + fp + ": the token expires in 5 days (2026-11-27)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, r.stdout)
		}
	}
	if n := h.fake.Stats().ByEndpoint["GET /debug_token"]; n != 1 {
		t.Errorf("plan asked debug_token %d times, want 1 (one distinct token)", n)
	}

	h.fake.ResetStats()
	r = h.run("plan", "-config", h.config, "-offline")
	h.wantCode(r, exitOK)
	if st := h.fake.Stats(); st.RoundTrips != 0 || strings.Contains(r.stdout, "token …") {
		t.Errorf("plan -offline sent %d requests:\n%s", st.RoundTrips, r.stdout)
	}

	r = h.run("apply", "-config", h.config, "-json", "-stream", "users")
	h.wantCode(r, exitOK)
	noToken(t, "apply", nil, r.stdout, r.stderr)
	if !strings.Contains(r.stderr, "token expiring") || !strings.Contains(r.stderr, "expires in 5 days") {
		t.Errorf("apply logged no warning:\n%s", r.stderr)
	}
	var sum export.Summary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatal(err)
	}
	for _, a := range sum.Accounts {
		if a.TokenExpiresAt == nil || !a.TokenExpiresAt.Equal(testNow.Add(5*24*time.Hour)) || !strings.Contains(a.TokenWarning, "expires in 5 days") {
			t.Errorf("%s: token_expires_at %v, token_warning %q", a.Name, a.TokenExpiresAt, a.TokenWarning)
		}
	}
	if n := h.fake.Stats().ByEndpoint["GET /debug_token"]; n != 1 {
		t.Errorf("apply asked debug_token %d times, want 1", n)
	}

	r = h.run("token", "check", "-config", h.config)
	h.wantCode(r, exitPartial)
	noToken(t, "token check", nil, r.stdout, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) < 2 || !strings.Contains(lines[1], "…"+fp) || !strings.Contains(lines[1], "brand_a, brand_b") ||
		!strings.Contains(lines[1], "facebook") || !strings.Contains(lines[1], "yes") || !strings.Contains(lines[1], "in 5 days (2026-11-27)") ||
		!strings.Contains(lines[1], "in 90 days (2027-02-20)") {
		t.Errorf("token check:\n%s", r.stdout)
	}
	r = h.run("token", "check", "-config", h.config, "-json")
	h.wantCode(r, exitPartial)
	var rep tokenReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Tokens) != 1 || rep.Tokens[0].Status != export.TokenExpiring || rep.Tokens[0].Fingerprint != fp || rep.ExitCode != exitPartial {
		t.Errorf("token check -json: %s", r.stdout)
	}
}

// TestTokenHealthStates: token check's exit code and lines for each kind
// of token, and plan's per-account line.
func TestTokenHealthStates(t *testing.T) {
	tests := []struct {
		name     string
		spec     igfake.TokenSpec
		code     int
		check    []string // in token check's output
		planLine string   // in plan's output
	}{
		{"healthy", igfake.TokenSpec{}, exitOK, []string{"in 60 days (2027-01-21)"}, "expires in 60 days (2027-01-21), data access expires in 90 days"},
		{"never expires", igfake.TokenSpec{NeverExpires: true, Type: "PAGE"}, exitOK, []string{"never"}, "expires never"},
		{"missing insights", igfake.TokenSpec{MissingScopes: []string{"instagram_manage_insights"}}, exitOK,
			[]string{"instagram_manage_insights", "lacks instagram_manage_insights"}, "missing permissions: instagram_manage_insights"},
		{"invalidated", igfake.TokenSpec{Invalidated: true}, exitError,
			[]string{" no ", "is invalid: debug_token: (190/460)", "Get a new long-lived token"}, "invalid"},
		{"data access ends soon", igfake.TokenSpec{DataAccessExpiresIn: 3 * 24 * time.Hour}, exitPartial,
			[]string{"its data access expires in 3 days"}, "data access expires in 3 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tokenHarness(t, tt.spec)
			r := h.run("token", "check", "-config", h.config)
			h.wantCode(r, tt.code)
			noToken(t, "token check", nil, r.stdout, r.stderr)
			for _, want := range tt.check {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("token check lacks %q:\n%s", want, r.stdout)
				}
			}
			r = h.run("plan", "-config", h.config, "-stream", "users")
			h.wantCode(r, exitOK)
			if !strings.Contains(r.stdout, tt.planLine) {
				t.Errorf("plan lacks %q:\n%s", tt.planLine, r.stdout)
			}
		})
	}
}

// TestTokenExpiryUnknown: without app_id, debug_token is asked with the
// token itself; a token whose user is no developer of the app cannot, and
// the expiry is unknown (not an error).
func TestTokenExpiryUnknown(t *testing.T) {
	h := tokenHarness(t, igfake.TokenSpec{NotDeveloper: true})
	h.writeConfig("igexport.hcl", strings.Replace(tokenConfig, `  app_id       = "`+appID+`"`+"\n", "", 1))
	r := h.run("token", "check", "-config", h.config)
	h.wantCode(r, exitOK)
	if !strings.Contains(r.stdout, "unknown") || !strings.Contains(r.stdout, "expiry unknown: set app_id") {
		t.Errorf("token check:\n%s", r.stdout)
	}
	r = h.run("plan", "-config", h.config, "-stream", "users")
	h.wantCode(r, exitOK)
	if !strings.Contains(r.stdout, "expires unknown (expiry unknown: set app_id") {
		t.Errorf("plan:\n%s", r.stdout)
	}
}

// TestExpiredTokenSkipsAccountsBeforeAnyRequest: accounts on an expired
// token are skipped with the advice of the 190 path before any export
// request (the emulator sees only debug_token), apply exits 1, and the
// accounts of a healthy token still run.
func TestExpiredTokenSkipsAccountsBeforeAnyRequest(t *testing.T) {
	h := tokenHarness(t, igfake.TokenSpec{})
	h.env["IG_ACCESS_TOKEN"] = expiredToken
	r := h.run("apply", "-config", h.config, "-json")
	h.wantCode(r, exitError)
	noToken(t, "apply", nil, r.stdout, r.stderr)
	st := h.fake.Stats()
	if st.Calls != 1 || st.ByEndpoint["GET /debug_token"] != 1 {
		t.Errorf("the emulator counted %d calls %v; want only one GET /debug_token", st.Calls, st.ByEndpoint)
	}
	var sum export.Summary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Accounts) != 2 {
		t.Fatalf("accounts: %+v", sum.Accounts)
	}
	for _, a := range sum.Accounts {
		if a.Status != export.StatusFailed || !strings.Contains(a.Error, "skipped before any export request") ||
			!strings.Contains(a.Advice, "Get a new long-lived token") {
			t.Errorf("%s: %s %q %q", a.Name, a.Status, a.Error, a.Advice)
		}
	}
	r = h.run("token", "check", "-config", h.config)
	h.wantCode(r, exitError)

	// brand_b on a healthy token is exported; brand_a is skipped.
	h.fake.ResetStats()
	h.writeConfig("igexport.hcl", strings.Replace(tokenConfig, `env("IG_ACCESS_TOKEN")
  start_date   = "2026-11-20"
}

destination`, `env("IG_GOOD_TOKEN")
  start_date   = "2026-11-20"
}

destination`, 1))
	h.env["IG_GOOD_TOKEN"] = canary
	r = h.run("apply", "-config", h.config, "-json", "-stream", "users")
	h.wantCode(r, exitError)
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatal(err)
	}
	status := map[string]export.Status{}
	for _, a := range sum.Accounts {
		status[a.Name] = a.Status
	}
	if status["brand_a"] != export.StatusFailed || status["brand_b"] != export.StatusOK {
		t.Errorf("statuses %v", status)
	}
	if st := h.fake.Stats(); st.ByEndpoint["GET /debug_token"] != 2 || st.ByEndpoint["GET /{ig-user-id}"] != 1 {
		t.Errorf("requests %v: want 2 debug_token (two tokens) and brand_b's users only", st.ByEndpoint)
	}
}

// TestTokenRefresh: an Instagram Login token is refreshed with
// ig_refresh_token, a Facebook Login token exchanged with
// fb_exchange_token; the new token goes to a 0600 file or to stdout, its
// expiry to stderr, and no token is ever printed elsewhere.
func TestTokenRefresh(t *testing.T) {
	h := tokenHarness(t, igfake.TokenSpec{})
	h.env["IG_LOGIN_TOKEN"] = igLoginToken
	h.writeConfig("igexport.hcl", tokenConfig+`
account "creator" {
  ig_user_id   = "17841400000000003"
  access_token = env("IG_LOGIN_TOKEN")
  login        = "instagram"
}
`)
	out := filepath.Join(h.dir, "new-token")
	r := h.run("token", "refresh", "-config", h.config, "-account", "creator", "-out", out)
	h.wantCode(r, exitOK)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(out)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	igNew := strings.TrimSpace(string(b))
	if igNew == "" || igNew == igLoginToken {
		t.Fatalf("new token %q", igNew)
	}
	if !strings.Contains(r.stderr, "expiring 2027-01-21T12:00:00Z (in 60 days)") || r.stdout != "" {
		t.Errorf("stdout %q stderr %q", r.stdout, r.stderr)
	}
	noToken(t, "refresh -out", []string{igNew}, r.stdout, r.stderr)
	if n := h.fake.Stats().ByEndpoint["GET /refresh_access_token"]; n != 1 {
		t.Errorf("%d refreshes", n)
	}

	// Facebook Login with app_id and app_secret: the exchange, to stdout.
	r = h.run("token", "refresh", "-config", h.config, "-account", "brand_a")
	h.wantCode(r, exitOK)
	fbNew := strings.TrimSpace(r.stdout)
	if fbNew == "" || fbNew == canary || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("stdout %q", r.stdout)
	}
	noToken(t, "refresh to stdout", []string{fbNew}, r.stderr)
	if n := h.fake.Stats().ByEndpoint["GET /oauth/access_token"]; n != 1 {
		t.Errorf("%d exchanges", n)
	}

	// Failures: no app secret; an expired token (the API refuses it).
	r = h.run("token", "refresh", "-config", h.config, "-account", "brand_b")
	h.wantCode(r, exitUsage)
	if !strings.Contains(r.stderr, "set app_id and app_secret") {
		t.Errorf("brand_b: %s", r.stderr)
	}
	h.env["IG_ACCESS_TOKEN"] = expiredToken
	r = h.run("token", "refresh", "-config", h.config, "-account", "brand_a", "-out", filepath.Join(h.dir, "never"))
	h.wantCode(r, exitError)
	noToken(t, "failed refresh", nil, r.stdout, r.stderr)
	if !strings.Contains(r.stderr, "/oauth/access_token answered (#190/463) Error validating access token: Session has expired") {
		t.Errorf("failed refresh: %s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "never")); err == nil {
		t.Error("a failed refresh wrote the file")
	}
}
