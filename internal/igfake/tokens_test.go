package igfake

import (
	"net/url"
	"slices"
	"testing"
	"time"
)

func tokenEnv(t *testing.T) *env {
	return newEnv(t, Options{Media: 3, Tokens: map[string]TokenSpec{
		"soon":    {ExpiresIn: 5 * 24 * time.Hour},
		"expired": {ExpiresIn: -time.Hour},
		"never":   {NeverExpires: true, Type: "PAGE"},
		"noins":   {MissingScopes: []string{"instagram_manage_insights"}},
		"pwd":     {Invalidated: true},
		"ig":      {Login: "instagram"},
		"ignew":   {Login: "instagram", IssuedAgo: time.Hour},
		"outside": {NotDeveloper: true},
	}})
}

func TestDebugTokenPerToken(t *testing.T) {
	e := tokenEnv(t)
	app := "Bearer " + DefaultAppID + "|" + DefaultClientSecret
	tests := []struct {
		input    string
		valid    bool
		expires  int64
		subcode  int
		scopes   []string
		typ      string
		accessBy string
	}{
		{"soon", true, t0.Add(5 * 24 * time.Hour).Unix(), 0, facebookScopes, "USER", app},
		{"soon", true, t0.Add(5 * 24 * time.Hour).Unix(), 0, facebookScopes, "USER", "Bearer soon"},
		{"expired", false, t0.Add(-time.Hour).Unix(), 463, facebookScopes, "USER", app},
		{"never", true, 0, 0, facebookScopes, "PAGE", app},
		{"noins", true, t0.Add(60 * 24 * time.Hour).Unix(), 0, []string{"instagram_basic", "pages_show_list", "pages_read_engagement"}, "USER", app},
		{"pwd", false, t0.Add(60 * 24 * time.Hour).Unix(), 460, facebookScopes, "USER", app},
		{"ig", true, t0.Add(60 * 24 * time.Hour).Unix(), 0, instagramScopes, "USER", app},
	}
	for _, tt := range tests {
		t.Run(tt.input+" by "+tt.accessBy, func(t *testing.T) {
			r := e.do("GET", "/v23.0/debug_token?input_token="+tt.input, nil, tt.accessBy)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			d := r.body["data"].(map[string]any)
			if d["is_valid"] != tt.valid || num(d["expires_at"]) != tt.expires || d["type"] != tt.typ {
				t.Errorf("got %s", r.raw)
			}
			if num(d["data_access_expires_at"]) != t0.Add(90*24*time.Hour).Unix() {
				t.Errorf("data_access_expires_at %v", d["data_access_expires_at"])
			}
			var scopes []string
			for _, s := range d["scopes"].([]any) {
				scopes = append(scopes, s.(string))
			}
			if !slices.Equal(scopes, tt.scopes) {
				t.Errorf("scopes %v, want %v", scopes, tt.scopes)
			}
			if tt.subcode != 0 {
				er, _ := d["error"].(map[string]any)
				if er == nil || num(er["code"]) != 190 || num(er["subcode"]) != int64(tt.subcode) {
					t.Errorf("error inside data: %v", d["error"])
				}
			} else if d["error"] != nil {
				t.Errorf("unexpected error %v", d["error"])
			}
		})
	}
	if got := e.srv.Stats().ByEndpoint["GET /debug_token"]; got != int64(len(tests)) {
		t.Errorf("debug_token counted %d, want %d", got, len(tests))
	}
}

func TestDebugTokenAccess(t *testing.T) {
	e := tokenEnv(t)
	wantErr(t, e.do("GET", "/debug_token?input_token=soon", nil, "Bearer outside"), 400, 100, 0,
		"(#100) You must provide an app access token, or a user access token that is an owner or developer of the app")
	wantErr(t, e.do("GET", "/debug_token?input_token=soon", nil, "Bearer "+DefaultAppID+"|wrong"), 400, 190, 0, "Invalid OAuth access token.")
	if r := e.do("GET", "/debug_token?input_token=soon", nil, "Bearer expired"); r.status != 400 || r.err().Code != 190 || r.err().Subcode != 463 {
		t.Errorf("an expired token debugging itself: %d %s", r.status, r.raw)
	}
}

func TestTokenStatesOnCalls(t *testing.T) {
	e := tokenEnv(t)
	a := e.srv.Dataset().Accounts[0]
	tests := []struct {
		token         string
		status, code  int
		subcode       int
		clockAdvanced time.Duration
	}{
		{"soon", 200, 0, 0, 0},
		{"never", 200, 0, 0, 0},
		{"expired", 400, 190, 463, 0},
		{"pwd", 400, 190, 460, 0},
		{"soon", 400, 190, 463, 5 * 24 * time.Hour}, // the clock reaches its expiry
	}
	for _, tt := range tests {
		e.clock.Advance(tt.clockAdvanced)
		r := e.do("GET", "/"+a.ID+"?fields=id", nil, "Bearer "+tt.token)
		if r.status != tt.status || r.err().Code != tt.code || r.err().Subcode != tt.subcode {
			t.Errorf("%s: got %d %s", tt.token, r.status, r.raw)
		}
	}
}

func TestExchangeToken(t *testing.T) {
	e := tokenEnv(t)
	a := e.srv.Dataset().Accounts[0]
	q := func(token, secret string) string {
		return "/oauth/access_token?" + url.Values{"grant_type": {"fb_exchange_token"}, "client_id": {DefaultAppID},
			"client_secret": {secret}, "fb_exchange_token": {token}}.Encode()
	}
	wantErr(t, e.do("GET", q("soon", "wrong"), nil, ""), 400, 1, 0, "Error validating client secret.")
	if r := e.do("GET", q("expired", DefaultClientSecret), nil, ""); r.err().Code != 190 {
		t.Errorf("an expired token was exchanged: %s", r.raw)
	}
	r := e.do("GET", "/v23.0"+q("soon", DefaultClientSecret), nil, "")
	tok, _ := r.body["access_token"].(string)
	if r.status != 200 || tok == "" || num(r.body["expires_in"]) != 5184000 || r.body["token_type"] != "bearer" {
		t.Fatalf("exchange: %d %s", r.status, r.raw)
	}
	e.clock.Advance(30 * 24 * time.Hour) // past the old token's expiry
	if r := e.do("GET", "/"+a.ID+"?fields=id", nil, "Bearer "+tok); r.status != 200 {
		t.Errorf("new token refused: %s", r.raw)
	}
	if got := e.srv.Stats().ByEndpoint["GET /oauth/access_token"]; got != 3 {
		t.Errorf("exchanges counted %d", got)
	}
}

func TestRefreshInstagramToken(t *testing.T) {
	e := tokenEnv(t)
	path := "/refresh_access_token?grant_type=ig_refresh_token"
	wantErr(t, e.do("GET", path, nil, "Bearer ignew"), 400, 100, 0, "(#100) The access token is less than 24 hours old and cannot be refreshed yet")
	if r := e.do("GET", path, nil, "Bearer soon"); r.err().Code != 190 {
		t.Errorf("a Facebook Login token was refreshed: %s", r.raw)
	}
	r := e.do("GET", path+"&access_token=ig", nil, "")
	tok, _ := r.body["access_token"].(string)
	if r.status != 200 || tok == "" || tok == "ig" || num(r.body["expires_in"]) != 5184000 {
		t.Fatalf("refresh: %d %s", r.status, r.raw)
	}
	d := e.do("GET", "/debug_token?input_token="+tok, nil, "Bearer "+DefaultAppID+"|"+DefaultClientSecret).body["data"].(map[string]any)
	if d["is_valid"] != true || num(d["expires_at"]) != t0.Add(60*24*time.Hour).Unix() {
		t.Errorf("refreshed token: %v", d)
	}
	if got := e.srv.Stats().ByEndpoint["GET /refresh_access_token"]; got != 3 {
		t.Errorf("refreshes counted %d", got)
	}
}

func TestParseTokenSpecs(t *testing.T) {
	got, err := ParseTokenSpecs("a=expires:5d, b=expired+missing:instagram_manage_insights,c=instagram+new+account:2,d=never+type:PAGE")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]TokenSpec{
		"a": {ExpiresIn: 5 * 24 * time.Hour},
		"b": {ExpiresIn: -time.Hour, MissingScopes: []string{"instagram_manage_insights"}},
		"c": {Login: "instagram", IssuedAgo: time.Hour, Account: 2},
		"d": {NeverExpires: true, Type: "PAGE"},
	}
	for k, w := range want {
		g := got[k]
		if g.ExpiresIn != w.ExpiresIn || g.Login != w.Login || g.IssuedAgo != w.IssuedAgo || g.NeverExpires != w.NeverExpires ||
			g.Type != w.Type || g.Account != w.Account || !slices.Equal(g.MissingScopes, w.MissingScopes) {
			t.Errorf("%s: got %+v, want %+v", k, g, w)
		}
	}
	for _, bad := range []string{"=expired", "a=bogus", "a=expires:soon"} {
		if _, err := ParseTokenSpecs(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestInstagramLoginMe(t *testing.T) {
	e := newEnv(t, Options{Accounts: 2, Media: 3, Tokens: map[string]TokenSpec{
		"ig1": {Login: "instagram"}, "ig2": {Login: "instagram", Account: 2}}})
	ds := e.srv.Dataset()
	for i, tok := range []string{"ig1", "ig2"} {
		r := e.do("GET", "/v23.0/me?fields=user_id,username", nil, "Bearer "+tok)
		a := ds.Accounts[i]
		if r.status != 200 || r.body["user_id"] != a.ID || r.body["username"] != a.Username || r.body["id"] != a.ID {
			t.Errorf("%s: %d %s", tok, r.status, r.raw)
		}
	}
	wantErr(t, e.do("GET", "/me/accounts", nil, "Bearer ig1"), 400, 100, 0, "(#100) Tried accessing nonexisting field (accounts)")
	if r := e.get("/me?fields=id,name"); r.status != 200 || r.body["id"] != ds.UserID {
		t.Errorf("a Facebook Login token's /me: %s", r.raw)
	}
	if got := e.srv.Stats().ByEndpoint["GET /me (instagram)"]; got != 2 {
		t.Errorf("counted %d", got)
	}
}
