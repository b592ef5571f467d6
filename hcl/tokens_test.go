package hcl_test

import (
	"strings"
	"testing"

	"github.com/igexport/igexport/hcl"
)

func TestTokenSettings(t *testing.T) {
	cfg := mustLoad(t, "testdata/valid/tokens.hcl", testOptions())
	if cfg.InstagramAPIURL != "http://127.0.0.1:8089" || cfg.TokenWarnDays != 7 {
		t.Errorf("igexport block: instagram_api_url %q, token_warn_days %d", cfg.InstagramAPIURL, cfg.TokenWarnDays)
	}
	tests := []struct {
		name, appID, login string
		got                [2]string
	}{
		{"brand_a", "1234567890", hcl.LoginFacebook, [2]string{cfg.Accounts[0].AppID, cfg.Accounts[0].Login}},
		{"creator_b", "", hcl.LoginInstagram, [2]string{cfg.Accounts[1].AppID, cfg.Accounts[1].Login}},
		{"discover agency", "1234567890", hcl.LoginFacebook, [2]string{cfg.Discover[0].AppID, cfg.Discover[0].Login}},
	}
	for _, tt := range tests {
		if tt.got != [2]string{tt.appID, tt.login} {
			t.Errorf("%s: app_id, login = %q, want %q, %q", tt.name, tt.got, tt.appID, tt.login)
		}
	}
}

func TestInvalidLoginPointsAtTheValue(t *testing.T) {
	_, diags := hcl.Load("testdata/invalid/tokens.hcl", testOptions())
	for _, d := range diags.List() {
		if d.Summary == "Invalid login" && d.Line == 11 {
			if d.Column != 18 {
				t.Errorf("login diagnostic at column %d, want 18 (the value)", d.Column)
			}
			if s := diags.Error(); !strings.Contains(s, "testdata/invalid/tokens.hcl:11:18") {
				t.Errorf("rendered diagnostics lack file:line:col:\n%s", s)
			}
			return
		}
	}
	t.Fatalf("no Invalid login diagnostic at line 11: %s", diags.Error())
}
