package export

import (
	"maps"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// TestParseInsightValues covers the shapes of /insights bodies the API
// sends (and a few it should not): the values read, the metrics left NULL,
// and the bodies refused as malformed.
func TestParseInsightValues(t *testing.T) {
	cases := []struct {
		name, body string
		want       map[string]int64
		err        string
	}{
		{name: "lifetime values", body: `{"data":[{"name":"reach","period":"lifetime","values":[{"value":2004}],"title":"Accounts reached","description":"x","id":"1\/insights\/reach\/lifetime"},{"name":"likes","values":[{"value":0}]}]}`,
			want: map[string]int64{"reach": 2004, "likes": 0}},
		{name: "fraction rounded", body: `{"data":[{"name":"ig_reels_avg_watch_time","values":[{"value":1234.5}]}]}`,
			want: map[string]int64{"ig_reels_avg_watch_time": 1235}},
		{name: "exponent", body: `{"data":[{"name":"views","values":[{"value":1.2e3}]}]}`,
			want: map[string]int64{"views": 1200}},
		{name: "number as string", body: `{"data":[{"name":"views","values":[{"value":"17"}]}]}`,
			want: map[string]int64{"views": 17}},
		{name: "null value stays NULL", body: `{"data":[{"name":"views","values":[{"value":null}]},{"name":"reach","values":[]}]}`,
			want: map[string]int64{}},
		{name: "escaped name", body: `{"data":[{"name":"re\u0061ch","values":[{"value":3}]}]}`,
			want: map[string]int64{"reach": 3}},
		{name: "total value with breakdown", body: `{"data":[{"name":"navigation","total_value":{"value":30,"breakdowns":[{"dimension_keys":["story_navigation_action_type"],"results":[{"dimension_values":["TAP_FORWARD"],"value":20},{"dimension_values":["SWIPE_FORWARD"],"value":10}]}]}}]}`,
			want: map[string]int64{"navigation": 30, "tap_forward": 20, "swipe_forward": 10}},
		{name: "breakdown without total sums buckets", body: `{"data":[{"name":"navigation","total_value":{"breakdowns":[{"results":[{"dimension_values":["EXITED"],"value":4},{"dimension_values":["TAP_BACK"],"value":5},{"dimension_values":[],"value":9}]}]}}]}`,
			want: map[string]int64{"navigation": 9, "exited": 4, "tap_back": 5}},
		{name: "no data", body: `{}`, want: map[string]int64{}},
		{name: "not JSON", body: `{"data":[{"name":"reach","values":[{"value":1}]`, err: "malformed response from /17000/insights"},
		{name: "data not an array", body: `{"data":{"name":"reach"}}`, err: `"data" is a JSON object, not an array`},
		{name: "value not a number", body: `{"data":[{"name":"reach","values":[{"value":{"a":1}}]}]}`, err: `metric reach: value {"a":1} is not a number`},
		{name: "name not a string", body: `{"data":[{"name":7,"values":[{"value":1}]}]}`, err: "metric name is a JSON number"},
	}
	var p fastjson.Parser
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]int64{}
			err := parseInsightValues(&p, []byte(tc.body), insightOp{objectID: "17000"}, got)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("values = %v, want %v", got, tc.want)
			}
		})
	}
}
