package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ErrDeferred is wrapped by the error a call returns once throttling has
// lasted, or would last, longer than RetryPolicy.MaxWait: the account should
// be deferred to the next run (exit code 3). The same error also wraps the
// throttle [*Error] that caused it. Once a client has deferred, every later
// call on it fails fast with that error, without a request.
var ErrDeferred = errors.New("throttled past the max wait: deferred to the next run")

// Type values this package puts in [Error.Type] for failures that did not
// come with a Graph error object.
const (
	// TypeMalformedResponse marks a non-2xx response whose body is not a
	// Graph error object (HTML from a proxy, truncated JSON, wrong types).
	TypeMalformedResponse = "MalformedResponse"
	// TypeBatchTimeout marks a batch operation that kept coming back null.
	TypeBatchTimeout = "BatchTimeout"
)

// Error is a Graph API error: the {"error":{…}} object of a response (or of
// one batch operation), the HTTP status (the operation's code in a batch) and
// the endpoint, the redacted request path without host or query.
// Text fields are scrubbed of the client's token and app secret.
type Error struct {
	HTTPStatus  int
	Code        int
	Subcode     int
	Type        string
	Message     string
	UserTitle   string
	UserMsg     string
	FBTraceID   string
	IsTransient bool
	Endpoint    string
}

// Error names the endpoint, the message, code/subcode, HTTP status and
// fbtrace_id. It never contains a token: everything goes through [Redact].
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("graph: ")
	if e.Endpoint != "" {
		b.WriteString(Redact(e.Endpoint))
		b.WriteString(": ")
	}
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.HTTPStatus)
	}
	if msg == "" {
		msg = "unknown error"
	}
	b.WriteString(Redact(msg))
	if e.UserTitle != "" {
		b.WriteString(" (")
		b.WriteString(Redact(e.UserTitle))
		b.WriteString(")")
	}
	b.WriteString(" [")
	sep := ""
	if e.Code != 0 || e.Subcode != 0 {
		b.WriteString("code ")
		b.WriteString(strconv.Itoa(e.Code))
		if e.Subcode != 0 {
			b.WriteString("/")
			b.WriteString(strconv.Itoa(e.Subcode))
		}
		sep = ", "
	}
	if e.HTTPStatus != 0 {
		b.WriteString(sep + "HTTP " + strconv.Itoa(e.HTTPStatus))
		sep = ", "
	}
	if e.Type != "" {
		b.WriteString(sep + Redact(e.Type))
		sep = ", "
	}
	if e.IsTransient {
		b.WriteString(sep + "transient")
		sep = ", "
	}
	if e.FBTraceID != "" {
		b.WriteString(sep + "fbtrace_id " + Redact(e.FBTraceID))
	}
	b.WriteString("]")
	return b.String()
}

// Throttle reports a rate-limit error: codes 4, 17, 32, 341, 613,
// 80001–80006, or HTTP 429. (341, "application limit reached", is an
// addition to the contract's list: graph-api.md §2.2 lists it as a wait.)
func (e *Error) Throttle() bool {
	switch {
	case e.Code == 4, e.Code == 17, e.Code == 32, e.Code == 341, e.Code == 613:
		return true
	case e.Code >= 80001 && e.Code <= 80006:
		return true
	}
	return e.HTTPStatus == http.StatusTooManyRequests
}

// Transient reports a temporary failure worth retrying with backoff: HTTP
// 5xx, codes 1 and 2, or is_transient. Token, permission and throttle errors
// are classified first by the client, so a "(#4) … is_transient: true" is a
// throttle, not a transient error. A code 1 asking to reduce the amount of
// data ([Error.ReduceData]) is not transient: the same request fails again.
func (e *Error) Transient() bool {
	if e.ReduceData() {
		return false
	}
	return e.HTTPStatus >= 500 || e.Code == 1 || e.Code == 2 || e.IsTransient
}

// ReduceData reports code 1 "Please reduce the amount of data you're asking
// for, then retry your request": the caller must ask for less (a smaller
// page limit, fewer expanded fields) rather than repeat the request.
func (e *Error) ReduceData() bool {
	return e.Code == 1 && strings.Contains(strings.ToLower(e.Message), "reduce the amount of data")
}

// nonexistingField matches "(#100) Tried accessing nonexisting field (<f>)"
// and its longer form "… (<f>) on node type (<Type>)".
var nonexistingField = regexp.MustCompile(`Tried accessing nonexisting field \(([^()\s]+)\)`)

// NonexistingField returns the field a "(#100) Tried accessing nonexisting
// field (<f>)" error names (a field Meta retired, such as ig_id), and
// whether the error is one. The whole request failed: drop the field and
// ask again.
func (e *Error) NonexistingField() (string, bool) {
	if e.Code != 100 {
		return "", false
	}
	m := nonexistingField.FindStringSubmatch(e.Message)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// FacebookShareOnly reports the per-media rejection of a metric served only
// for media shared to Facebook (crossposted_views, facebook_views): seen
// as code -1, subcode 2207086, "Fatal". It is classified by subcode 2207086
// whatever the code, and by code -1: the caller acts on it only when the
// request holds such metrics (the catalog marks them), dropping them for
// that media, which makes its insights partial, never a failed stream.
func (e *Error) FacebookShareOnly() bool {
	return e.Subcode == 2207086 || e.Code == -1
}

// TokenInvalid reports an access token that expired or was invalidated
// (code 190, any subcode; also 102, the legacy "API session" code).
func (e *Error) TokenInvalid() bool { return e.Code == 190 || e.Code == 102 }

// Permission reports a missing permission: code 10 or 200–299. Note that
// Graph also uses (#10) for "Not enough viewers for the media to show
// insights" on stories; callers that care look at Message.
func (e *Error) Permission() bool { return e.Code == 10 || (e.Code >= 200 && e.Code <= 299) }

// tokenSubcodes explains the subcodes of error 190.
var tokenSubcodes = map[int]string{
	458: "the app is not installed: the user never authorized it or removed it",
	459: "the user is checkpointed and must log in at facebook.com",
	460: "the session was invalidated because the user changed their password (or Facebook reset the session)",
	463: "the token has expired",
	464: "the user is unconfirmed",
	467: "the token is invalid, e.g. the user logged out",
	492: "the user has no role on the Facebook Page linked to the Instagram account",
}

// Login kinds: how the token was obtained, which decides the host, the
// permissions and so the advice (hcl's login attribute).
const (
	// LoginFacebook is the Instagram API with Facebook Login (graph.facebook.com).
	LoginFacebook = "facebook"
	// LoginInstagram is the Instagram API with Instagram Login (graph.instagram.com).
	LoginInstagram = "instagram"
)

// loginPermissions are the permissions an export needs by login kind, in
// the order users grant them: the one declaration of them.
var loginPermissions = map[string][]string{
	LoginFacebook:  {"instagram_basic", "instagram_manage_insights", "pages_show_list", "pages_read_engagement"},
	LoginInstagram: {"instagram_business_basic", "instagram_business_manage_insights"},
}

// Permissions returns the permissions an export needs with a login kind
// ("" is Facebook Login).
func Permissions(login string) []string {
	if login != LoginInstagram {
		login = LoginFacebook
	}
	return slices.Clone(loginPermissions[login])
}

// Advice says what a user of a Facebook Login token should do about the
// error, or "" when there is nothing beyond retrying later (AdviceFor).
func (e *Error) Advice() string { return e.AdviceFor(LoginFacebook) }

// AdviceFor says what a user should do about the error with a token of
// that login kind, or "" when there is nothing beyond retrying later.
func (e *Error) AdviceFor(login string) string {
	permissions := Permissions(login)
	switch {
	case e.TokenInvalid():
		why := tokenSubcodes[e.Subcode]
		if why == "" {
			why = "the token is invalid"
		}
		if login == LoginInstagram {
			return "The access token expired or was invalidated (" + why + "). Get a new Instagram Login token: " +
				"in the App Dashboard (Instagram → API setup with Instagram business login) generate a token for the account " +
				"with " + strings.Join(permissions, ", ") + " (a long-lived, 60 day token; a short-lived one is exchanged with " +
				"GET https://graph.instagram.com/access_token?grant_type=ig_exchange_token&client_secret=APP_SECRET&access_token=SHORT_LIVED_TOKEN); " +
				"then update the environment variable your igexport.hcl reads the token from and re-run. " +
				"Keep it alive with igexport token refresh before it expires."
		}
		return "The access token expired or was invalidated (" + why + "). Get a new long-lived token: " +
			"in the Graph API Explorer (https://developers.facebook.com/tools/explorer/) generate a user token for your app " +
			"with " + strings.Join(permissions, ", ") + "; exchange it for a long-lived (~60 day) token with " +
			"GET /oauth/access_token?grant_type=fb_exchange_token&client_id=APP_ID&client_secret=APP_SECRET&fb_exchange_token=SHORT_LIVED_TOKEN; " +
			"then update the environment variable your igexport.hcl reads the token from (e.g. IG_ACCESS_TOKEN) and re-run."
	case e.Code == 10 && strings.Contains(strings.ToLower(e.Message), "not enough viewers"):
		return "Instagram withholds insights of a story with fewer than 5 viewers; nothing to do."
	case e.Permission():
		var named []string
		lower := strings.ToLower(e.Message + " " + e.UserMsg)
		for _, p := range permissions {
			if strings.Contains(lower, p) {
				named = append(named, p)
			}
		}
		s := "The token lacks a permission for this request. "
		if len(named) > 0 {
			s += "Graph names: " + strings.Join(named, ", ") + ". "
		}
		if login == LoginInstagram {
			return s + "Make sure the Instagram Login token was granted " + strings.Join(permissions, ", ") +
				", that the app has them approved (Advanced Access for accounts that are not the app's testers), " +
				"and that the account is a professional (business or creator) account; then create a new token."
		}
		return s + "Make sure the token was granted " + strings.Join(permissions, ", ") +
			" (plus ads_read if the Page role comes through Business Manager), that the app has them approved, " +
			"and that the user has a role on the Facebook Page linked to the Instagram account; then create a new token."
	case e.Throttle():
		return "The Graph API rate limit was reached. igexport waits and retries; past rate_limit.max_wait the account " +
			"is deferred to the next run. Lower igexport.concurrency or the number of streams/metrics if it persists."
	case e.Code == 100 && strings.Contains(strings.ToLower(e.Message), "appsecret_proof"):
		return "The app requires appsecret_proof: set app_secret on the account to the app's secret (App Dashboard → Settings → Basic)."
	case e.Transient():
		return "A temporary Graph API failure; it was retried. Re-run later."
	}
	return ""
}

// apiError is the JSON shape of a Graph error object. Numbers and booleans
// are accepted as strings too, since a wrong type must not hide the error.
type apiError struct {
	Message     string   `json:"message"`
	Type        string   `json:"type"`
	Code        flexInt  `json:"code"`
	Subcode     flexInt  `json:"error_subcode"`
	IsTransient flexBool `json:"is_transient"`
	UserTitle   string   `json:"error_user_title"`
	UserMsg     string   `json:"error_user_msg"`
	FBTraceID   string   `json:"fbtrace_id"`
}

type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		return nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("not a number: %.20q", s)
	}
	*f = flexInt(n)
	return nil
}

type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	*f = flexBool(s == "true" || s == "1")
	return nil
}

// parseError returns the Graph error in body, if any. A non-2xx status whose
// body holds no valid error object yields a TypeMalformedResponse error, so
// that every failed response becomes an *Error carrying its HTTP status.
// A 2xx body without an "error" key yields nil.
func parseError(status int, body []byte, endpoint string, sc scrubber) *Error {
	ok2xx := status >= 200 && status <= 299
	trimmed := bytes.TrimSpace(body)
	if ok2xx && len(trimmed) > 0 && trimmed[0] == '{' && !mayHaveKey(trimmed, "error") {
		return nil
	}
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var env struct {
			Error json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(trimmed, &env); err == nil {
			if len(env.Error) == 0 || string(env.Error) == "null" {
				if ok2xx {
					return nil
				}
			} else {
				var a apiError
				if err := json.Unmarshal(env.Error, &a); err == nil {
					return &Error{
						HTTPStatus:  status,
						Code:        int(a.Code),
						Subcode:     int(a.Subcode),
						Type:        sc.clean(a.Type),
						Message:     sc.clean(a.Message),
						UserTitle:   sc.clean(a.UserTitle),
						UserMsg:     sc.clean(a.UserMsg),
						FBTraceID:   sc.clean(a.FBTraceID),
						IsTransient: bool(a.IsTransient),
						Endpoint:    endpoint,
					}
				}
				return malformed(status, "error object of unexpected shape: "+snippet(env.Error, sc), endpoint)
			}
		}
	}
	if ok2xx {
		return nil
	}
	if len(trimmed) == 0 {
		return malformed(status, "empty response body", endpoint)
	}
	return malformed(status, "response is not a Graph error object: "+snippet(trimmed, sc), endpoint)
}

func malformed(status int, msg, endpoint string) *Error {
	return &Error{HTTPStatus: status, Type: TypeMalformedResponse, Message: msg, Endpoint: endpoint}
}

// snippet is a short, scrubbed excerpt of a body for an error message.
func snippet(b []byte, sc scrubber) string {
	const n = 120
	// Scrub before cutting: a cut could leave half a token unrecognised.
	s := sc.clean(strings.TrimSpace(string(b)))
	if len(s) > n {
		s = s[:n] + "…"
	}
	return strconv.Quote(s)
}

// decodeError wraps a failure to decode a successful response.
func decodeError(endpoint string, err error) error {
	return &safeError{msg: "graph: " + Redact(endpoint) + ": malformed response: " + Redact(err.Error()), err: err}
}

// safeError carries a pre-redacted message and keeps the cause for
// errors.Is / errors.As (context.Canceled, net.Error, *json.SyntaxError …).
type safeError struct {
	msg       string
	err       error
	transient bool // a transport failure worth retrying
}

func (e *safeError) Error() string { return e.msg }
func (e *safeError) Unwrap() error { return e.err }
