package export

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/igexport/igexport/internal/catalog"
	"github.com/igexport/igexport/internal/schema"
)

// TestTotalOpRetryWithoutMetric: runCall's rebuild of a total_value op
// without a rejected metric keeps the day's query (it rides in Path).
func TestTotalOpRetryWithoutMetric(t *testing.T) {
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	spec := StreamSpec{Metrics: map[catalog.Kind][]catalog.Metric{catalog.UserTotalValue: {{Name: "reach"}, {Name: "views"}}}}
	in := uiInput{accountID: "1784", spec: spec, now: now}
	w := insightsWindow{From: schema.DateOf(now).AddDays(-2), To: schema.DateOf(now).AddDays(-1)}
	for _, op := range totalOps(in, w) {
		op.Metrics = slices.DeleteFunc(slices.Clone(op.Metrics), func(m string) bool { return m == "views" })
		rq := op.compactRequest()
		base, raw, _ := strings.Cut(rq.Path, "?")
		q, err := url.ParseQuery(raw)
		if err != nil || base != "/1784/insights" || len(rq.Params) != 0 {
			t.Fatalf("%+v: %v", rq, err)
		}
		if q.Get("metric") != "reach" || q.Get("period") != "day" || q.Get("metric_type") != "total_value" || q.Get("since") == "" || q.Get("until") == "" || len(q) != 5 {
			t.Errorf("retry query %v", q)
		}
	}
}
