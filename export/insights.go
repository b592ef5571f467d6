package export

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/igexport/igexport/internal/catalog"
	"github.com/igexport/igexport/internal/graph"
	"github.com/igexport/igexport/internal/schema"
)

// insightResult is what the API said about one object.
type insightResult struct {
	values  map[string]num // metric (or breakdown dimension value) → value
	status  string         // "" while ok
	partial bool           // some metric was dropped
}

// Patterns of the API's "this metric is not allowed" errors (graph-api.md §7.4).
var rejectedMetric = []*regexp.Regexp{
	regexp.MustCompile(`does not support the (\w+) metric`),
	regexp.MustCompile(`the (\w+) metric is no longer supported`),
	regexp.MustCompile(`endpoint does not support the metrics?: ?([\w, ]+)`),
	regexp.MustCompile(`metrics? \(([\w,]+)\) should be specified`),
	regexp.MustCompile(`Incompatible metric \((\w+)\)`),
}

var metricIndex = regexp.MustCompile(`metric\[(\d+)\] must be one of`)

// rejected returns the metrics of op that err says the API rejects.
func rejected(op Op, ge *graph.Error) []string {
	if ge.Code != 100 {
		return nil
	}
	var out []string
	for _, re := range rejectedMetric {
		for _, m := range re.FindAllStringSubmatch(ge.Message, -1) {
			for _, name := range strings.Split(m[1], ",") {
				name = strings.TrimSpace(name)
				if slices.Contains(op.Metrics, name) && !slices.Contains(out, name) {
					out = append(out, name)
				}
			}
		}
	}
	if m := metricIndex.FindStringSubmatch(ge.Message); m != nil {
		if i, err := strconv.Atoi(m[1]); err == nil && i < len(op.Metrics) {
			out = append(out, op.Metrics[i])
		}
	}
	return out
}

// statusOf maps a per-object insights error to an insights_status, or ""
// when the error is not about the object (and so fails the stream).
func statusOf(ge *graph.Error) string {
	switch {
	case ge.Code == 10 && strings.Contains(strings.ToLower(ge.Message), "not enough viewers"):
		return schema.StatusNotEnoughViewers
	case ge.Code == 100 && ge.Subcode == 2108006:
		return schema.StatusBeforeBusinessConversion
	case ge.Code == 100 && ge.Subcode == 33:
		return schema.StatusUnsupported
	case ge.Permission():
		return schema.StatusPermissionDenied
	case ge.Code == 100:
		return schema.StatusUnsupported
	}
	return ""
}

// shareOnlyRule: how the Facebook-share-only metrics (crossposted_views,
// facebook_views; catalog FacebookShareOnly) are asked, and why they are not
// defaults.
//
// The API rejects them per media — a media not shared to Facebook fails its
// whole insights request (seen as -1/2207086 "Fatal"), one shared to
// Facebook serves them — and nothing igexport lists says which media were
// shared. Rules learned from other media (an account's earlier media, an
// earlier run) are therefore unsound: a media left unasked because another
// one rejected gets NULL in one run and a value in another, so the lake
// would depend on batch order and on which run wrote the day. The only exact
// rule is to ask every media. Two exact shapes exist:
//
//   - ask all metrics in one operation, and on the rejection ask again
//     without the share-only ones: 1 call per shared media, 2 per unshared;
//   - ask the share-only metrics in an operation of their own: 2 calls per
//     media, shared or not.
//
// The first is never more calls (1 + the unshared fraction per media; at
// the emulator's mix — every FEED media and story unshared, a third of the
// reels shared — that is close to 2 anyway), so it is the rule here: the rejected op goes again
// without them (partial, NULL), whatever run or batch it is in. Either way
// an unshared media costs a second operation, which doubles an account's
// media_insights calls; so the catalog leaves both metrics out of the
// defaults, and only a stream that lists them in metrics pays for them
// (docs/architecture.md, request shapes).

// shareOnlyAsked returns the Facebook-share-only metrics among a stream's
// metrics (sorted): each media not shared to Facebook costs one more
// operation for them, which plan cannot count (shareOnlyRule).
func shareOnlyAsked(ms map[catalog.Kind][]catalog.Metric) []string {
	var out []string
	for _, list := range ms {
		for _, m := range list {
			if m.FacebookShareOnly && !slices.Contains(out, m.Name) {
				out = append(out, m.Name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// shareOnlyNote is plan's note for a stream asking share-only metrics.
func shareOnlyNote(names []string) string {
	return fmt.Sprintf("%s: one more call per media not shared to Facebook, not counted", strings.Join(names, ", "))
}

// fetchInsights runs ops through Graph batch requests until every op is
// answered: rejected metrics are dropped and the op retried without them.
// It returns one result per item (n items). A throttle deferral, a token
// error or an error that is not about one object fails the whole call.
func (s *streamRun) fetchInsights(ctx context.Context, n int, ops []Op) ([]insightResult, error) {
	res := make([]insightResult, n)
	asked := make([]int, n) // metrics asked per item: the size of its map, breakdown buckets aside
	for _, op := range ops {
		asked[op.Item] += len(op.Metrics)
	}
	for i := range res {
		res[i].values = make(map[string]num, asked[i])
	}
	pending := ops
	for len(pending) > 0 {
		reqs := requests(pending)
		for i := range reqs {
			// Read where the body lies in the batch response (no copy);
			// stored in request order below.
			op := &pending[i]
			reqs[i].Decode = func(body []byte) (any, error) {
				p := s.a.r.parsers.Get()
				defer s.a.r.parsers.Put(p)
				return parseInsightPairs(p, body, *op, make([]namedNum, 0, len(op.Metrics)))
			}
		}
		resps, err := s.client.Batch(ctx, reqs)
		if err != nil {
			return nil, err
		}
		var next []Op
		for i, op := range pending {
			r := &res[op.Item]
			rs := resps[i]
			if rs.Err == nil {
				if pairs, ok := rs.Value.([]namedNum); ok && rs.Decoded() {
					storeInsightPairs(r.values, pairs)
					continue
				}
				p := s.a.r.parsers.Get()
				err := parseInsightValues(p, rs.Body, op, r.values)
				s.a.r.parsers.Put(p)
				if err != nil {
					return nil, err
				}
				continue
			}
			var ge *graph.Error
			if !errors.As(rs.Err, &ge) {
				return nil, rs.Err
			}
			bad := rejected(op, ge)
			if len(bad) == 0 && ge.FacebookShareOnly() {
				// Not shared to Facebook: those metrics are NULL for this
				// object (shareOnlyRule).
				bad = s.a.r.job.Catalog.FacebookShareOnly(op.Metrics)
			}
			if len(bad) > 0 {
				for _, m := range bad {
					s.skip(m, firstLine(ge.Message))
				}
				r.partial = true
				op.Metrics = slices.DeleteFunc(slices.Clone(op.Metrics), func(m string) bool { return slices.Contains(bad, m) })
				if len(op.Metrics) > 0 {
					next = append(next, op)
				}
				continue
			}
			if ge.TokenInvalid() || ge.Throttle() || ge.Transient() {
				return nil, rs.Err
			}
			st := statusOf(ge)
			if st == "" {
				return nil, fmt.Errorf("%s: %w", op.Path, rs.Err)
			}
			if st == schema.StatusNotEnoughViewers && len(op.Metrics) > 1 {
				// Meta may refuse one metric only (graph-api.md §10.3): ask
				// the others one by one before giving up on the story.
				for _, m := range op.Metrics {
					one := op
					one.Metrics = []string{m}
					next = append(next, one)
				}
				continue
			}
			if r.status == "" {
				r.status = st
				s.skip("insights", st)
			}
		}
		pending = next
	}
	return res, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// status returns the final insights_status of an object.
func (r insightResult) finalStatus() string {
	switch {
	case r.status != "" && len(r.values) == 0:
		return r.status
	case r.partial && len(r.values) == 0:
		return schema.StatusUnsupported // every metric was rejected
	case r.status != "" || r.partial:
		return schema.StatusPartial
	}
	return schema.StatusOK
}
