package graph

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

func TestPagesFollowsNext(t *testing.T) {
	proof := AppSecretProof(testSecret, testToken)
	var base string
	srv, rc := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch q.Get("after") {
		case "":
			// The API repeats the query, token and a stale proof in next.
			writeJSON(w, 200, map[string]any{"data": []map[string]string{{"id": "1"}, {"id": "2"}},
				"paging": map[string]any{"cursors": map[string]string{"after": "A"},
					"next": base + "/v23.0/1784/media?fields=id&limit=" + q.Get("limit") + "&after=A&access_token=" + testToken + "&appsecret_proof=stale"}})
		case "A": // empty page that still has next
			writeJSON(w, 200, map[string]any{"data": []any{},
				"paging": map[string]any{"next": base + "/v23.0/1784/media?fields=id&limit=" + q.Get("limit") + "&after=B"}})
		case "B": // last page: an after cursor but no next
			writeJSON(w, 200, map[string]any{"data": []map[string]string{{"id": "3"}},
				"paging": map[string]any{"cursors": map[string]string{"after": "C"}}})
		default:
			writeJSON(w, 400, graphErr(100, 0, "bad cursor", false))
		}
	})
	base = srv.URL
	for _, tc := range []struct {
		name      string
		params    url.Values
		wantLimit string
	}{
		{"default limit", url.Values{"fields": {"id"}}, "100"},
		{"caller limit kept", url.Values{"fields": {"id"}, "limit": {"25"}}, "25"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc.mu.Lock()
			rc.reqs = nil
			rc.mu.Unlock()
			c, _ := newTestClient(t, srv, func(o *Options) { o.AppSecret = testSecret })
			var ids []string
			pages := 0
			err := rawPages(c, context.Background(), "/1784/media", tc.params, func(data json.RawMessage) error {
				pages++
				var items []struct{ ID string }
				if err := json.Unmarshal(data, &items); err != nil {
					return err
				}
				for _, it := range items {
					ids = append(ids, it.ID)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(ids, ",") != "1,2,3" || pages != 3 {
				t.Fatalf("ids %v pages %d", ids, pages)
			}
			reqs := rc.Requests()
			if len(reqs) != 3 {
				t.Fatalf("%d requests", len(reqs))
			}
			for i, r := range reqs {
				if r.Auth != "Bearer "+testToken {
					t.Errorf("req %d: Authorization %q", i, r.Auth)
				}
				if _, ok := r.Query["access_token"]; ok || strings.Contains(r.RawQuery, testToken) {
					t.Errorf("req %d: token in query %q", i, r.RawQuery)
				}
				if got := r.Query["appsecret_proof"]; len(got) != 1 || got[0] != proof {
					t.Errorf("req %d: appsecret_proof %v", i, got)
				}
				if r.Query.Get("limit") != tc.wantLimit {
					t.Errorf("req %d: limit %q", i, r.Query.Get("limit"))
				}
			}
			if s := c.Stats(); s.Calls != 3 || s.RoundTrips != 3 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func TestPagesErrors(t *testing.T) {
	var base string
	pages := map[string]string{
		"other-host":  `{"data":[],"paging":{"next":"https://evil.example.com/v23.0/x?after=1"}}`,
		"other-port":  `{"data":[],"paging":{"next":"http://127.0.0.1:1/v23.0/x?after=1"}}`,
		"loop-self":   `{"data":[],"paging":{"next":"BASE/v23.0/loop-self?limit=100&access_token=t"}}`,
		"no-data":     `{"paging":{}}`,
		"data-object": `{"data":{"id":"1"}}`,
		"data-null":   `{"data":null}`,
		"next-number": `{"data":[],"paging":{"next":42}}`,
		"paging-text": `{"data":[],"paging":"next"}`,
		"html":        `<html>hi</html>`,
		"bad-next":    `{"data":[],"paging":{"next":"http://[::1"}}`,
	}
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/v23.0/")
		if name == "loop-two" {
			after := "X"
			if r.URL.Query().Get("after") == "X" {
				after = "Y"
			}
			if r.URL.Query().Get("after") == "Y" {
				after = "X"
			}
			_, _ = w.Write([]byte(`{"data":[1],"paging":{"next":"` + base + `/v23.0/loop-two?limit=100&after=` + after + `"}}`))
			return
		}
		_, _ = w.Write([]byte(strings.ReplaceAll(pages[name], "BASE", base)))
	})
	base = srv.URL
	for _, tc := range []struct{ name, want string }{
		{"other-host", "evil.example.com"},
		{"other-port", "not the Graph API host"},
		{"loop-self", "paging loop"},
		{"loop-two", "paging loop"},
		{"no-data", `"data" is missing`},
		{"data-object", `"data" is missing or not an array`},
		{"data-null", `"data" is missing or not an array`},
		{"next-number", "paging.next is a JSON number, not a string"},
		{"paging-text", "paging is a JSON string, not an object"},
		{"html", "malformed response"},
		{"bad-next", "not a valid URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newTestClient(t, srv, nil)
			err := rawPages(c, context.Background(), "/"+tc.name, nil, func(json.RawMessage) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "/"+tc.name) {
				t.Fatalf("err = %v, want %q and the endpoint", err, tc.want)
			}
		})
	}
}

func TestPagesCallbackError(t *testing.T) {
	srv, rc := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"data":[1],"paging":{"next":"` + "http://" + r.Host + `/v23.0/x?after=2"}}`))
	})
	c, _ := newTestClient(t, srv, nil)
	stop := errors.New("stop")
	if err := rawPages(c, context.Background(), "/x", nil, func(json.RawMessage) error { return stop }); err != stop {
		t.Fatalf("err = %v", err)
	}
	if n := len(rc.Requests()); n != 1 {
		t.Fatalf("%d requests", n)
	}
}

// TestPagesDataIsPassedAsSent checks that the data array handed to the
// callback decodes to what the API sent: escapes, unicode, numbers and
// nesting survive the page split.
func TestPagesDataIsPassedAsSent(t *testing.T) {
	const data = `[{"id":"1","caption":"say \"hi\" \u00e9\u2600\ufe0f \/ \\ \n end","n":-1.5e3,"ok":true,"x":null,"children":{"data":[{"id":"2"}]}}]`
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"data":` + data + `,"paging":{"cursors":{"after":"A"}}}`))
	})
	c, _ := newTestClient(t, srv, nil)
	var got, want any
	if err := json.Unmarshal([]byte(data), &want); err != nil {
		t.Fatal(err)
	}
	err := rawPages(c, context.Background(), "/1784/media", nil, func(d json.RawMessage) error {
		return json.Unmarshal(d, &got)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("data = %#v\nwant %#v", got, want)
	}
}

// rawPages is PageItems with each page's data array as raw JSON, the view the
// paging tests compare.
func rawPages(c *Client, ctx context.Context, path string, params url.Values, fn func(data json.RawMessage) error) error {
	return c.PageItems(ctx, path, params, func(items []*fastjson.Value) error {
		data := []byte{'['}
		for i, it := range items {
			if i > 0 {
				data = append(data, ',')
			}
			data = it.MarshalTo(data)
		}
		return fn(append(data, ']'))
	})
}
