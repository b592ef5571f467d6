package graph

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// TestPageNext: a list continued from a paging.next URL a response gave
// (a batch operation's body, a nested list) is followed to its end with the
// token in the header only, never in the query; a next URL on another
// origin is refused before anything is sent.
func TestPageNext(t *testing.T) {
	srv, rc := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("after") == "2" {
			_, _ = w.Write([]byte(`{"data":[{"id":"3"}]}`))
			return
		}
		_, _ = w.Write([]byte(`{"data":[{"id":"2"}],"paging":{"next":"http://` + r.Host + `/v23.0/c1/replies?limit=1&after=2&access_token=leaked"}}`))
	})
	c, _ := newTestClient(t, srv, nil)
	var ids []string
	err := c.PageNext(context.Background(), "/c1/replies", srv.URL+"/v23.0/c1/replies?limit=1&after=1&access_token=leaked",
		func(items []*fastjson.Value) error {
			for _, it := range items {
				ids = append(ids, string(it.GetStringBytes("id")))
			}
			return nil
		})
	if err != nil || strings.Join(ids, ",") != "2,3" {
		t.Fatalf("ids %v, err %v", ids, err)
	}
	reqs := rc.Requests()
	if len(reqs) != 2 || c.Stats().Calls != 2 {
		t.Fatalf("%d requests, %d calls", len(reqs), c.Stats().Calls)
	}
	for _, r := range reqs {
		if r.Query.Has("access_token") || r.Auth == "" || r.Path != "/v23.0/c1/replies" {
			t.Errorf("request %+v: the token must travel in the header only", r)
		}
	}

	err = c.PageNext(context.Background(), "/c1/replies", "https://evil.example.com/v23.0/c1/replies?after=1", func([]*fastjson.Value) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "evil.example.com") || len(rc.Requests()) != 2 {
		t.Fatalf("another origin: err %v, %d requests", err, len(rc.Requests()))
	}
}
