package hcl_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/igexport/igexport/hcl"
)

// TestFacebookOnlyMetricWithInstagramLogin: a Facebook-Login-only metric in
// a stream block is an error when every account uses Instagram Login (no
// account could get it), and a warning at the metric when the file also has
// Facebook Login accounts (they get it; the Instagram Login ones get NULL).
func TestFacebookOnlyMetricWithInstagramLogin(t *testing.T) {
	const fb = `
account "brand_a" {
  ig_user_id   = "17841400000000001"
  access_token = env("IG_ACCESS_TOKEN")
}
`
	const ig = `
account "creator_b" {
  ig_user_id   = "17841400000000002"
  access_token = env("IG_ACCESS_TOKEN")
  login        = "instagram"
}
`
	const stream = `
stream "media_insights" {
  metrics = ["views", "total_views"]
}
`
	for _, tc := range []struct {
		name     string
		src      string
		severity string
	}{
		{"instagram only", ig + stream, "error"},
		{"mixed", fb + ig + stream, "warning"},
		{"facebook only", fb + stream, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.hcl")
			if err := os.WriteFile(path, []byte(tc.src), 0o600); err != nil {
				t.Fatal(err)
			}
			_, diags := hcl.Load(path, testOptions())
			var got []hcl.Diagnostic
			for _, d := range diags.List() {
				if d.Summary == "Metric not served with Instagram Login" {
					got = append(got, d)
				}
			}
			if tc.severity == "" {
				if len(got) != 0 || diags.HasErrors() {
					t.Fatalf("want no login diagnostic, got %+v\n%s", got, diags.Error())
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("want one login diagnostic, got %+v\n%s", got, diags.Error())
			}
			d := got[0]
			wantLine := strings.Count(tc.src[:strings.Index(tc.src, "total_views")], "\n") + 1
			if d.Severity != tc.severity || d.Line != wantLine || d.Column != 23 {
				t.Errorf("got %s at %d:%d, want %s at %d:23", d.Severity, d.Line, d.Column, tc.severity, wantLine)
			}
			if !strings.Contains(d.Detail, `account "creator_b"`) {
				t.Errorf("detail does not name the Instagram Login block: %s", d.Detail)
			}
			if diags.HasErrors() != (tc.severity == "error") {
				t.Errorf("HasErrors = %v:\n%s", diags.HasErrors(), diags.Error())
			}
		})
	}
}
