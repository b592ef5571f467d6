package graph

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// A batch response cut short is retried like a transient failure; one that
// stays broken marks every operation with an error naming the endpoint.
func TestBatchTruncatedBodyRetried(t *testing.T) {
	for _, tc := range []struct {
		name      string
		badTimes  int32
		wantPosts int32
		wantErr   bool
	}{
		{"once", 1, 2, false},
		{"always", 100, DefaultMaxAttempts, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var posts atomic.Int32
			srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				n := posts.Add(1)
				_ = r.ParseForm()
				var ops []batchOp
				_ = json.Unmarshal([]byte(r.PostForm.Get("batch")), &ops)
				out := make([]any, len(ops))
				for i, op := range ops {
					b, _ := json.Marshal(map[string]string{"rel": op.RelativeURL})
					out[i] = map[string]any{"code": 200, "body": string(b)}
				}
				body, _ := json.Marshal(out)
				if n <= tc.badTimes {
					body = body[:len(body)/2]
				}
				w.WriteHeader(200)
				_, _ = w.Write(body)
			})
			c, _ := newTestClient(t, srv, nil)
			res, err := c.Batch(context.Background(), reqsN(3))
			if got := posts.Load(); got != tc.wantPosts {
				t.Errorf("%d POSTs, want %d", got, tc.wantPosts)
			}
			if err != nil {
				t.Fatalf("Batch: %v", err)
			}
			for i, r := range res {
				if tc.wantErr {
					if r.Err == nil || !strings.Contains(r.Err.Error(), "malformed response") || !strings.Contains(r.Err.Error(), batchEndpoint) {
						t.Errorf("op %d: %v", i, r.Err)
					}
					continue
				}
				if r.Err != nil || !strings.Contains(string(r.Body), "rel") {
					t.Errorf("op %d: %s %v", i, r.Body, r.Err)
				}
			}
		})
	}
}

// A list page cut short is fetched again; a page whose JSON has the wrong
// shape fails at once.
func TestPagesTruncatedPageRetried(t *testing.T) {
	var n atomic.Int32
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			w.WriteHeader(200)
			_, _ = w.Write([]byte(`{"data":[{"id":"1"},{"id":`))
		default:
			writeJSON(w, 200, map[string]any{"data": []map[string]string{{"id": "1"}, {"id": "2"}}})
		}
	})
	c, _ := newTestClient(t, srv, nil)
	pages := 0
	err := rawPages(c, context.Background(), "/17841400000000001/media", nil, func(data json.RawMessage) error {
		pages++
		return nil
	})
	if err != nil || pages != 1 || n.Load() != 2 {
		t.Fatalf("err %v, %d pages, %d requests", err, pages, n.Load())
	}

	srv2, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"data": "not a list"})
	})
	c2, _ := newTestClient(t, srv2, nil)
	err = rawPages(c2, context.Background(), "/17841400000000001/media", nil, func(json.RawMessage) error { return nil })
	var se *json.SyntaxError
	if err == nil || errors.As(err, &se) || !strings.Contains(err.Error(), "/17841400000000001/media") {
		t.Fatalf("wrong shape: %v", err)
	}
	if c2.Stats().RoundTrips != 1 {
		t.Errorf("a page of the wrong shape was fetched %d times", c2.Stats().RoundTrips)
	}
}
