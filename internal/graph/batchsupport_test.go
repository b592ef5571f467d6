package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// TestBatchFallbackToSingles: a host that refuses batch POSTs (400, code
// 100) gets one refused POST per BatchSupport, then single GETs with the
// same responses, per-op errors isolated; concurrent Batch calls wait for
// the probe; the refused POST counts a round trip and no call.
func TestBatchFallbackToSingles(t *testing.T) {
	srv, rc := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost:
			writeJSON(w, 400, graphErr(100, 33, "Unsupported post request. Object with ID 'v23.0' does not exist", false))
		case strings.HasPrefix(r.URL.Path, "/v23.0/m13/"):
			writeJSON(w, 400, graphErr(100, 33, "Unsupported get request.", false))
		default:
			writeJSON(w, 200, map[string]string{"rel": strings.TrimPrefix(r.URL.Path, "/v23.0/") + "?" + r.URL.RawQuery})
		}
	})
	sup := &BatchSupport{}
	lim := NewLimiter(3)
	clients := make([]*Client, 3)
	for i := range clients {
		clients[i], _ = newTestClient(t, srv, func(o *Options) { o.Batch = sup; o.Limiter = lim })
	}
	var wg sync.WaitGroup
	results := make([][]Response, len(clients))
	errs := make([]error, len(clients))
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = c.Batch(context.Background(), reqsN(60))
		}()
	}
	wg.Wait()
	posts, gets := 0, 0
	for _, r := range rc.Requests() {
		if r.Method == http.MethodPost {
			posts++
		} else {
			gets++
		}
	}
	if posts != 1 || gets != 180 || !sup.Unsupported() {
		t.Fatalf("%d POSTs, %d GETs, unsupported %v: want 1 refused POST and 180 GETs", posts, gets, sup.Unsupported())
	}
	var calls, trips int64
	for i, c := range clients {
		if errs[i] != nil {
			t.Fatalf("client %d: %v", i, errs[i])
		}
		for j, r := range results[i] {
			var ae *Error
			if j == 13 {
				if !errors.As(r.Err, &ae) || ae.Code != 100 || ae.Subcode != 33 {
					t.Errorf("client %d op 13: %v, want its own 100/33", i, r.Err)
				}
				continue
			}
			var body struct{ Rel string }
			if r.Err != nil || json.Unmarshal(r.Body, &body) != nil || body.Rel != fmt.Sprintf("m%d/insights?metric=reach%%2Cviews", j) {
				t.Errorf("client %d op %d: %v %s", i, j, r.Err, r.Body)
			}
		}
		s := c.Stats()
		calls += s.Calls
		trips += s.RoundTrips
	}
	if calls != 180 || trips != 181 {
		t.Errorf("calls %d, round trips %d: want 180 and 181 (the refused POST)", calls, trips)
	}
}

// TestBatchSupported: a host that answers the probe marks the support
// known, and a refusal that is about the token is not a lack of support.
func TestBatchSupported(t *testing.T) {
	bs, _, base := newBatchServer(t, echo, nil)
	sup := &BatchSupport{}
	c, _ := clientFor(t, base, func(o *Options) { o.Batch = sup })
	if _, err := c.Batch(context.Background(), reqsN(70)); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(bs.Sizes()); got != "[20 50]" || sup.Unsupported() {
		t.Errorf("batch sizes %s, unsupported %v", got, sup.Unsupported())
	}
	for _, tc := range []struct {
		err  *Error
		want bool
	}{
		{&Error{HTTPStatus: 400, Code: 100, Subcode: 33, Endpoint: batchEndpoint}, true},
		{&Error{HTTPStatus: 400, Code: 2500, Endpoint: batchEndpoint}, true},
		{&Error{HTTPStatus: 404, Type: TypeMalformedResponse, Endpoint: batchEndpoint}, true},
		{&Error{HTTPStatus: 400, Code: 190, Endpoint: batchEndpoint}, false},
		{&Error{HTTPStatus: 400, Code: 100, Message: "Invalid appsecret_proof provided", Endpoint: batchEndpoint}, false},
		{&Error{HTTPStatus: 500, Code: 2, Endpoint: batchEndpoint}, false},
		{&Error{HTTPStatus: 400, Code: 100, Endpoint: "/m1/insights"}, false},
	} {
		if got := batchUnsupported(tc.err); got != tc.want {
			t.Errorf("batchUnsupported(%v) = %v", tc.err, got)
		}
	}
}

// TestSinglesStopOnInvalidToken: on a host without batch support, an
// invalid token stops the single requests as it stops a batch POST: the
// call fails with the token error and no further GET goes out with it.
func TestSinglesStopOnInvalidToken(t *testing.T) {
	srv, rc := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			writeJSON(w, 400, graphErr(100, 33, "Unsupported post request.", false))
			return
		}
		writeJSON(w, 400, graphErr(190, 460, "Error validating access token: the session has been invalidated", false))
	})
	c, _ := newTestClient(t, srv, func(o *Options) { o.Batch = &BatchSupport{}; o.Limiter = NewLimiter(1) })
	out, err := c.Batch(context.Background(), reqsN(20))
	var ae *Error
	if !errors.As(err, &ae) || !ae.TokenInvalid() {
		t.Fatalf("Batch error %v, want the token error", err)
	}
	for i, r := range out {
		if !errors.As(r.Err, &ae) || !ae.TokenInvalid() {
			t.Errorf("op %d: %v, want the token error", i, r.Err)
		}
	}
	if n := len(rc.Requests()); n != 2 {
		t.Errorf("%d requests, want 2 (the refused POST, one GET)", n)
	}
}
