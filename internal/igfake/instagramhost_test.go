package igfake

import (
	"net/url"
	"strings"
	"testing"
)

// TestInstagramHost: in Instagram host mode the server answers what
// graph.instagram.com does for igexport's requests, and NoBatch refuses
// batch POSTs without counting a call.
func TestInstagramHost(t *testing.T) {
	e := newEnv(t, Options{Media: 10, Token: "igtok", InstagramHost: true, NoBatch: true,
		Tokens: map[string]TokenSpec{"fbtok": {}}})
	id := e.srv.Dataset().Accounts[0].ID
	var reel *Media
	for _, m := range e.srv.Dataset().Accounts[0].Media {
		if m.MediaProductType == "REELS" {
			reel = m
			break
		}
	}
	if reel == nil {
		t.Fatal("no reel")
	}

	me := e.mustGet("/v27.0/me?fields=user_id,username")
	if me.body["user_id"] != id || me.body["username"] != "igfake_1" {
		t.Errorf("/me: %s", me.raw)
	}
	media := e.mustGet("/v27.0/" + id + "/media?fields=id,media_type,permalink&limit=100")
	if n := len(media.data()); n != 10 {
		t.Errorf("media: %d items", n)
	}
	ins := e.mustGet("/v27.0/" + reel.ID + "/insights?metric=views,reach,ig_reels_avg_watch_time")
	if n := len(ins.data()); n != 3 {
		t.Errorf("reel insights: %s", ins.raw)
	}

	tests := []struct {
		name, path, auth  string
		status, code, sub int
		msg               string
	}{
		{"facebook token", "/v27.0/" + id, "Bearer fbtok", 400, 190, 0, "Invalid OAuth access token - Cannot parse access token"},
		{"media_product_type", "/v27.0/" + id + "/media?fields=id,media_product_type", "", 400, 100, 0, "(#100) Tried accessing nonexisting field (media_product_type)"},
		{"me/accounts", "/v27.0/me/accounts", "", 400, 100, 0, "(#100) Tried accessing nonexisting field (accounts)"},
		{"debug_token", "/v27.0/debug_token?input_token=igtok", "", 400, 2500, 0, ""},
		{"total_views", "/v27.0/" + reel.ID + "/insights?metric=views,total_views", "", 400, 100, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth := tt.auth
			if auth == "" {
				auth = "Bearer igtok"
			}
			r := e.do("GET", tt.path, nil, auth)
			ge := r.err()
			if r.status != tt.status || ge.Code != tt.code || ge.Subcode != tt.sub || (tt.msg != "" && ge.Message != tt.msg) {
				t.Errorf("got %d %d/%d %q", r.status, ge.Code, ge.Subcode, ge.Message)
			}
			if tt.name == "total_views" && (!strings.Contains(ge.Message, "metric[1] must be one of") || strings.Contains(ge.Message, "total_views")) {
				t.Errorf("message %q", ge.Message)
			}
		})
	}

	before := e.srv.Stats()
	batch := url.Values{"batch": {`[{"method":"GET","relative_url":"` + id + `"}]`}, "access_token": {"igtok"}}
	r := e.do("POST", "/v27.0/", batch, "Bearer igtok")
	wantErr(t, r, 400, 100, 33, "Unsupported post request. Object with ID 'batch' does not exist, cannot be loaded due to missing permissions, or does not support this operation. "+graphDocs)
	after := e.srv.Stats()
	if after.Calls != before.Calls || after.RoundTrips != before.RoundTrips+1 || after.ByEndpoint["POST batch (refused)"] != 1 {
		t.Errorf("refused batch: calls %d → %d, round trips %d → %d, %v", before.Calls, after.Calls, before.RoundTrips, after.RoundTrips, after.ByEndpoint)
	}
}
