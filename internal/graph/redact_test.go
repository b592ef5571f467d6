package graph

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	const tok = "EAAGm0PX4ZCpsBAKZA8secret"
	for _, tc := range []struct{ in, want string }{
		{"https://graph.facebook.com/v23.0/1784/media?access_token=" + tok + "&limit=25&after=QVFI",
			"https://graph.facebook.com/v23.0/1784/media?access_token=REDACTED&limit=25&after=QVFI"},
		{"?limit=25&ACCESS_TOKEN=" + tok, "?limit=25&ACCESS_TOKEN=REDACTED"},
		{"/debug_token?input_token=" + tok + "&access_token=app|sec", "/debug_token?input_token=REDACTED&access_token=REDACTED"},
		{"/oauth/access_token?grant_type=fb_exchange_token&client_id=1&client_secret=abc&fb_exchange_token=" + tok,
			"/oauth/access_token?grant_type=fb_exchange_token&client_id=1&client_secret=REDACTED&fb_exchange_token=REDACTED"},
		{"x?appsecret_proof=e941110e3d2b#frag", "x?appsecret_proof=REDACTED#frag"},
		// Encoded: the rest of the encoded query goes too (safe side).
		{"next%3Faccess_token%3D" + tok + "%26after%3DX", "next%3Faccess_token%3DREDACTED"},
		{"access_token%253D" + tok, "access_token%253DREDACTED"},
		{`{"access_token":"` + tok + `","token_type":"bearer"}`, `{"access_token":"REDACTED","token_type":"bearer"}`},
		{`{"access_token": "` + tok + `"}`, `{"access_token": "REDACTED"}`},
		{"map[access_token:[" + tok + "] limit:[5]]", "map[access_token:[REDACTED] limit:[5]]"},
		{"Authorization: Bearer " + tok, "Authorization: Bearer REDACTED"},
		{"authorization: bearer " + tok + ", next", "authorization: bearer REDACTED, next"},
		{"Authorization: OAuth " + tok, "Authorization: OAuth REDACTED"},
		{"Invalid OAuth access token.", "Invalid OAuth access token."},
		{`WWW-Authenticate: OAuth "Facebook Platform" "invalid_token"`, `WWW-Authenticate: OAuth "Facebook Platform" "invalid_token"`},
		{"the access_token is always useless", "the access_token is always useless"},
		{"", ""},
		// Upper case reaches the expressions too (mayHoldSecret folds case).
		{"x?APPSECRET_PROOF=e941110e3d2b", "x?APPSECRET_PROOF=REDACTED"},
		{"CLIENT_SECRET=abc", "CLIENT_SECRET=REDACTED"},
		{"BEARER " + tok, "BEARER REDACTED"},
		{"Authorization: OAUTH " + tok, "Authorization: OAUTH REDACTED"},
		{"stream finished: 1,000 rows, 10 files", "stream finished: 1,000 rows, 10 files"},
	} {
		got := Redact(tc.in)
		if got != tc.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
		if strings.Contains(got, tok) {
			t.Errorf("Redact(%q) leaks the token: %q", tc.in, got)
		}
	}
}

func TestScrubber(t *testing.T) {
	sc := newScrubber("short", "a-long-enough-token", "")
	if got := sc.clean("short a-long-enough-token"); got != "short REDACTED" {
		t.Fatalf("clean = %q", got)
	}
}
