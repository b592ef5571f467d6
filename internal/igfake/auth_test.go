package igfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTokenTransports(t *testing.T) {
	e := newEnv(t, Options{Media: 3, Token: "T"})
	a := e.srv.Dataset().Accounts[0]
	tests := []struct {
		name, path, auth string
		form             url.Values
		method           string
		status, code     int
	}{
		{"bearer header", "/" + a.ID, "Bearer T", nil, "GET", 200, 0},
		{"oauth header", "/" + a.ID, "OAuth T", nil, "GET", 200, 0},
		{"query parameter", "/" + a.ID + "?access_token=T", "", nil, "GET", 200, 0},
		{"form parameter on a batch", "/", "", url.Values{"access_token": {"T"}, "batch": {`[{"method":"GET","relative_url":"me"}]`}}, "POST", 200, 0},
		{"same token twice", "/" + a.ID + "?access_token=T", "Bearer T", nil, "GET", 200, 0},
		{"two different tokens", "/" + a.ID + "?access_token=T", "Bearer U", nil, "GET", 400, 190},
		{"wrong token", "/" + a.ID, "Bearer U", nil, "GET", 400, 190},
		{"no token on /me", "/me", "", nil, "GET", 400, 2500},
		{"no token elsewhere", "/" + a.ID, "", nil, "GET", 400, 104},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, tt.form, tt.auth)
			if r.status != tt.status || r.err().Code != tt.code {
				t.Errorf("got %d %s", r.status, r.raw)
			}
			if tt.code == 190 {
				want := `OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token."`
				if got := r.header.Get("WWW-Authenticate"); got != want {
					t.Errorf("WWW-Authenticate = %q", got)
				}
			}
			if tt.code == 2500 && r.err().Message != "An active access token must be used to query information about the current user." {
				t.Errorf("message %q", r.err().Message)
			}
		})
	}
}

func TestAppSecretProof(t *testing.T) {
	e := newEnv(t, Options{Media: 3, Token: "T", AppSecret: "S"})
	a := e.srv.Dataset().Accounts[0]
	m := hmac.New(sha256.New, []byte("S"))
	m.Write([]byte("T"))
	proof := hex.EncodeToString(m.Sum(nil))
	wantErr(t, e.get("/"+a.ID), 400, 100, 0, "API calls from the server require an appsecret_proof argument")
	wantErr(t, e.get("/"+a.ID+"?appsecret_proof=00"+proof[2:]), 400, 100, 0, "Invalid appsecret_proof provided in the API argument")
	if r := e.get("/" + a.ID + "?appsecret_proof=" + proof); r.status != 200 {
		t.Errorf("valid proof: %d %s", r.status, r.raw)
	}
	if e.get("/"+a.ID).err().Type != "GraphMethodException" {
		t.Error("proof errors are GraphMethodException")
	}
	// Batch: the proof goes with the top-level token.
	r := e.do("POST", "/", url.Values{"appsecret_proof": {proof}, "batch": {`[{"method":"GET","relative_url":"` + a.ID + `"}]`}}, "Bearer T")
	if r.status != 200 || !strings.Contains(string(r.raw), `"code":200`) {
		t.Errorf("batch with proof: %s", r.raw)
	}
	r = e.do("POST", "/", url.Values{"batch": {`[{"method":"GET","relative_url":"` + a.ID + `"}]`}}, "Bearer T")
	wantErr(t, r, 400, 100, 0, "API calls from the server require an appsecret_proof argument")
}

func TestTokenExpiry(t *testing.T) {
	e := newEnv(t, Options{Media: 3, Faults: Faults{TokenExpiresAfter: 3}})
	a := e.srv.Dataset().Accounts[0]
	for i := range 3 {
		if r := e.get("/" + a.ID); r.status != 200 {
			t.Fatalf("call %d: %s", i+1, r.raw)
		}
	}
	e.clock.Advance(90 * time.Minute)
	r := e.get("/" + a.ID)
	msg := "Error validating access token: Session has expired on Tuesday, 15-Sep-26 11:00:00 PDT. The current time is Tuesday, 15-Sep-26 12:30:00 PDT."
	wantErr(t, r, 400, 190, 463, msg)
	if got := r.header.Get("WWW-Authenticate"); got != `OAuth "Facebook Platform" "invalid_token" "`+msg+`"` {
		t.Errorf("WWW-Authenticate = %q", got)
	}
	// A batch after expiry fails as a whole.
	rb := e.do("POST", "/", url.Values{"batch": {`[{"method":"GET","relative_url":"me"}]`}}, "Bearer "+DefaultToken)
	if rb.status != 400 || rb.err().Subcode != 463 {
		t.Errorf("batch: %d %s", rb.status, rb.raw)
	}
}

func TestVersions(t *testing.T) {
	e := newEnv(t, Options{Media: 3})
	a := e.srv.Dataset().Accounts[0]
	for path, want := range map[string]string{
		"/v21.0/": "v21.0", "/v22.0/": "v22.0", "/v23.0/": "v23.0", "/v24.0/": "v24.0", "/v25.0/": "v25.0", "/v26.0/": "v26.0", "/v27.0/": "v27.0",
		"/": DefaultVersion, "/v19.0/": "v21.0",
	} {
		r := e.get(path + a.ID)
		if r.status != 200 || r.header.Get("Facebook-Api-Version") != want {
			t.Errorf("%s: %d version %q, want %q", path, r.status, r.header.Get("Facebook-Api-Version"), want)
		}
	}
	if r := e.get("/v28.0/" + a.ID); r.status != 400 || r.err().Code != 2500 {
		t.Errorf("/v28.0/: %d %s, want the unknown-path error", r.status, r.raw)
	}
}
