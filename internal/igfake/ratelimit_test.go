package igfake

import (
	"encoding/json"
	"testing"
	"time"
)

type bucUsage struct {
	Type       string `json:"type"`
	CallCount  int    `json:"call_count"`
	CPU        int    `json:"total_cputime"`
	Time       int    `json:"total_time"`
	RegainMins int    `json:"estimated_time_to_regain_access"`
}

func buc(t *testing.T, r resp, id string) *bucUsage {
	t.Helper()
	h := r.header.Get("X-Business-Use-Case-Usage")
	if h == "" {
		return nil
	}
	var m map[string][]bucUsage
	if err := json.Unmarshal([]byte(h), &m); err != nil {
		t.Fatalf("header %q: %v", h, err)
	}
	if len(m[id]) != 1 {
		t.Fatalf("header %q has no single entry for %s", h, id)
	}
	return &m[id][0]
}

const throttleMsg = "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting."

func TestThrottling(t *testing.T) {
	e := newEnv(t, Options{Accounts: 2, Media: 3, Faults: Faults{ThrottleAfter: 10, ThrottleFor: 5 * time.Minute}})
	ds := e.srv.Dataset()
	a, b := ds.Accounts[0], ds.Accounts[1]
	last := -1
	for i := 1; i <= 10; i++ {
		r := e.get("/" + a.ID)
		u := buc(t, r, a.ID)
		if r.status != 200 || u == nil || u.Type != "instagram" || u.CallCount != i*10 || u.CallCount <= last || u.RegainMins != 0 {
			t.Fatalf("call %d: %d %+v", i, r.status, u)
		}
		last = u.CallCount
	}
	r := e.get("/" + a.ID)
	wantErr(t, r, 400, 80002, 0, throttleMsg)
	if u := buc(t, r, a.ID); u == nil || u.CallCount < 100 || u.RegainMins != 5 {
		t.Errorf("blocked usage %+v", u)
	}
	if r.err().Type != "OAuthException" {
		t.Errorf("type %q", r.err().Type)
	}
	// Another account has its own budget.
	if r := e.get("/" + b.ID); r.status != 200 || buc(t, r, b.ID).CallCount != 10 {
		t.Errorf("other account: %d %s", r.status, r.raw)
	}
	// Calls while blocked extend the block.
	e.clock.Advance(4 * time.Minute)
	r = e.get("/" + a.ID)
	if r.status != 400 || buc(t, r, a.ID).RegainMins != 5 {
		t.Errorf("after 4m: %d %+v", r.status, buc(t, r, a.ID))
	}
	e.clock.Advance(4*time.Minute + 30*time.Second)
	r = e.get("/" + a.ID)
	if r.status != 400 {
		t.Errorf("block was not extended: %d", r.status)
	}
	// Waiting out the block resets the budget.
	e.clock.Advance(5 * time.Minute)
	r = e.get("/" + a.ID)
	if u := buc(t, r, a.ID); r.status != 200 || u.CallCount != 10 || u.RegainMins != 0 {
		t.Errorf("after the block: %d %+v", r.status, u)
	}
	if st := e.srv.Stats(); st.Throttled != 3 {
		t.Errorf("throttled = %d", st.Throttled)
	}
}

func TestThrottleBatchCountsPerOperation(t *testing.T) {
	e := newEnv(t, Options{Media: 30, Faults: Faults{ThrottleAfter: 20}})
	a := e.srv.Dataset().Accounts[0]
	r, items := e.batch(insightOps(a.Media[:25], "reach"), nil, "Bearer "+DefaultToken)
	ok, throttled := 0, 0
	for _, it := range items {
		switch it.Code {
		case 200:
			ok++
		case 400:
			throttled++
		}
	}
	if r.status != 200 || ok != 20 || throttled != 5 {
		t.Errorf("outer %d, ok %d throttled %d", r.status, ok, throttled)
	}
	if u := buc(t, r, a.ID); u == nil || u.CallCount < 100 || u.RegainMins < 1 {
		t.Errorf("outer usage %+v", u)
	}
}

func TestThrottleVariants(t *testing.T) {
	tests := []struct {
		name   string
		f      Faults
		status int
		code   int
		msg    string
		header string
	}{
		{"code 4 with X-App-Usage", Faults{ThrottleAfter: 2, ThrottleCode: 4, UsageHeader: "app"}, 400, 4, "(#4) Application request limit reached", "X-App-Usage"},
		{"code 17", Faults{ThrottleAfter: 2, ThrottleCode: 17}, 400, 17, "(#17) User request limit reached", "X-Business-Use-Case-Usage"},
		{"code 32", Faults{ThrottleAfter: 2, ThrottleCode: 32}, 400, 32, "(#32) Page request limit reached", "X-Business-Use-Case-Usage"},
		{"code 613 over HTTP 429", Faults{ThrottleAfter: 2, ThrottleCode: 613, ThrottleHTTP429: true}, 429, 613, "(#613) Calls to this api have exceeded the rate limit.", "X-Business-Use-Case-Usage"},
		{"no usage headers", Faults{ThrottleAfter: 2, UsageHeader: "none"}, 400, 80002, throttleMsg, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{Media: 3, Faults: tt.f})
			a := e.srv.Dataset().Accounts[0]
			e.get("/" + a.ID)
			e.get("/" + a.ID)
			r := e.get("/" + a.ID)
			wantErr(t, r, tt.status, tt.code, 0, tt.msg)
			for _, h := range []string{"X-App-Usage", "X-Business-Use-Case-Usage"} {
				if got := r.header.Get(h); (got != "") != (h == tt.header) {
					t.Errorf("%s = %q", h, got)
				}
			}
			if tt.code == 4 && (r.err().Transient == nil || !*r.err().Transient) {
				t.Error("(#4) is not transient")
			}
		})
	}
}

func TestUsageHeaders(t *testing.T) {
	t.Run("absent until UsageAfter", func(t *testing.T) {
		e := newEnv(t, Options{Media: 3, Faults: Faults{UsageAfter: 3}})
		a := e.srv.Dataset().Accounts[0]
		for i := 1; i <= 4; i++ {
			r := e.get("/" + a.ID)
			if got := r.header.Get("X-Business-Use-Case-Usage") != ""; got != (i > 3) {
				t.Errorf("call %d: header present %v", i, got)
			}
		}
	})
	t.Run("nominal budget without throttling", func(t *testing.T) {
		e := newEnv(t, Options{Media: 3})
		a := e.srv.Dataset().Accounts[0]
		var r resp
		for range 96 {
			r = e.get("/" + a.ID)
		}
		if u := buc(t, r, a.ID); u.CallCount != 2 || u.RegainMins != 0 {
			t.Errorf("usage after 96 calls: %+v", u)
		}
	})
	t.Run("app-level calls carry no BUC header", func(t *testing.T) {
		e := newEnv(t, Options{Media: 3})
		if r := e.get("/me/accounts"); r.header.Get("X-Business-Use-Case-Usage") != "" {
			t.Error("header on /me/accounts")
		}
	})
}
