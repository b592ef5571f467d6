package export

import (
	"testing"

	"github.com/igexport/igexport/internal/catalog"
	"github.com/igexport/igexport/internal/schema"
)

// TestEveryCatalogMetricHasItsColumn: the column of every metric the
// catalog serves for an insights stream is a field of that stream's row
// type, so the derived mapping fills it (online_followers, a list, and the
// demographics' long format are filled by their own code).
func TestEveryCatalogMetricHasItsColumn(t *testing.T) {
	for _, v := range catalog.Versions() {
		cat, err := catalog.For(v)
		if err != nil {
			t.Fatal(err)
		}
		check := func(stream string, has func(string) bool) {
			for _, k := range catalog.StreamKinds(stream) {
				for _, m := range cat.Metrics() {
					if m.Removed || m.Column == "" || !m.AppliesTo(k) || m.Name == "online_followers" {
						continue
					}
					if !has(m.Name) {
						t.Errorf("%s: %s metric %s (column %s) has no field in the row type", v, stream, m.Name, m.Column)
					}
				}
			}
		}
		all := func(k ...catalog.Kind) [][]catalog.Metric {
			var out [][]catalog.Metric
			for _, x := range k {
				out = append(out, cat.Defaults(x))
			}
			return out
		}
		media := metricColumns[schema.MediaInsight](all(catalog.MediaKinds...)...)
		check(schema.MediaInsights, func(m string) bool { return media.set(&schema.MediaInsight{}, m, intNum(1)) })
		story := metricColumns[schema.StoryInsight](all(catalog.Story)...)
		check(schema.StoryInsights, func(m string) bool { return story.set(&schema.StoryInsight{}, m, intNum(1)) })
		user := metricColumns[schema.UserInsight](all(catalog.UserTimeSeries, catalog.UserTotalValue)...)
		check(schema.UserInsights, func(m string) bool { return user.set(&schema.UserInsight{}, m, intNum(1)) })
	}
}

// TestMetricColumnsIntAndFloat: a metric fills the field tagged with its
// column: an integer column gets the value rounded, a float column (a rate)
// keeps its fraction; a name without a column is left out.
func TestMetricColumnsIntAndFloat(t *testing.T) {
	type row struct {
		ID       string   `parquet:"id"`
		Reposts  *int64   `parquet:"reposts,optional"`
		SkipRate *float64 `parquet:"reels_skip_rate,optional"`
		Follows  *int64   `parquet:"follows,optional"`
	}
	cols := metricColumns[row]([]catalog.Metric{{Name: "follows_and_unfollows", Column: "follows"}})
	var r row
	for _, tc := range []struct {
		metric string
		v      float64
		ok     bool
	}{{"reposts", 12.6, true}, {"reels_skip_rate", 0.25, true}, {"follows_and_unfollows", 3, true}, {"id", 1, false}, {"nope", 1, false}} {
		n, _ := floatNum(tc.v)
		if got := cols.set(&r, tc.metric, n); got != tc.ok {
			t.Errorf("set(%s) = %v, want %v", tc.metric, got, tc.ok)
		}
	}
	if r.Reposts == nil || *r.Reposts != 13 || r.SkipRate == nil || *r.SkipRate != 0.25 || r.Follows == nil || *r.Follows != 3 || r.ID != "" {
		t.Errorf("row %+v", r)
	}
}
