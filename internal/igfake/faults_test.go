package igfake

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

func TestServerErrorBursts(t *testing.T) {
	e := newEnv(t, Options{Media: 3, Faults: Faults{ServerErrorEvery: 5, ServerErrorBurst: 2}})
	a := e.srv.Dataset().Accounts[0]
	var got []int
	for range 12 {
		got = append(got, e.get("/"+a.ID).status)
	}
	want := []int{200, 200, 200, 200, 500, 500, 200, 200, 200, 500, 500, 200}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v, want %v", got, want)
		}
	}
	r := e.get("/" + a.ID) // round trip 13: fine
	_ = r
	e.get("/" + a.ID)
	r = e.get("/" + a.ID) // 15: error
	er := r.err()
	if r.status != 500 || er.Code != 2 || er.Transient == nil || !*er.Transient ||
		er.Message != "An unexpected error has occurred. Please retry your request later." {
		t.Errorf("got %d %s", r.status, r.raw)
	}
	if st := e.srv.Stats(); st.Faults != 5 || st.Calls != 10 || st.RoundTrips != 15 {
		t.Errorf("stats %+v", st)
	}
}

func TestConnectionReset(t *testing.T) {
	e := newEnv(t, Options{Media: 3, Faults: Faults{ResetEvery: 2}})
	a := e.srv.Dataset().Accounts[0]
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	for i := 1; i <= 4; i++ {
		req, _ := http.NewRequest("GET", e.ts.URL+"/"+a.ID, nil)
		req.Header.Set("Authorization", "Bearer "+DefaultToken)
		res, err := c.Do(req)
		if i%2 == 0 {
			if err == nil {
				res.Body.Close()
				t.Errorf("round trip %d: got %d, want a transport error", i, res.StatusCode)
			}
			continue
		}
		if err != nil {
			t.Fatalf("round trip %d: %v", i, err)
		}
		res.Body.Close()
	}
}

func TestSlowResponses(t *testing.T) {
	e := newEnv(t, Options{Media: 3, Faults: Faults{SlowEvery: 2, SlowDelay: 150 * time.Millisecond}})
	a := e.srv.Dataset().Accounts[0]
	var d []time.Duration
	for range 2 {
		start := time.Now()
		e.get("/" + a.ID)
		d = append(d, time.Since(start))
	}
	if d[0] > 100*time.Millisecond || d[1] < 150*time.Millisecond {
		t.Errorf("durations %v", d)
	}
}

func TestLatency(t *testing.T) {
	e := newEnv(t, Options{Media: 3, Latency: 60 * time.Millisecond})
	start := time.Now()
	e.get("/me")
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Errorf("took %v", d)
	}
}

func TestMalformedBodies(t *testing.T) {
	e := newEnv(t, Options{Media: 3, Faults: Faults{MalformedEvery: 3}})
	a := e.srv.Dataset().Accounts[0]
	for i := 1; i <= 6; i++ {
		r := e.get("/" + a.ID + "?fields=id,username,biography")
		valid := json.Valid(r.raw)
		if r.status != 200 || valid == (i%3 == 0) {
			t.Errorf("round trip %d: %d valid=%v %s", i, r.status, valid, r.raw)
		}
	}
	if st := e.srv.Stats(); st.Faults != 2 {
		t.Errorf("faults %d", st.Faults)
	}
}

// TestConcurrentUse hammers every path from many goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t, Options{Accounts: 2, Media: 50, Faults: Faults{ThrottleAfter: 150, ServerErrorEvery: 7, BatchNullEvery: 5}})
	ds := e.srv.Dataset()
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			a := ds.Accounts[g%2]
			for i := range 15 {
				switch i % 3 {
				case 0:
					e.get("/" + a.ID + "/media?fields=id,children{id}&limit=20")
				case 1:
					e.get("/" + a.Media[i].ID + "/insights?metric=reach")
				default:
					e.batch(insightOps(a.Media[:10], "reach"), nil, "Bearer "+DefaultToken)
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
	if st := e.srv.Stats(); st.RoundTrips != 120 {
		t.Errorf("round trips %d", st.RoundTrips)
	}
}

// rawGet sends an authenticated GET without following redirects and
// returns the response with its body unread.
func rawGet(t *testing.T, ctx context.Context, e *env, path string) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.srv.Options().Token)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func TestRedirectFault(t *testing.T) {
	e := newEnv(t, Options{Media: 3, Faults: Faults{RedirectEvery: 2, RedirectTo: "http://127.0.0.1:9"}})
	a := e.srv.Dataset().Accounts[0]
	if res := rawGet(t, context.Background(), e, "/v23.0/"+a.ID+"?fields=id"); res.StatusCode != 200 {
		t.Fatalf("round trip 1: %d", res.StatusCode)
	}
	res := rawGet(t, context.Background(), e, "/v23.0/"+a.ID+"?fields=id&appsecret_proof=p")
	if loc := res.Header.Get("Location"); res.StatusCode != 307 || loc != "http://127.0.0.1:9/v23.0/"+a.ID+"?fields=id&appsecret_proof=p" {
		t.Fatalf("round trip 2: %d Location %q", res.StatusCode, loc)
	}
	if st := e.srv.Stats(); st.Faults != 1 || st.Calls != 1 || st.RoundTrips != 2 {
		t.Errorf("stats %+v", st)
	}
}

// waitForMore reports whether more of body arrives before ctx ends.
func waitForMore(ctx context.Context, body io.Reader) bool {
	got := make(chan bool, 1)
	go func() {
		n, _ := body.Read(make([]byte, 1))
		got <- n > 0
	}()
	select {
	case ok := <-got:
		return ok
	case <-ctx.Done():
		return false
	}
}

func TestStallFault(t *testing.T) {
	e := newEnv(t, Options{Media: 3, Faults: Faults{StallEvery: 1}})
	a := e.srv.Dataset().Accounts[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := rawGet(t, ctx, e, "/"+a.ID+"?fields=id,username")
	if res.StatusCode != 200 || res.ContentLength <= 0 {
		t.Fatalf("%d, Content-Length %d", res.StatusCode, res.ContentLength)
	}
	half := make([]byte, res.ContentLength/2)
	if _, err := io.ReadFull(res.Body, half); err != nil {
		t.Fatalf("the first half did not come: %v", err)
	}
	// The rest never comes; this waits a little to see that nothing does
	// (a slow machine cannot make anything arrive).
	wctx, wcancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer wcancel()
	if waitForMore(wctx, res.Body) {
		t.Fatal("more of the body came after the stall")
	}
	if st := e.srv.Stats(); st.Faults != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestTrickleFault(t *testing.T) {
	e := newEnv(t, Options{Media: 3, Faults: Faults{TrickleEvery: 1, TrickleInterval: time.Millisecond}})
	a := e.srv.Dataset().Accounts[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := rawGet(t, ctx, e, "/"+a.ID)
	buf := make([]byte, 5)
	if _, err := io.ReadFull(res.Body, buf); err != nil || string(buf) != "     " {
		t.Fatalf("body %q, %v", buf, err)
	}
	if st := e.srv.Stats(); st.Faults != 1 || st.Calls != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestEndlessPagesFault(t *testing.T) {
	e := newEnv(t, Options{Accounts: 2, Media: 3, Faults: Faults{EndlessPages: true}})
	a := e.srv.Dataset().Accounts[0]
	for _, path := range []string{"/me/accounts?fields=id", "/" + a.ID + "/media?fields=id", "/" + a.ID + "/stories"} {
		seen := map[string]bool{}
		next := e.ts.URL + path
		for range 4 {
			r := e.mustGet(next)
			if len(r.data()) != 0 {
				t.Fatalf("%s: data %s", path, r.raw)
			}
			next, _ = r.body["paging"].(map[string]any)["next"].(string)
			if next == "" || seen[next] {
				t.Fatalf("%s: next %q (seen before: %v)", path, next, seen[next])
			}
			seen[next] = true
		}
	}
}

func TestDropIDsFault(t *testing.T) {
	e := newEnv(t, Options{Media: 11, Faults: Faults{DropIDs: []string{"media", "child", "ig-user"}}})
	a := e.srv.Dataset().Accounts[0]
	r := e.mustGet("/" + a.ID + "/media?fields=id,caption,children{id,media_type}")
	for i, m := range r.data() {
		if _, ok := m["id"]; ok {
			t.Errorf("media %d has an id: %v", i, m)
		}
		if ch, ok := m["children"].(map[string]any); ok {
			for _, c := range ch["data"].([]any) {
				if _, ok := c.(map[string]any)["id"]; ok {
					t.Errorf("child of media %d has an id", i)
				}
			}
		}
	}
	if p := e.mustGet("/" + a.ID + "?fields=id,username"); p.body["id"] != nil || p.body["username"] != a.Username {
		t.Errorf("profile %s", p.raw)
	}
	st := e.mustGet("/" + a.ID + "/stories?fields=id")
	if len(st.data()) == 0 || st.data()[0]["id"] == nil {
		t.Errorf("stories lost their id too: %s", st.raw)
	}
}
