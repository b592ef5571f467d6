package igfake

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// batchItem is one decoded batch answer (nil for a null operation).
type batchItem struct {
	Code    int `json:"code"`
	Headers []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"headers"`
	Body string `json:"body"`
}

func (e *env) batch(ops []map[string]string, extra url.Values, auth string) (resp, []*batchItem) {
	e.t.Helper()
	b, _ := json.Marshal(ops)
	form := url.Values{"batch": {string(b)}}
	for k, v := range extra {
		form[k] = v
	}
	r := e.do("POST", "/v23.0/", form, auth)
	var items []*batchItem
	if r.status == 200 {
		if err := json.Unmarshal(r.raw, &items); err != nil {
			e.t.Fatalf("batch answer: %v: %s", err, r.raw)
		}
	}
	return r, items
}

func insightOps(ms []*Media, metric string) []map[string]string {
	var ops []map[string]string
	for _, m := range ms {
		ops = append(ops, map[string]string{"method": "GET", "relative_url": m.ID + "/insights?metric=" + metric})
	}
	return ops
}

func TestBatch(t *testing.T) {
	e := newEnv(t, Options{Media: 120, LowViewerStories: 1})
	ds := e.srv.Dataset()
	a := ds.Accounts[0]
	auth := "Bearer " + DefaultToken
	t.Run("50 operations: order, isolation, counts", func(t *testing.T) {
		e.srv.ResetStats()
		ms := a.Media[1:51] // mixed product types: reach is valid for all, follows is not for reels
		r, items := e.batch(insightOps(ms, "follows"), nil, auth)
		if r.status != 200 || len(items) != 50 {
			t.Fatalf("%d, %d items: %.300s", r.status, len(items), r.raw)
		}
		for i, it := range items {
			m := ms[i]
			var body map[string]any
			json.Unmarshal([]byte(it.Body), &body)
			if m.MediaProductType == "REELS" {
				if it.Code != 400 || !strings.Contains(it.Body, "does not support the follows metric") {
					t.Errorf("op %d (%s): %d %s", i, m.MediaProductType, it.Code, it.Body)
				}
				continue
			}
			want, _ := ds.MediaInsight(m.ID, "follows")
			d := body["data"].([]any)[0].(map[string]any)
			if it.Code != 200 || d["id"] != m.ID+"/insights/follows/lifetime" || num(d["values"].([]any)[0].(map[string]any)["value"]) != want {
				t.Errorf("op %d: %d %s", i, it.Code, it.Body)
			}
			if len(it.Headers) == 0 || it.Headers[0].Name != "Content-Type" {
				t.Errorf("op %d headers %v", i, it.Headers)
			}
		}
		st := e.srv.Stats()
		if st.Calls != 50 || st.RoundTrips != 1 || st.ByEndpoint["GET /{media-id}/insights"] != 50 || st.ByEndpoint["POST batch"] != 1 {
			t.Errorf("stats %+v", st)
		}
		if r.header.Get("X-Business-Use-Case-Usage") == "" || r.header.Get("Facebook-Api-Version") != "v23.0" {
			t.Errorf("outer headers %v", r.header)
		}
	})
	t.Run("more than 50 operations", func(t *testing.T) {
		r, _ := e.batch(insightOps(a.Media[:51], "reach"), nil, auth)
		wantErr(t, r, 400, 100, 0, "(#100) Too many requests in batch message. Maximum batch size is 50")
	})
	t.Run("top-level token required", func(t *testing.T) {
		ops := insightOps(a.Media[1:2], "reach")
		ops[0]["relative_url"] += "&access_token=" + DefaultToken
		r, _ := e.batch(ops, nil, "")
		wantErr(t, r, 400, 104, 0, "An access token is required to request this resource.")
	})
	t.Run("token as a form field, per-op token override", func(t *testing.T) {
		ops := insightOps(a.Media[1:3], "reach")
		ops[1]["relative_url"] += "&access_token=wrong"
		r, items := e.batch(ops, url.Values{"access_token": {DefaultToken}}, "")
		if r.status != 200 || items[0].Code != 200 || items[1].Code != 400 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		var www string
		for _, h := range items[1].Headers {
			if h.Name == "WWW-Authenticate" {
				www = h.Value
			}
		}
		if !strings.HasPrefix(www, `OAuth "Facebook Platform" "invalid_token"`) {
			t.Errorf("op headers %v", items[1].Headers)
		}
	})
	t.Run("include_headers=false", func(t *testing.T) {
		_, items := e.batch(insightOps(a.Media[1:2], "reach"), url.Values{"include_headers": {"false"}}, auth)
		if items[0].Headers != nil || items[0].Code != 200 {
			t.Errorf("got %+v", items[0])
		}
		r, _ := e.batch(insightOps(a.Media[1:2], "reach"), url.Values{"include_headers": {"false"}}, auth)
		if strings.Contains(string(r.raw), `"headers"`) {
			t.Errorf("headers key present: %s", r.raw)
		}
	})
	t.Run("dependencies by name", func(t *testing.T) {
		ops := []map[string]string{
			{"method": "GET", "name": "page", "relative_url": a.ID + "/media?limit=3&fields=id"},
			{"method": "GET", "relative_url": "?ids={result=page:$.data.*.id}&fields=media_type"},
		}
		_, items := e.batch(ops, nil, auth)
		if items[1].Code != 200 || !strings.Contains(items[1].Body, a.Media[2].ID) {
			t.Errorf("got %d %s", items[1].Code, items[1].Body)
		}
	})
	t.Run("story operations, navigation as its own op, low viewers isolated", func(t *testing.T) {
		ops := []map[string]string{
			{"method": "GET", "relative_url": "v23.0/" + a.Stories[0].ID + "/insights?metric=views,reach"},
			{"method": "GET", "relative_url": a.Stories[1].ID + "/insights?metric=views,reach,replies,shares,total_interactions,follows,profile_visits"},
			{"method": "GET", "relative_url": a.Stories[1].ID + "/insights?metric=navigation&breakdown=story_navigation_action_type"},
		}
		_, items := e.batch(ops, nil, auth)
		if items[0].Code != 400 || !strings.Contains(items[0].Body, "Not enough viewers") || items[1].Code != 200 || items[2].Code != 200 {
			for _, it := range items {
				t.Logf("%d %s", it.Code, it.Body)
			}
			t.Error("unexpected answers")
		}
	})
	t.Run("malformed batch", func(t *testing.T) {
		r := e.do("POST", "/", url.Values{"batch": {"{nope"}}, auth)
		if r.status != 400 || r.err().Code != 100 {
			t.Errorf("got %d %s", r.status, r.raw)
		}
	})
}

func TestBatchNullOps(t *testing.T) {
	e := newEnv(t, Options{Media: 30, Faults: Faults{BatchNullEvery: 4}})
	a := e.srv.Dataset().Accounts[0]
	auth := "Bearer " + DefaultToken
	ops := insightOps(a.Media[1:11], "reach")
	_, items := e.batch(ops, nil, auth)
	var nulls []int
	for i, it := range items {
		if it == nil {
			nulls = append(nulls, i)
		}
	}
	if fmt.Sprint(nulls) != "[3 7]" {
		t.Fatalf("null ops %v, want [3 7]", nulls)
	}
	if st := e.srv.Stats(); st.NullOps != 2 || st.Calls != 8 {
		t.Errorf("stats %+v", st)
	}
	// Retrying the null operations succeeds, even when a retry lands on a
	// multiple of 4 again.
	var retry []map[string]string
	for _, i := range nulls {
		retry = append(retry, ops[i])
	}
	retry = append(retry, retry...)
	_, items = e.batch(retry, nil, auth)
	for i, it := range items {
		if it == nil || it.Code != 200 {
			t.Errorf("retry %d: %+v", i, it)
		}
	}
}
