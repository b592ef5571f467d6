package graph

import (
	"strings"
	"testing"
)

// TestAdviceFor: token and permission advice names the permissions of the
// token's login kind, and only those.
func TestAdviceFor(t *testing.T) {
	fb, ig := Permissions(LoginFacebook), Permissions(LoginInstagram)
	for _, tc := range []struct {
		name  string
		err   *Error
		login string
		want  []string
		not   []string
	}{
		{"190 facebook", &Error{Code: 190, Subcode: 463}, LoginFacebook, append(fb, "fb_exchange_token", "the token has expired"), ig},
		{"190 instagram", &Error{Code: 190, Subcode: 463}, LoginInstagram, append(ig, "ig_exchange_token", "igexport token refresh", "the token has expired"), append(fb, "fb_exchange_token")},
		{"10 facebook", &Error{Code: 10, Message: "(#10) Application does not have permission for this action"}, LoginFacebook, fb, ig},
		{"200 instagram", &Error{Code: 200, Message: "(#200) Requires instagram_business_manage_insights permission"}, LoginInstagram,
			[]string{"Graph names: instagram_business_manage_insights", "Instagram Login token was granted instagram_business_basic, instagram_business_manage_insights"}, []string{"pages_show_list", "Facebook Page"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.err.AdviceFor(tc.login)
			for _, w := range tc.want {
				if !strings.Contains(a, w) {
					t.Errorf("advice lacks %q: %s", w, a)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(a, n) {
					t.Errorf("advice names %q: %s", n, a)
				}
			}
		})
	}
	if e := (&Error{Code: 190}); e.Advice() != e.AdviceFor(LoginFacebook) {
		t.Error("Advice is not AdviceFor(facebook)")
	}
}
