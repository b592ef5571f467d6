package graph

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unsafe"
)

// referenceBatchBody is the body as url.Values and encoding/json build it:
// what the hand-built body must equal byte for byte.
func referenceBatchBody(t *testing.T, reqs []Request, token, proof string) string {
	t.Helper()
	var ops []batchOp
	for _, rq := range reqs {
		p, q := splitPath(rq.Path, rq.Params)
		q.Del("appsecret_proof")
		rel := strings.TrimPrefix(p, "/")
		if len(q) > 0 {
			rel += "?" + q.Encode()
		}
		ops = append(ops, batchOp{Method: "GET", RelativeURL: rel})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ops); err != nil {
		t.Fatal(err)
	}
	form := url.Values{}
	form.Set("batch", strings.TrimSpace(buf.String()))
	form.Set("include_headers", "false")
	form.Set("access_token", token)
	if proof != "" {
		form.Set("appsecret_proof", proof)
	}
	return form.Encode()
}

// TestBatchBody: the batch POST body and each operation's relative_url
// are the bytes url.Values and encoding/json make of the same requests:
// sorted keys, several values of a key, escaping (spaces, "&", "=",
// non-ASCII, quotes, control characters, "<>" left as is in the JSON), a
// version segment, a path without "/", a "?query" merged under the
// params, and the token and proof dropped from the operations.
func TestBatchBody(t *testing.T) {
	tests := []struct {
		name         string
		reqs         []Request
		token, proof string
	}{
		{name: "insights", token: "EAAB tok/en+=", reqs: []Request{
			{Path: "/17890000000000001/insights", Params: url.Values{"metric": {"reach,views"}, "period": {"day"}, "since": {"1700000000"}, "until": {"1700086400"}}},
			{Path: "17890000000000002/insights", Params: url.Values{"metric": {"total_interactions"}, "metric_type": {"total_value"}, "breakdown": {"media_product_type"}}},
		}},
		{name: "no params and a version", token: "t", proof: "abc123", reqs: []Request{
			{Path: "/v23.0/1789"},
			{Path: "/v23.0"},
			{Path: "/1789", Params: url.Values{}},
		}},
		{name: "token and proof in params are dropped", token: "t", proof: "p", reqs: []Request{
			{Path: "/1789/insights", Params: url.Values{"access_token": {"secret"}, "appsecret_proof": {"x"}, "metric": {"reach"}}},
			{Path: "/1789", Params: url.Values{"access_token": {"secret"}}},
		}},
		{name: "escaping", token: "ü t", reqs: []Request{
			{Path: "/1789/insights", Params: url.Values{"fields": {`a "b" <c>&d=e é ~_.-`, "second value"}, "z": {""}, "a b": {"\x01\n\t"}}},
			{Path: "/17 89/é\"\\", Params: url.Values{"x": {"\u2028"}}},
		}},
		{name: "query in the path", token: "t", reqs: []Request{
			{Path: "/1789/insights?metric=reach&period=day", Params: url.Values{"metric": {"views"}}},
			{Path: "/v23.0/1789?fields=id&access_token=x"},
		}},
		{name: "empty value list", token: "t", reqs: []Request{
			{Path: "/1789", Params: url.Values{"fields": nil}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ops []batchOp
			for _, rq := range tt.reqs {
				p, rel := relativeURL(rq)
				wantP, _ := splitPath(rq.Path, rq.Params)
				if p != wantP {
					t.Errorf("endpoint of %q = %q, want %q", rq.Path, p, wantP)
				}
				ops = append(ops, batchOp{Method: "GET", RelativeURL: rel})
			}
			body := batchBody(ops, tt.token, tt.proof)
			if len(body) != cap(body) {
				t.Errorf("body of %d bytes allocated for %d", len(body), cap(body))
			}
			got := string(body)
			if want := referenceBatchBody(t, tt.reqs, tt.token, tt.proof); got != want {
				t.Errorf("body\n got %s\nwant %s", got, want)
			}
			if _, err := url.ParseQuery(got); err != nil {
				t.Errorf("body does not parse as a form: %v", err)
			}
		})
	}
}

// TestBatchBodyAllocs: an operation's relative_url is one allocation (the
// string), a POST body one plus the operations' (none when every path is
// plain ASCII).
func TestBatchBodyAllocs(t *testing.T) {
	rq := Request{Path: "/17890000000000001/insights", Params: url.Values{"metric": {"reach,views,total_interactions"}, "period": {"day"},
		"metric_type": {"total_value"}, "since": {"1700000000"}, "until": {"1700086399"}, "breakdown": {"media_product_type"}}}
	if n := testing.AllocsPerRun(100, func() { relativeURL(rq) }); n > 1 {
		t.Errorf("relativeURL: %v allocations, want 1", n)
	}
	_, rel := relativeURL(rq)
	ops := make([]batchOp, MaxBatchOps)
	for i := range ops {
		ops[i] = batchOp{Method: "GET", RelativeURL: rel}
	}
	if n := testing.AllocsPerRun(100, func() { batchBody(ops, "token", "proof") }); n > 1 {
		t.Errorf("batchBody: %v allocations, want 1", n)
	}
}

// TestRelativeURLKeepsEncodedPath: a path whose query is already in
// url.Values.Encode's form is the relative_url as it is (the caller's
// string, not a copy); one that is not is encoded.
func TestRelativeURLKeepsEncodedPath(t *testing.T) {
	q := url.Values{"metric": {"reach,views"}, "period": {"day"}, "since": {"1700000000"}}
	path := "/1789/insights?" + q.Encode()
	_, rel := relativeURL(Request{Path: path})
	_, want := relativeURL(Request{Path: "/1789/insights", Params: q})
	if rel != want {
		t.Fatalf("relative_url %q, want %q", rel, want)
	}
	if unsafe.StringData(rel) != unsafe.StringData(path[1:]) {
		t.Errorf("relative_url is a copy of the path")
	}
	if _, rel := relativeURL(Request{Path: "/1789/insights?period=day&metric=reach"}); rel != "1789/insights?metric=reach&period=day" {
		t.Errorf("unsorted query: relative_url %q", rel)
	}
}
