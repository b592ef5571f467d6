package igfake

import (
	"encoding/json"
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
