package graph

import (
	"regexp"
	"strings"
)

// redacted replaces a secret value in printed text.
const redacted = "REDACTED"

var (
	// secretParam matches the value of a secret parameter in a query string
	// (also URL-encoded once or twice), a JSON object, a form dump or a
	// Go map print: access_token=…, access_token%3D…, "access_token":"…",
	// access_token:[…].
	secretParam = regexp.MustCompile(`(?i)((?:access_token|input_token|appsecret_proof|client_secret|fb_exchange_token)"?)(%253D|%3D|\s*[:=]\s*\[?"?)([^&\s"'#;,<>\]\)]+)`)
	// placeholder matches the upper-case names advice uses in place of a
	// secret (APP_SECRET, SHORT_LIVED_TOKEN); no token or secret looks so.
	placeholder = regexp.MustCompile(`^[A-Z][A-Z_]*$`)
	// bearer matches an Authorization header value.
	bearer = regexp.MustCompile(`(?i)\b(Bearer\s+)[^\s"',;]+`)
	// oauth matches "OAuth <token>" (the other Authorization scheme Graph
	// accepts); the length floor keeps prose such as "OAuth access token".
	oauth = regexp.MustCompile(`(?i)\b(OAuth\s+)[A-Za-z0-9\-._~+/|%]{16,}`)
)

// Redact masks secrets in s so that it can be printed: the values of the
// access_token, input_token, appsecret_proof, client_secret and
// fb_exchange_token parameters (in URLs, encoded URLs, form dumps and JSON)
// and the credentials of "Bearer …" / "OAuth …" authorization values.
// Use it on every URL or response excerpt that goes into a log line or error.
func Redact(s string) string {
	if !mayHoldSecret(s) {
		return s // most text: no need to run the three expressions
	}
	s = secretParam.ReplaceAllStringFunc(s, func(m string) string {
		sub := secretParam.FindStringSubmatch(m)
		if placeholder.MatchString(sub[3]) {
			return m // APP_SECRET, SHORT_LIVED_TOKEN: advice, not a secret
		}
		return sub[1] + sub[2] + redacted
	})
	s = bearer.ReplaceAllString(s, "${1}"+redacted)
	s = oauth.ReplaceAllString(s, "${1}"+redacted)
	return s
}

// mayHoldSecret reports whether s contains, in any case, one of the words
// every pattern of Redact needs: token (access_token, input_token,
// fb_exchange_token), secret (appsecret_proof, client_secret), bearer or
// oauth.
func mayHoldSecret(s string) bool {
	for i := 0; i < len(s); i++ {
		var w string
		switch s[i] | 0x20 { // ASCII lower case
		case 't':
			w = "token"
		case 's':
			w = "secret"
		case 'b':
			w = "bearer"
		case 'o':
			w = "oauth"
		default:
			continue
		}
		if len(s)-i >= len(w) && strings.EqualFold(s[i:i+len(w)], w) {
			return true
		}
	}
	return false
}

// scrubber removes known secret literals (a token, an app secret) from text
// the API echoes back, on top of [Redact].
type scrubber []string

// newScrubber keeps the secrets long enough to be replaced safely: a very
// short test token such as "x" would otherwise mangle every message.
func newScrubber(secrets ...string) scrubber {
	var s scrubber
	for _, v := range secrets {
		if len(v) >= 8 {
			s = append(s, v)
		}
	}
	return s
}

func (s scrubber) clean(text string) string {
	for _, v := range s {
		text = strings.ReplaceAll(text, v, redacted)
	}
	return Redact(text)
}
