package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/igexport/igexport/internal/graph"
)

// Token health (SPEC §7, issue 15): before any export request, each
// distinct token is read once with GET /debug_token — with the app token
// APP_ID|APP_SECRET when a block using the token has app_id and
// app_secret, else with the token itself (which Graph accepts for tokens
// of the app's developers). An invalid or expired token skips its accounts
// with the advice the 190 path gives; one expiring within token_warn_days
// is warned about.

// Token statuses.
const (
	TokenOK       = "ok"       // valid, not expiring within the warning window
	TokenExpiring = "expiring" // valid, expires (or loses data access) within the window
	TokenInvalid  = "invalid"  // expired or invalidated: its accounts are skipped
	TokenUnknown  = "unknown"  // debug_token could not tell
)

// Login kinds (hcl's account and discover login attribute).
const (
	loginFacebook  = graph.LoginFacebook
	loginInstagram = graph.LoginInstagram
)

// RequiredPermissions returns the permissions an export needs with a login
// kind ("facebook" or "instagram"); graph declares them.
func RequiredPermissions(login string) []string { return graph.Permissions(login) }

func loginOrDefault(login string) string {
	if login == "" {
		return loginFacebook
	}
	return login
}

// TokenHealth is what debug_token said about one distinct token. It never
// holds the token: Fingerprint names it.
type TokenHealth struct {
	// Fingerprint is the last 4 hex characters of the token's SHA-256.
	Fingerprint string `json:"fingerprint"`
	// Accounts are the account blocks using the token; Discover the
	// discover blocks.
	Accounts []string `json:"accounts,omitempty"`
	Discover []string `json:"discover,omitempty"`
	// Login is "facebook" or "instagram".
	Login string `json:"login"`
	// Status is TokenOK, TokenExpiring, TokenInvalid or TokenUnknown.
	Status string `json:"status"`
	// Valid is debug_token's is_valid (false when unknown).
	Valid bool `json:"valid"`
	// Type is debug_token's type (USER, PAGE, SYSTEM_USER…).
	Type string `json:"type,omitempty"`
	// ExpiresAt is the expiry; nil with NeverExpires when it has none, nil
	// alone when unknown.
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	NeverExpires bool       `json:"never_expires,omitempty"`
	// DataAccessExpiresAt is when the token stops reading data unless the
	// user logs in to the app again.
	DataAccessExpiresAt *time.Time `json:"data_access_expires_at,omitempty"`
	// Missing are the required permissions the token lacks.
	Missing []string `json:"missing_permissions,omitempty"`
	// Error says why the token is invalid or its health unknown; Advice
	// what to do.
	Error  string `json:"error,omitempty"`
	Advice string `json:"advice,omitempty"`
	// Warning is set when the token expires (or loses data access) within
	// token_warn_days.
	Warning string `json:"warning,omitempty"`

	token string // never serialized
}

// Fingerprint returns the last 4 hex characters of the token's SHA-256: it
// tells tokens apart in output without revealing them.
func Fingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	h := hex.EncodeToString(sum[:])
	return h[len(h)-4:]
}

// ExpiresText says when the token expires relative to now: "in 5 days
// (2026-09-20)", "never", "expired 2026-09-14", or "unknown".
func (h *TokenHealth) ExpiresText(now time.Time) string {
	switch {
	case h.NeverExpires:
		return "never"
	case h.ExpiresAt == nil:
		return "unknown"
	}
	return relDays(*h.ExpiresAt, now)
}

// DataAccessText is ExpiresText for the data-access deadline.
func (h *TokenHealth) DataAccessText(now time.Time) string {
	if h.DataAccessExpiresAt == nil {
		return "unknown"
	}
	return relDays(*h.DataAccessExpiresAt, now)
}

func relDays(t, now time.Time) string {
	day := t.UTC().Format(time.DateOnly)
	if !t.After(now) {
		return "expired " + day
	}
	n := int(math.Ceil(t.Sub(now).Hours() / 24))
	if n == 1 {
		return "in 1 day (" + day + ")"
	}
	return fmt.Sprintf("in %d days (%s)", n, day)
}

// tokenUse is one distinct token with the blocks that use it.
type tokenUse struct {
	token, appID, appSecret, login string
	accounts, discover             []string
}

// tokenUses collects the distinct tokens of the selected account blocks
// (by -account and -shard) and of every discover block, in file order.
func tokenUses(j *Job) []*tokenUse {
	sel := j.Selection
	var out []*tokenUse
	get := func(tok, login string) *tokenUse {
		for _, u := range out {
			if u.token == tok {
				return u
			}
		}
		u := &tokenUse{token: tok, login: loginOrDefault(login)}
		out = append(out, u)
		return u
	}
	creds := func(u *tokenUse, appID, secret string) {
		if u.appID == "" && appID != "" && secret != "" {
			u.appID, u.appSecret = appID, secret
		}
		if u.appSecret == "" {
			u.appSecret = secret
		}
	}
	for _, a := range j.Accounts {
		if len(sel.Accounts) > 0 && !slices.Contains(sel.Accounts, a.Name) && !slices.Contains(sel.Accounts, a.ID) {
			continue
		}
		if sel.Shards > 1 && ShardOf(a.ID, sel.Shards) != sel.Shard {
			continue
		}
		if a.Token == "" {
			continue
		}
		u := get(a.Token, a.Login)
		u.accounts = append(u.accounts, a.Name)
		creds(u, a.AppID, a.AppSecret)
	}
	for _, d := range j.Discover {
		if d.Token == "" || sel.skips(d) {
			continue
		}
		u := get(d.Token, d.Login)
		if d.Account {
			u.accounts = append(u.accounts, d.Name) // an account block resolved by GET /me
		} else {
			u.discover = append(u.discover, d.Name)
		}
		creds(u, d.AppID, d.AppSecret)
	}
	return out
}

// tokenChecker asks debug_token about tokens.
type tokenChecker struct {
	job     *Job
	http    *http.Client
	limiter *graph.Limiter
	log     *slog.Logger
	now     time.Time
}

// debugTokenTimeout bounds one token's health check, retries included.
const debugTokenTimeout = 60 * time.Second

// CheckTokens reads the health of every distinct token of the job's
// selected account blocks and of its discover blocks: one GET /debug_token
// per token (see TokenHealth). It is what `igexport token check` runs;
// apply and plan run the same check.
func (j *Job) CheckTokens(ctx context.Context, o Options) []TokenHealth {
	tc := newTokenChecker(j, o)
	defer tc.http.CloseIdleConnections()
	return tc.check(ctx, tokenUses(j))
}

// newTokenChecker is a checker with its own HTTP client (plan, token check).
func newTokenChecker(j *Job, o Options) tokenChecker {
	return tokenChecker{job: j, http: graph.NewHTTPClient(1), log: o.logger(), now: o.now()}
}

func (tc tokenChecker) check(ctx context.Context, uses []*tokenUse) []TokenHealth {
	out, _ := tc.checkCounted(ctx, uses)
	return out
}

// checkCounted is check that also returns the calls it made.
func (tc tokenChecker) checkCounted(ctx context.Context, uses []*tokenUse) ([]TokenHealth, Counters) {
	out := make([]TokenHealth, len(uses))
	var n Counters
	for i, u := range uses {
		var st graph.Stats
		out[i], st = tc.checkOne(ctx, u)
		n.Calls += st.Calls
		n.RoundTrips += st.RoundTrips
		n.Retries += st.Retries
	}
	return out, n
}

// debugData is the data object of a debug_token answer.
type debugData struct {
	Type                string   `json:"type"`
	IsValid             bool     `json:"is_valid"`
	ExpiresAt           *int64   `json:"expires_at"`
	DataAccessExpiresAt *int64   `json:"data_access_expires_at"`
	Scopes              []string `json:"scopes"`
	Error               *struct {
		Code    int    `json:"code"`
		Subcode int    `json:"subcode"`
		Message string `json:"message"`
	} `json:"error"`
}

func (tc tokenChecker) checkOne(ctx context.Context, u *tokenUse) (TokenHealth, graph.Stats) {
	c, h := tc.client(u)
	return tc.health(ctx, c, u, h), c.Stats()
}

// client returns the client debug_token is asked with: the app token when
// the blocks give app_id and app_secret, else the token itself.
func (tc tokenChecker) client(u *tokenUse) (*graph.Client, TokenHealth) {
	h := TokenHealth{Fingerprint: Fingerprint(u.token), Accounts: u.accounts, Discover: u.discover,
		Login: u.login, Status: TokenUnknown, token: u.token}
	opts := graph.Options{
		BaseURL: tc.job.GraphAPIURL, Version: tc.job.GraphAPIVersion,
		HTTPClient: tc.http, Limiter: tc.limiter, Logger: tc.log,
		Retry: graph.RetryPolicy{MaxWait: time.Minute}, Timeouts: tc.job.Timeouts,
	}
	withApp := u.appID != "" && u.appSecret != ""
	if withApp {
		opts.Token = u.appID + "|" + u.appSecret // the app token
	} else {
		opts.Token, opts.AppSecret = u.token, u.appSecret
	}
	return graph.New(opts), h
}

// health asks debug_token with c and reads the answer.
func (tc tokenChecker) health(ctx context.Context, c *graph.Client, u *tokenUse, h TokenHealth) TokenHealth {
	withApp := u.appID != "" && u.appSecret != ""
	ctx, cancel := context.WithTimeout(ctx, debugTokenTimeout)
	defer cancel()
	var body struct {
		Data *debugData `json:"data"`
	}
	err := c.Get(ctx, "/debug_token", url.Values{"input_token": {u.token}}, &body)
	var ge *graph.Error
	errors.As(err, &ge) // nil unless the API answered with an error
	switch {
	case err != nil && !withApp && ge != nil && ge.TokenInvalid():
		// The token, asking about itself, was refused: it is expired or invalidated.
		h.Error, h.Advice = describe(err), tokenAdvice(ge.Subcode, u.login)
		h.Status = TokenInvalid
		return h
	case err != nil && ge == nil:
		h.Error = "expiry unknown: GET /debug_token failed (" + describe(err) + ")"
		return h
	case err != nil && !withApp:
		h.Error = "expiry unknown: set app_id (with app_secret) on the blocks using this token so that debug_token can be asked with the app token (" + describe(err) + ")"
		return h
	case err != nil:
		h.Error = "expiry unknown: debug_token refused the app token of app_id " + u.appID + " and its app_secret (" + describe(err) + ")"
		return h
	case body.Data == nil:
		h.Error = "expiry unknown: GET /debug_token answered without data"
		return h
	}
	d := body.Data
	h.Valid, h.Type = d.IsValid, d.Type
	if d.ExpiresAt != nil {
		if *d.ExpiresAt == 0 {
			h.NeverExpires = true
		} else {
			t := time.Unix(*d.ExpiresAt, 0).UTC()
			h.ExpiresAt = &t
		}
	}
	if d.DataAccessExpiresAt != nil && *d.DataAccessExpiresAt > 0 {
		t := time.Unix(*d.DataAccessExpiresAt, 0).UTC()
		h.DataAccessExpiresAt = &t
	}
	if d.Scopes != nil {
		for _, p := range graph.Permissions(u.login) {
			if !slices.Contains(d.Scopes, p) {
				h.Missing = append(h.Missing, p)
			}
		}
	}
	expired := h.ExpiresAt != nil && !h.ExpiresAt.After(tc.now)
	if !d.IsValid || expired {
		h.Valid = false
		h.Status = TokenInvalid
		sub := 0
		h.Error = "the token is invalid"
		if expired {
			sub, h.Error = 463, "the token expired on "+h.ExpiresAt.Format(time.RFC3339)
		}
		if d.Error != nil {
			sub = d.Error.Subcode
			h.Error = fmt.Sprintf("debug_token: (%d/%d) %s", d.Error.Code, d.Error.Subcode, graph.Redact(d.Error.Message))
		}
		h.Advice = tokenAdvice(sub, u.login)
		return h
	}
	h.Status = TokenOK
	window := time.Duration(tc.job.TokenWarnDays) * 24 * time.Hour
	var warn []string
	if tc.job.TokenWarnDays > 0 && h.ExpiresAt != nil && h.ExpiresAt.Sub(tc.now) < window {
		warn = append(warn, "the token expires "+relDays(*h.ExpiresAt, tc.now)+
			": refresh it (igexport token refresh -account NAME) or get a new one before then")
	}
	if tc.job.TokenWarnDays > 0 && h.DataAccessExpiresAt != nil && h.DataAccessExpiresAt.Sub(tc.now) < window {
		warn = append(warn, "its data access expires "+relDays(*h.DataAccessExpiresAt, tc.now)+
			": the user must log in to the app again (a refresh does not extend it)")
	}
	if len(warn) > 0 {
		h.Status = TokenExpiring
		h.Warning = strings.Join(warn, "; ")
	}
	return h
}

// tokenAdvice is the advice of the 190 path (graph.Error.AdviceFor) for a
// token of that login kind.
func tokenAdvice(subcode int, login string) string {
	return (&graph.Error{Code: 190, Subcode: subcode}).AdviceFor(login)
}

// who names the blocks using a token, for messages.
func (h *TokenHealth) who() string {
	var parts []string
	if len(h.Accounts) > 0 {
		parts = append(parts, "account "+strings.Join(h.Accounts, ", "))
	}
	if len(h.Discover) > 0 {
		parts = append(parts, "discover "+strings.Join(h.Discover, ", "))
	}
	return strings.Join(parts, "; ")
}

// checker returns the run's token checker (its HTTP client and limiter).
func (r *runner) checker() tokenChecker {
	return tokenChecker{job: r.job, http: r.http, limiter: r.limiter, log: r.opts.logger(), now: r.now}
}

// healthyTargets reads every token's health (one debug_token per distinct
// token) before any export request, then resolves the accounts (discovery
// skips blocks whose token is invalid) and selects them. Accounts whose
// token is invalid come back as failed results with the advice of the 190
// path; expiring tokens are logged and noted in the summary.
func (r *runner) healthyTargets(ctx context.Context, sum *Summary) ([]Target, []AccountResult, error) {
	health, calls := r.checker().checkCounted(ctx, tokenUses(r.job))
	sum.Totals.Add(calls)
	byToken := map[string]*TokenHealth{}
	log := r.opts.logger()
	for i := range health {
		h := &health[i]
		byToken[h.token] = h
		switch {
		case h.Status == TokenInvalid:
			log.Error("token invalid: its accounts are skipped", "token", h.Fingerprint, "blocks", h.who(), "err", h.Error)
		case h.Warning != "":
			log.Warn("token expiring", "token", h.Fingerprint, "blocks", h.who(), "warning", h.Warning)
		case h.Status == TokenUnknown:
			log.Warn("token health unknown", "token", h.Fingerprint, "blocks", h.who(), "err", h.Error)
		}
		if len(h.Missing) > 0 {
			log.Warn("token lacks permissions", "token", h.Fingerprint, "blocks", h.who(), "missing", strings.Join(h.Missing, ", "))
		}
	}
	r.tokens = byToken

	// The run's job without the discover blocks of invalid tokens.
	j := *r.job
	j.Discover = nil
	var badDisc []DiscoveryResult
	for _, d := range r.job.Discover {
		if h := byToken[d.Token]; h != nil && h.Status == TokenInvalid {
			badDisc = append(badDisc, DiscoveryResult{Name: d.Name, Error: "token " + h.Fingerprint + ": " + h.Error + ". " + h.Advice})
			continue
		}
		j.Discover = append(j.Discover, d)
	}
	r.job = &j
	targets, disc := r.resolveAccounts(ctx)
	sum.Discovery = append(disc, badDisc...)
	targets, err := selectTargets(j.Selection, targets, sum.Discovery)
	if err != nil {
		return nil, nil, err
	}
	var ok []Target
	var skipped []AccountResult
	for _, t := range targets {
		h := byToken[t.Token]
		if h == nil || h.Status != TokenInvalid {
			ok = append(ok, t)
			continue
		}
		res := AccountResult{Name: t.Name, AccountID: t.ID, Status: StatusFailed,
			Error:  "skipped before any export request: token " + h.Fingerprint + ": " + h.Error,
			Advice: h.Advice}
		r.noteToken(&res, t)
		skipped = append(skipped, res)
	}
	return ok, skipped, nil
}

// withTokenHealth notes each account's token expiry and warning in its
// result; results[i] is the result of targets[i].
func (r *runner) withTokenHealth(results []AccountResult, targets []Target) []AccountResult {
	for i := range results {
		if i < len(targets) {
			r.noteToken(&results[i], targets[i])
		}
	}
	return results
}

func (r *runner) noteToken(res *AccountResult, t Target) {
	h := r.tokens[t.Token]
	if h == nil {
		return
	}
	res.TokenExpiresAt = h.ExpiresAt
	res.TokenWarning = h.Warning
	if h.Status == TokenUnknown {
		res.TokenWarning = h.Error
	}
}

// planTokens adds the token health to a plan (unless Options.Offline):
// p.Tokens, and per account a warning for an invalid or expiring token or
// missing permissions. The totals count apply's own check: one
// debug_token call per distinct token.
func planTokens(ctx context.Context, s *session, p *Plan) {
	uses := tokenUses(s.job)
	p.Totals.Add(Estimate{Calls: int64(len(uses)), RoundTrips: int64(len(uses))})
	if s.opts.Offline {
		return
	}
	tc := newTokenChecker(s.job, s.opts)
	tc.now = s.now
	defer tc.http.CloseIdleConnections()
	p.Tokens = tc.check(ctx, uses)
	for i := range p.Accounts {
		a := &p.Accounts[i]
		for _, h := range p.Tokens {
			if !slices.Contains(h.Accounts, a.Name) {
				continue
			}
			switch {
			case h.Status == TokenInvalid:
				a.Warnings = append(a.Warnings, "token "+h.Fingerprint+" is invalid: apply will skip this account. "+h.Error+". "+h.Advice)
			case h.Warning != "":
				a.Warnings = append(a.Warnings, "token "+h.Fingerprint+": "+h.Warning)
			}
			if len(h.Missing) > 0 {
				a.Warnings = append(a.Warnings, "token "+h.Fingerprint+" lacks the permissions "+strings.Join(h.Missing, ", "))
			}
		}
	}
}
