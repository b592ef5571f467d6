package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/igexport/igexport/internal/graph"
	"github.com/igexport/igexport/internal/schema"
)

// insightOp is one media/story insights request: some metrics of one
// object, optionally with a breakdown. The engine drops metrics the API
// rejects and asks again without them.
type insightOp struct {
	item      int // index of the object the op is about
	objectID  string
	metrics   []string
	breakdown string
}

// insightResult is what the API said about one object.
type insightResult struct {
	values  map[string]int64 // metric (or breakdown dimension value) → value
	status  string           // "" while ok
	partial bool             // some metric was dropped
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
func rejected(op insightOp, ge *graph.Error) []string {
	if ge.Code != 100 {
		return nil
	}
	var out []string
	for _, re := range rejectedMetric {
		for _, m := range re.FindAllStringSubmatch(ge.Message, -1) {
			for _, name := range strings.Split(m[1], ",") {
				name = strings.TrimSpace(name)
				if slices.Contains(op.metrics, name) && !slices.Contains(out, name) {
					out = append(out, name)
				}
			}
		}
	}
	if m := metricIndex.FindStringSubmatch(ge.Message); m != nil {
		if i, err := strconv.Atoi(m[1]); err == nil && i < len(op.metrics) {
			out = append(out, op.metrics[i])
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

// fetchInsights runs ops through Graph batch requests until every op is
// answered: rejected metrics are dropped and the op retried without them.
// It returns one result per item (n items). A throttle deferral, a token
// error or an error that is not about one object fails the whole call.
func (s *streamRun) fetchInsights(ctx context.Context, n int, ops []insightOp) ([]insightResult, error) {
	res := make([]insightResult, n)
	for i := range res {
		res[i].values = map[string]int64{}
	}
	pending := ops
	for len(pending) > 0 {
		reqs := make([]graph.Request, len(pending))
		for i, op := range pending {
			q := url.Values{"metric": {strings.Join(op.metrics, ",")}}
			if op.breakdown != "" {
				q.Set("breakdown", op.breakdown)
			}
			reqs[i] = graph.Request{Path: "/" + op.objectID + "/insights", Params: q}
		}
		resps, err := s.client.Batch(ctx, reqs)
		if err != nil {
			return nil, err
		}
		var next []insightOp
		for i, op := range pending {
			r := &res[op.item]
			rs := resps[i]
			if rs.Err == nil {
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
			if bad := rejected(op, ge); len(bad) > 0 {
				for _, m := range bad {
					s.skip(m, firstLine(ge.Message))
				}
				r.partial = true
				op.metrics = slices.DeleteFunc(slices.Clone(op.metrics), func(m string) bool { return slices.Contains(bad, m) })
				if len(op.metrics) > 0 {
					next = append(next, op)
				}
				continue
			}
			if ge.TokenInvalid() || ge.Throttle() || ge.Transient() {
				return nil, rs.Err
			}
			st := statusOf(ge)
			if st == "" {
				return nil, fmt.Errorf("insights of %s: %w", op.objectID, rs.Err)
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

// insightsJSON is the body of every /insights answer: media, story and
// account metrics, time series and total values, with or without breakdowns.
type insightsJSON struct {
	Data []struct {
		Name   string `json:"name"`
		Values []struct {
			Value   json.RawMessage `json:"value"`
			EndTime *string         `json:"end_time"`
		} `json:"values"`
		TotalValue *struct {
			Value      *json.Number `json:"value"`
			Breakdowns []struct {
				DimensionKeys []string `json:"dimension_keys"`
				Results       []struct {
					DimensionValues []string    `json:"dimension_values"`
					Value           json.Number `json:"value"`
				} `json:"results"`
			} `json:"breakdowns"`
		} `json:"total_value"`
	} `json:"data"`
}

// parseInsightValues reads a media/story insights body into values: plain
// metrics by name; a breakdown metric's total under its name and each
// bucket under its lower-cased dimension value. It parses with fastjson,
// this being the hottest decode of a run (one body per media per day);
// p is a parser from the runner's pool.
func parseInsightValues(p *fastjson.Parser, body []byte, op insightOp, values map[string]int64) error {
	v, err := p.ParseBytes(body)
	if err != nil {
		return fmt.Errorf("malformed response from /%s/insights: %w", op.objectID, err)
	}
	data := v.Get("data")
	if data == nil || data.Type() == fastjson.TypeNull {
		return nil
	}
	items, err := data.Array()
	if err != nil {
		return fmt.Errorf("malformed response from /%s/insights: \"data\" is a JSON %s, not an array", op.objectID, data.Type())
	}
	for i, d := range items {
		if d.Type() == fastjson.TypeNull {
			continue
		}
		name := ""
		if nv := d.Get("name"); nv != nil && nv.Type() != fastjson.TypeNull {
			nb, err := nv.StringBytes()
			if err != nil {
				return fmt.Errorf("malformed response from /%s/insights: metric name is a JSON %s, not a string", op.objectID, nv.Type())
			}
			name = validUTF8(nb)
		}
		if name == "" {
			// The value would be no metric's: lost without a word.
			return fmt.Errorf("malformed response from /%s/insights: data[%d]: %w", op.objectID, i, missingKey("name"))
		}
		if tv := d.Get("total_value"); tv != nil && tv.Type() == fastjson.TypeObject {
			if v := tv.Get("value"); v != nil && v.Type() != fastjson.TypeNull {
				n, ok := jsonInt(v)
				if !ok {
					return fmt.Errorf("malformed response from /%s/insights: metric %s: total value %s is not a number", op.objectID, name, v)
				}
				values[name] = n
			}
			var sum int64
			var any bool
			for _, b := range tv.GetArray("breakdowns") {
				for _, rs := range b.GetArray("results") {
					dims := rs.GetArray("dimension_values")
					if len(dims) == 0 {
						continue
					}
					dim, err := dims[len(dims)-1].StringBytes()
					if err != nil {
						return fmt.Errorf("malformed response from /%s/insights: metric %s: dimension value %s is not a string", op.objectID, name, dims[len(dims)-1])
					}
					v := rs.Get("value")
					if v == nil || v.Type() == fastjson.TypeNull {
						continue
					}
					n, ok := jsonInt(v)
					if !ok {
						return fmt.Errorf("malformed response from /%s/insights: metric %s: value %s of %s is not a number", op.objectID, name, v, dim)
					}
					values[strings.ToLower(validUTF8(dim))] = n
					sum += n
					any = true
				}
			}
			if _, ok := values[name]; !ok && any {
				values[name] = sum
			}
			continue
		}
		if vs := d.GetArray("values"); len(vs) > 0 {
			val := vs[0].Get("value")
			if val == nil || val.Type() == fastjson.TypeNull {
				continue
			}
			n, ok := jsonInt(val)
			if !ok {
				return fmt.Errorf("malformed response from /%s/insights: metric %s: value %s is not a number", op.objectID, name, val)
			}
			values[name] = n
		}
	}
	return nil
}

// jsonInt reads a JSON number (or a string holding one, as encoding/json's
// Number accepts) as an integer, rounding a fraction; false for anything
// else, NaN and infinities.
func jsonInt(v *fastjson.Value) (int64, bool) {
	if v == nil {
		return 0, false
	}
	var s string
	switch v.Type() {
	case fastjson.TypeNumber:
		if n, err := v.Int64(); err == nil {
			return n, true
		}
		s = v.String()
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		s = string(b)
	default:
		return 0, false
	}
	return toInt(json.Number(s))
}

func toInt(n json.Number) (int64, bool) {
	if v, err := n.Int64(); err == nil {
		return v, true
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return int64(math.Round(f)), true
}

// metricPtr returns the value of m, or nil (NULL) when the API gave none.
func metricPtr(values map[string]int64, m string) *int64 {
	if v, ok := values[m]; ok {
		return &v
	}
	return nil
}
