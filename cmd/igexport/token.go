package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/igexport/igexport/export"
	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/internal/graph"
)

const tokenUsage = `Usage: igexport token check [-json] [flags]
       igexport token refresh -account NAME [-out FILE] [flags]

check    one line per distinct token (named by a fingerprint, never shown):
         accounts, login kind, valid, expiry, data-access expiry, missing
         permissions (one GET /debug_token per token).
         Exit 0 all fine, 1 a token is invalid or expired, 3 a token expires
         within token_warn_days.
refresh  get a new token for an account: Instagram Login tokens with
         GET /refresh_access_token (token at least 24 h old, not expired),
         Facebook Login user tokens with the fb_exchange_token exchange (needs
         app_id and app_secret). The new token goes to -out (mode 0600) or to
         stdout when stdout is not a terminal; its expiry to stderr.
`

func cmdToken(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		fmt.Fprint(e.Stderr, tokenUsage)
		return exitUsage
	}
	switch args[0] {
	case "check":
		return cmdTokenCheck(ctx, args[1:], e)
	case "refresh":
		return cmdTokenRefresh(ctx, args[1:], e)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.Stdout, tokenUsage)
		return exitOK
	}
	fmt.Fprintf(e.Stderr, "igexport token: unknown subcommand %q\n\n%s", args[0], tokenUsage)
	return exitUsage
}

// tokenReport is what token check -json prints.
type tokenReport struct {
	CheckedAt     time.Time            `json:"checked_at"`
	TokenWarnDays int                  `json:"token_warn_days"`
	Tokens        []export.TokenHealth `json:"tokens"`
	ExitCode      int                  `json:"exit_code"`
}

func cmdTokenCheck(ctx context.Context, args []string, e env) int {
	var c common
	fs := newFlagSet("token check", "token check [-json] [-config F] [-account NAME]", e.Stderr)
	c.configFlags(fs)
	fs.Var(&c.accounts, "account", "only the token of this account `name` or IG user id (repeatable)")
	c.logFlags(fs)
	fs.BoolVar(&c.json, "json", false, "print the result as JSON on stdout")
	if !c.parse(fs, args) {
		return c.failed()
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.Stderr, "igexport token check: unexpected arguments %v\n", fs.Args())
		return exitUsage
	}
	if err := c.checkLogFlags(); err != nil {
		fmt.Fprintf(e.Stderr, "igexport token check: %v\n", err)
		return exitUsage
	}
	cfg := c.load(e, true)
	if cfg == nil {
		return exitUsage
	}
	if !checkSelection(e, "token check", cfg, export.Selection{Accounts: c.accounts}, "") {
		return exitUsage
	}
	red := newRedactor(cfg.Secrets())
	log, _ := c.logger(e.Stderr, cfg.Secrets(), 0)
	now := e.now()
	hs := export.CheckTokens(ctx, cfg, export.Options{Accounts: c.accounts, Logger: log, Now: func() time.Time { return now }})
	code := exitOK
	for _, h := range hs {
		switch h.Status {
		case export.TokenInvalid:
			code = exitError
		case export.TokenExpiring:
			if code == exitOK {
				code = exitPartial
			}
		}
	}
	if c.json {
		writeJSON(e, tokenReport{CheckedAt: now.UTC(), TokenWarnDays: cfg.TokenWarnDays, Tokens: hs, ExitCode: code}, red)
		return code
	}
	var b bytes.Buffer
	writeTokenHealth(&b, hs, now)
	_, _ = e.Stdout.Write([]byte(red.clean(b.String())))
	return code
}

// writeTokenHealth renders token check's table: one line per token, then
// what is wrong with each and what to do.
func writeTokenHealth(w io.Writer, hs []export.TokenHealth, now time.Time) {
	if len(hs) == 0 {
		fmt.Fprintln(w, "No token to check.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOKEN\tACCOUNTS\tLOGIN\tVALID\tEXPIRES\tDATA ACCESS EXPIRES\tMISSING PERMISSIONS")
	for _, h := range hs {
		valid := "yes"
		switch h.Status {
		case export.TokenInvalid:
			valid = "no"
		case export.TokenUnknown:
			valid = "unknown"
		}
		missing := "-"
		if len(h.Missing) > 0 {
			missing = strings.Join(h.Missing, ", ")
		}
		fmt.Fprintf(tw, "…%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.Fingerprint, tokenBlocks(h), h.Login, valid,
			h.ExpiresText(now), h.DataAccessText(now), missing)
	}
	tw.Flush()
	for _, h := range hs {
		switch {
		case h.Status == export.TokenInvalid:
			fmt.Fprintf(w, "\ntoken …%s is invalid: %s\n  %s\n", h.Fingerprint, h.Error, h.Advice)
		case h.Warning != "":
			fmt.Fprintf(w, "\nwarning: token …%s: %s\n", h.Fingerprint, h.Warning)
		case h.Error != "":
			fmt.Fprintf(w, "\nwarning: token …%s: %s\n", h.Fingerprint, h.Error)
		}
		if len(h.Missing) > 0 {
			fmt.Fprintf(w, "\nwarning: token …%s lacks %s: grant %s when generating the token (and have the app approved for them).\n",
				h.Fingerprint, strings.Join(h.Missing, ", "), strings.Join(export.RequiredPermissions(h.Login), ", "))
		}
	}
}

func tokenBlocks(h export.TokenHealth) string {
	names := slices.Clone(h.Accounts)
	for _, d := range h.Discover {
		names = append(names, "discover."+d)
	}
	return strings.Join(names, ", ")
}

// writePlanToken prints the token health line of one account block of a
// plan, or with discover set of one discover block.
func writePlanToken(w io.Writer, p *export.Plan, name string, discover bool) {
	for _, h := range p.Tokens {
		if discover && !slices.Contains(h.Discover, name) || !discover && !slices.Contains(h.Accounts, name) {
			continue
		}
		s := fmt.Sprintf("  token …%s (%s login): ", h.Fingerprint, h.Login)
		switch h.Status {
		case export.TokenInvalid:
			s += "invalid"
		case export.TokenUnknown:
			s += "expires unknown (" + h.Error + ")"
		default:
			s += "expires " + h.ExpiresText(p.CreatedAt)
			if h.DataAccessExpiresAt != nil {
				s += ", data access expires " + h.DataAccessText(p.CreatedAt)
			}
		}
		if len(h.Missing) > 0 {
			s += "; missing permissions: " + strings.Join(h.Missing, ", ")
		}
		fmt.Fprintln(w, s)
	}
}

// refreshTimeout bounds the refresh request.
const refreshTimeout = 60 * time.Second

func cmdTokenRefresh(ctx context.Context, args []string, e env) int {
	var c common
	var out string
	fs := newFlagSet("token refresh", "token refresh -account NAME [-out FILE] [-config F]", e.Stderr)
	c.configFlags(fs)
	fs.Var(&c.accounts, "account", "the account `name` (account block label) whose token to refresh")
	fs.StringVar(&out, "out", "", "write the new token to `file` (mode 0600, atomically); default: stdout, when it is not a terminal")
	if !c.parse(fs, args) {
		return c.failed()
	}
	if fs.NArg() > 0 || len(c.accounts) != 1 {
		fmt.Fprintln(e.Stderr, "igexport token refresh: want exactly one -account NAME and no arguments")
		return exitUsage
	}
	if out == "" && isTerminalWriter(e.Stdout) {
		fmt.Fprintln(e.Stderr, "igexport token refresh: refusing to print a token on a terminal: use -out FILE, or redirect stdout (e.g. | gh secret set IG_ACCESS_TOKEN)")
		return exitUsage
	}
	cfg := c.load(e, true)
	if cfg == nil {
		return exitUsage
	}
	red := newRedactor(cfg.Secrets())
	i := slices.IndexFunc(cfg.Accounts, func(a hcl.Account) bool { return a.Name == c.accounts[0] || a.IGUserID == c.accounts[0] })
	if i < 0 {
		fmt.Fprintf(e.Stderr, "igexport token refresh: -account %q: no such account block in %s\n", c.accounts[0], cfg.Path)
		return exitUsage
	}
	a := cfg.Accounts[i]
	if a.AccessToken == "" {
		fmt.Fprintf(e.Stderr, "igexport token refresh: account %s has an empty access_token\n", a.Name)
		return exitUsage
	}
	var req *http.Request
	var err error
	switch {
	case a.Login == hcl.LoginInstagram:
		q := url.Values{"grant_type": {"ig_refresh_token"}}
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, cfg.InstagramAPIURL+"/refresh_access_token?"+q.Encode(), nil)
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+a.AccessToken)
		}
	case a.AppID != "" && a.AppSecret != "":
		q := url.Values{"grant_type": {"fb_exchange_token"}, "client_id": {a.AppID},
			"client_secret": {a.AppSecret}, "fb_exchange_token": {a.AccessToken}}
		req, err = http.NewRequestWithContext(ctx, http.MethodGet,
			cfg.GraphAPIURL+"/"+cfg.GraphAPIVersion+"/oauth/access_token?"+q.Encode(), nil)
	default:
		fmt.Fprintf(e.Stderr, "igexport token refresh: account %s uses Facebook Login: set app_id and app_secret on it, "+
			"which the fb_exchange_token exchange needs (a Page or system-user token that never expires needs no refresh)\n", a.Name)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport token refresh: %s\n", red.clean(err.Error()))
		return exitError
	}
	tok, expiresIn, err := doRefresh(req)
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport token refresh: account %s: %s\n", a.Name, red.clean(err.Error()))
		return exitError
	}
	if out != "" {
		if err := writeFileAtomic(out, []byte(tok+"\n"), 0o600); err != nil {
			fmt.Fprintf(e.Stderr, "igexport token refresh: writing the new token: %s\n", red.clean(strings.ReplaceAll(err.Error(), tok, "[REDACTED]")))
			return exitError
		}
	} else if _, err := io.WriteString(e.Stdout, tok+"\n"); err != nil {
		fmt.Fprintf(e.Stderr, "igexport token refresh: %v\n", err)
		return exitError
	}
	where := "stdout"
	if out != "" {
		where = out
	}
	expiry := "with no expiry given"
	if expiresIn > 0 {
		at := e.now().Add(time.Duration(expiresIn) * time.Second).UTC()
		expiry = fmt.Sprintf("expiring %s (in %d days)", at.Format(time.RFC3339), expiresIn/86400)
	}
	fmt.Fprintf(e.Stderr, "igexport token refresh: account %s: new token …%s %s, written to %s\n",
		a.Name, export.Fingerprint(tok), expiry, where)
	return exitOK
}

// doRefresh sends a token refresh or exchange request and returns the new
// token and its lifetime in seconds. Errors name the endpoint without its
// query (which holds the token and the app secret).
func doRefresh(req *http.Request) (string, int64, error) {
	endpoint := "GET " + req.URL.Path
	hc := &http.Client{Timeout: refreshTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL carries secrets
		}
		return "", 0, fmt.Errorf("%s: %v", endpoint, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return "", 0, fmt.Errorf("%s: reading the answer: %v", endpoint, err)
	}
	var ans struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		Error       *struct {
			Message string `json:"message"`
			Code    int    `json:"code"`
			Subcode int    `json:"error_subcode"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return "", 0, fmt.Errorf("%s: HTTP %d with a malformed answer", endpoint, res.StatusCode)
	}
	if ans.Error != nil {
		ge := &graph.Error{Code: ans.Error.Code, Subcode: ans.Error.Subcode}
		msg := fmt.Sprintf("%s answered (#%d/%d) %s", endpoint, ans.Error.Code, ans.Error.Subcode,
			strings.TrimSuffix(graph.Redact(ans.Error.Message), "."))
		if ge.TokenInvalid() {
			msg += ". " + ge.Advice()
		}
		return "", 0, errors.New(msg)
	}
	if res.StatusCode != http.StatusOK || ans.AccessToken == "" {
		return "", 0, fmt.Errorf("%s: HTTP %d without a new access_token", endpoint, res.StatusCode)
	}
	return ans.AccessToken, ans.ExpiresIn, nil
}

// isTerminalWriter reports whether w is a terminal.
func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
