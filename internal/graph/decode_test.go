package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestBatchDecode: with Request.Decode, each successful plain body is
// handed to Decode (its result is Value, in request order across POSTs
// and retries, Body nil), a Decode error is that operation's Err, an
// operation's API error stays an *Error without Decode running, and a
// body that is not a plain object comes in Body as without Decode.
// The same holds when the host refuses batch requests (single GETs).
func TestBatchDecode(t *testing.T) {
	respond := func(rel string, n int) any {
		switch {
		case strings.HasPrefix(rel, "m3/"):
			return opResult(400, graphErr(100, 0, "Invalid parameter", false))
		case strings.HasPrefix(rel, "m4/"):
			return map[string]any{"code": 200, "body": `["a",1]`}
		case strings.HasPrefix(rel, "m5/"):
			return map[string]any{"code": 200, "body": `{"bad":true}`}
		case strings.HasPrefix(rel, "m6/") && n == 0:
			return nil // null: retried in a follow-up batch
		case strings.HasPrefix(rel, "m7/"):
			return map[string]any{"code": 200, "body": `{"a":"\u00e9\"x\\"}`}
		}
		return echo(rel, n)
	}
	bad := errors.New("bad body")
	decode := func(body []byte) (any, error) {
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			return nil, err
		}
		if v["bad"] == true {
			return nil, bad
		}
		if a, ok := v["a"]; ok {
			return a, nil
		}
		return v["rel"], nil
	}
	check := func(t *testing.T, res []Response) {
		t.Helper()
		for i, r := range res {
			switch i {
			case 3:
				var ae *Error
				if !errors.As(r.Err, &ae) || r.Decoded() {
					t.Errorf("op 3: %v (decoded %v), want the API error", r.Err, r.Decoded())
				}
			case 4:
				if r.Decoded() || strings.TrimSpace(string(r.Body)) != `["a",1]` || r.Err != nil {
					t.Errorf("op 4: decoded %v body %s err %v, want the body", r.Decoded(), r.Body, r.Err)
				}
			case 5:
				if !r.Decoded() || !errors.Is(r.Err, bad) {
					t.Errorf("op 5: decoded %v err %v, want Decode's error", r.Decoded(), r.Err)
				}
			case 7:
				if !r.Decoded() || r.Value != "é\"x\\" || r.Body != nil {
					t.Errorf("op 7: decoded %v value %q body %s", r.Decoded(), r.Value, r.Body)
				}
			default:
				want := fmt.Sprintf("m%d/insights?metric=reach%%2Cviews", i)
				if !r.Decoded() || r.Err != nil || r.Value != want || r.Body != nil {
					t.Errorf("op %d: decoded %v value %v err %v body %s, want %q", i, r.Decoded(), r.Value, r.Err, r.Body, want)
				}
			}
		}
	}
	reqs := reqsN(120)
	for i := range reqs {
		reqs[i].Decode = decode
	}
	t.Run("batch", func(t *testing.T) {
		_, _, base := newBatchServer(t, respond, nil)
		c, _ := clientFor(t, base, nil)
		res, err := c.Batch(context.Background(), reqs)
		if err != nil {
			t.Fatal(err)
		}
		check(t, res)
	})
	t.Run("single GETs", func(t *testing.T) {
		srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			rel := strings.TrimPrefix(r.URL.Path, "/v23.0/") + "?" + r.URL.RawQuery
			switch {
			case r.Method == http.MethodPost:
				writeJSON(w, 400, graphErr(100, 33, "Unsupported post request. Object with ID 'v23.0' does not exist", false))
			case strings.HasPrefix(rel, "m3/"):
				writeJSON(w, 400, graphErr(100, 0, "Invalid parameter", false))
			case strings.HasPrefix(rel, "m4/"):
				writeJSON(w, 200, []any{"a", 1})
			case strings.HasPrefix(rel, "m5/"):
				writeJSON(w, 200, map[string]bool{"bad": true})
			case strings.HasPrefix(rel, "m7/"):
				writeJSON(w, 200, map[string]string{"a": "é\"x\\"})
			default:
				writeJSON(w, 200, map[string]string{"rel": rel})
			}
		})
		c, _ := newTestClient(t, srv, func(o *Options) { o.Batch = &BatchSupport{} })
		res, err := c.Batch(context.Background(), reqs[:10])
		if err != nil {
			t.Fatal(err)
		}
		check(t, res)
	})
}
