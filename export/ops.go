package export

import (
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/igexport/igexport/internal/graph"
	"github.com/igexport/igexport/internal/schema"
)

// Requests as data. Each stream has a pure function that lists the
// operations it sends for an account (usersOps, listOps, mediaInsightOps,
// storyInsightOps, lifetimeOps, seriesOps and totalOps of user_insights):
// apply executes what they return, plan counts it (countOps). Where the
// list depends on something only apply sees (the media, the live stories,
// the account's day boundary), plan calls the same function with its
// estimate of that input, so the two cannot drift.

// sendKind says how an Op goes over the wire.
type sendKind int

const (
	sendGet   sendKind = iota // one GET
	sendPages                 // a list, followed page by page
	sendBatch                 // one operation of a Graph batch (≤ graph.MaxBatchOps a POST)
)

// Op is one request of a stream.
type Op struct {
	Path string
	// Params are the query parameters, "metric" and "breakdown" aside
	// (request adds them from Metrics and Breakdown).
	Params url.Values
	Send   sendKind
	// Pages is how many pages a sendPages op is expected to take.
	Pages int64
	// Batch numbers the batch call a sendBatch op is sent in: the ops of
	// one call share its POSTs.
	Batch int

	// Metrics and Breakdown of an insights op (the engine drops metrics
	// the API rejects and sends the op again without them).
	Metrics   []string
	Breakdown string
	// Item is the index of the object an insights op is about.
	Item int
	// Day is the one day a user_insights total_value op covers; Span the
	// days any user_insights op covers.
	Day  *schema.Date
	Span [2]schema.Date
}

// request is the op as the graph client sends it.
func (o Op) request() graph.Request {
	q := make(url.Values, len(o.Params)+2)
	for k, v := range o.Params {
		q[k] = v
	}
	if len(o.Metrics) > 0 {
		q.Set("metric", strings.Join(o.Metrics, ","))
	}
	if o.Breakdown != "" {
		q.Set("breakdown", o.Breakdown)
	}
	return graph.Request{Path: o.Path, Params: q}
}

// compactRequest is request with the whole query in the path: one string
// instead of a map per operation while a batch call is in flight. The
// query is that of the graph client's splitPath (Params over the path's
// query) in url.Values.Encode's order and escaping, as the client encodes
// a relative_url: the same request.
func (o Op) compactRequest() graph.Request {
	rq := o.request()
	base, raw, hasQuery := strings.Cut(rq.Path, "?")
	if len(rq.Params) == 0 {
		return rq
	}
	q := rq.Params // request's own map
	if hasQuery {
		extra, err := url.ParseQuery(raw)
		if err != nil {
			return rq
		}
		for k, v := range extra {
			if _, set := q[k]; !set {
				q[k] = v
			}
		}
	}
	return graph.Request{Path: base + "?" + q.Encode()}
}

// requests returns the graph requests of ops. Ops that share their
// Params map and Metrics slice (a kind's metrics asked of each media, a
// day's parameters of its total_value ops) and ask the same breakdown
// share their query map too: the graph client only reads it.
func requests(ops []Op) []graph.Request {
	type shared struct {
		params    uintptr // the Params map
		metrics   *string // the Metrics slice
		n         int
		breakdown string
	}
	var seen map[shared]url.Values
	out := make([]graph.Request, len(ops))
	for i, o := range ops {
		k := shared{params: reflect.ValueOf(o.Params).Pointer(), n: len(o.Metrics), breakdown: o.Breakdown}
		if len(o.Metrics) > 0 {
			k.metrics = &o.Metrics[0]
		}
		if q, ok := seen[k]; ok {
			out[i] = graph.Request{Path: o.Path, Params: q}
			continue
		}
		out[i] = o.request()
		if seen == nil {
			seen = map[shared]url.Values{}
		}
		seen[k] = out[i].Params
	}
	return out
}

// countOps is what the graph client counts for ops: a call per GET, page
// and batch operation; a round trip per GET and page, and per POST of up to
// graph.MaxBatchOps operations of one batch call.
func countOps(ops []Op) Estimate {
	var e Estimate
	batches := map[int]int64{}
	for _, o := range ops {
		switch o.Send {
		case sendGet:
			e.Calls++
			e.RoundTrips++
		case sendPages:
			e.Calls += o.Pages
			e.RoundTrips += o.Pages
		case sendBatch:
			e.Calls++
			batches[o.Batch]++
		}
	}
	for _, n := range batches {
		e.RoundTrips += ceilDiv(n, graph.MaxBatchOps)
	}
	return e
}

func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

// pageSize is the limit of list pages: media, stories, /me/accounts.
const pageSize = 100

// usersOps: the profile, one GET.
func usersOps(accountID string) []Op {
	return []Op{{Path: "/" + accountID, Params: url.Values{"fields": {userFields}}, Send: sendGet}}
}

// listOps: the account's media or stories (edge "media" or "stories"), n
// of them expected: pages of pageSize, at least one.
func listOps(accountID, edge, fields string, n int64) []Op {
	return []Op{{Path: "/" + accountID + "/" + edge, Params: url.Values{"fields": {fields}, "limit": {strconv.Itoa(pageSize)}},
		Send: sendPages, Pages: max(1, ceilDiv(n, pageSize))}}
}
