package igfake

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Location defaults to America/Los_Angeles on any host
)

// apiError is one Graph API error: the {"error":{…}} envelope plus the HTTP
// status it is served with. Messages copy the texts of graph-api.md §2 and
// §7.4 verbatim where the reference has them.
type apiError struct {
	Status    int
	Message   string
	Type      string
	Code      int
	Subcode   int
	Transient *bool
	UserTitle string
	UserMsg   string
	ErrorData any
	// WWWAuth, when set, is the value of the WWW-Authenticate header (token errors).
	WWWAuth string
}

func (e *apiError) Error() string { return fmt.Sprintf("igfake: (%d) %s", e.Code, e.Message) }

// body renders the envelope with a fresh fbtrace_id.
func (e *apiError) body(traceID string) obj {
	in := obj{{"message", e.Message}, {"type", e.Type}, {"code", e.Code}}
	if e.Subcode != 0 {
		in = append(in, kv{"error_subcode", e.Subcode})
	}
	if e.Transient != nil {
		in = append(in, kv{"is_transient", *e.Transient})
	}
	if e.UserTitle != "" {
		in = append(in, kv{"error_user_title", e.UserTitle})
	}
	if e.UserMsg != "" {
		in = append(in, kv{"error_user_msg", e.UserMsg})
	}
	if e.ErrorData != nil {
		in = append(in, kv{"error_data", e.ErrorData})
	}
	in = append(in, kv{"fbtrace_id", traceID})
	return obj{{"error", in}}
}

func boolp(b bool) *bool { return &b }

const (
	typeOAuth  = "OAuthException"
	typeMethod = "GraphMethodException"
	graphDocs  = "Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
)

// errParam is a code-100 OAuthException with HTTP 400 (most validation errors).
func errParam(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: typeOAuth, Code: 100, Message: fmt.Sprintf(format, args...)}
}

// errUnsupportedGet is 100/33 for an unknown object, an object the token may
// not read, or an operation the object does not support.
func errUnsupportedGet(method, id string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: typeMethod, Code: 100, Subcode: 33,
		Message: fmt.Sprintf("Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation. %s",
			strings.ToLower(method), id, graphDocs)}
}

// errUnknownPath is the 2500 answer to an edge the node does not have.
func errUnknownPath(rest string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: typeOAuth, Code: 2500,
		Message: "Unknown path components: /" + rest}
}

func errNonexistingField(name string) *apiError {
	return errParam("(#100) Tried accessing nonexisting field (%s)", name)
}

// errSyntax is the 2500 syntax error of the fields grammar (duplicate field,
// unbalanced braces); pos is the character offset in the whole fields value.
func errSyntax(what string, pos int, fields string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: typeOAuth, Code: 2500,
		Message: fmt.Sprintf("Syntax error %q at character %d: %s", what, pos, fields)}
}

func errNoTokenMe() *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: typeOAuth, Code: 2500,
		Message: "An active access token must be used to query information about the current user."}
}

func errNoToken() *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: typeOAuth, Code: 104,
		Message: "An access token is required to request this resource."}
}

func wwwAuth(msg string) string {
	return fmt.Sprintf("OAuth \"Facebook Platform\" \"invalid_token\" %q", msg)
}

func errInvalidToken() *apiError {
	msg := "Invalid OAuth access token."
	return &apiError{Status: http.StatusBadRequest, Type: typeOAuth, Code: 190, Message: msg, WWWAuth: wwwAuth(msg)}
}

// errExpiredToken is 190/463 with the expiry and the current time in the
// Pacific format Graph uses ("Thursday, 10-Dec-15 04:00:00 PST").
func errExpiredToken(expired, now time.Time) *apiError {
	const layout = "Monday, 02-Jan-06 15:04:05 MST"
	pt := pacific()
	msg := fmt.Sprintf("Error validating access token: Session has expired on %s. The current time is %s.",
		expired.In(pt).Format(layout), now.In(pt).Format(layout))
	return &apiError{Status: http.StatusBadRequest, Type: typeOAuth, Code: 190, Subcode: 463, Message: msg, WWWAuth: wwwAuth(msg)}
}

func errProofMissing() *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: typeMethod, Code: 100,
		Message: "API calls from the server require an appsecret_proof argument"}
}

func errProofInvalid() *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: typeMethod, Code: 100,
		Message: "Invalid appsecret_proof provided in the API argument"}
}

// errTransient is the injected 5xx: code 2, is_transient.
func errTransient() *apiError {
	return &apiError{Status: http.StatusInternalServerError, Type: typeOAuth, Code: 2, Transient: boolp(true),
		Message: "An unexpected error has occurred. Please retry your request later."}
}

// errUnknown is code 1, what the docs say an unsupported breakdown answers.
func errUnknown() *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: typeOAuth, Code: 1, Message: "An unknown error has occurred."}
}

func errNoPermission() *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: typeOAuth, Code: 10,
		Message: "(#10) Application does not have permission for this action"}
}

func errNotEnoughViewers() *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: typeOAuth, Code: 10,
		Message: "(#10) Not enough viewers for the media to show insights"}
}

func errPreConversion() *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: typeOAuth, Code: 100, Subcode: 2108006,
		Transient: boolp(false), Message: "Invalid parameter",
		UserTitle: "Media posted before business account conversion",
		UserMsg:   "The media was posted before the most recent time that the user's account was converted to a business account from a personal account.",
		ErrorData: obj{{"blame_field_specs", [][]string{{""}}}}}
}

// errNotShared answers facebook_views/crossposted_views on media not shared
// to Facebook (Faults.NotSharedError).
func errNotShared(kind string) *apiError {
	if kind == "param" {
		return &apiError{Status: http.StatusBadRequest, Type: typeOAuth, Code: 100, Subcode: 2207086,
			Transient: boolp(false), Message: "Invalid parameter"}
	}
	return &apiError{Status: http.StatusBadRequest, Type: typeOAuth, Code: -1, Subcode: 2207086,
		Transient: boolp(false), Message: "Fatal"}
}

// errReduceData is code 1 on a page asking for too much (Faults.ReduceDataAbove).
func errReduceData() *apiError {
	return &apiError{Status: http.StatusInternalServerError, Type: typeOAuth, Code: 1, Transient: boolp(false),
		Message: "Please reduce the amount of data you're asking for, then retry your request"}
}

func errBusinessDiscoveryOnly() *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: typeOAuth, Code: 36104,
		Message: "(#36104) You do not have permission to access this field outside of the Business Discovery API."}
}

func errVideoNotFound() *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: typeOAuth, Code: 9005, Subcode: 1452042,
		Message: "Video content was not found."}
}

// throttleMessages are the texts of the throttle codes (graph-api.md §1.3).
var throttleMessages = map[int]string{
	4:     "(#4) Application request limit reached",
	17:    "(#17) User request limit reached",
	32:    "(#32) Page request limit reached",
	613:   "(#613) Calls to this api have exceeded the rate limit.",
	80002: "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
}

func errThrottle(code int, http429 bool) *apiError {
	e := &apiError{Status: http.StatusBadRequest, Type: typeOAuth, Code: code, Message: throttleMessages[code]}
	if code == 4 {
		e.Transient = boolp(true)
	}
	if http429 {
		e.Status = http.StatusTooManyRequests
	}
	return e
}

// pacific returns America/Los_Angeles (the embedded tz database makes it
// available everywhere).
var pacific = sync.OnceValue(func() *time.Location {
	l, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		return time.FixedZone("PST", -8*3600)
	}
	return l
})
