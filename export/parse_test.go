package export

import (
	"encoding/json"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/valyala/fastjson"

	"github.com/igexport/igexport/internal/schema"
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
		{name: "total value as a string", body: `{"data":[{"name":"navigation","total_value":{"value":"30"}}]}`,
			want: map[string]int64{"navigation": 30}},
		{name: "total value not a number", body: `{"data":[{"name":"navigation","total_value":{"value":{}}}]}`, err: "metric navigation: total value {} is not a number"},
		{name: "bucket value not a number", body: `{"data":[{"name":"navigation","total_value":{"breakdowns":[{"results":[{"dimension_values":["EXITED"],"value":"x"}]}]}}]}`,
			err: `metric navigation: value "x" of EXITED is not a number`},
		{name: "metric without a name", body: `{"data":[{"name":"reach","values":[{"value":1}]},{"values":[{"value":3}]}]}`,
			err: "malformed response from /17000/insights: data[1]: name is missing or empty"},
		{name: "bucket name not a string", body: `{"data":[{"name":"navigation","total_value":{"breakdowns":[{"results":[{"dimension_values":[4],"value":1}]}]}}]}`,
			err: "metric navigation: dimension value 4 is not a string"},
		{name: "not JSON", body: `{"data":[{"name":"reach","values":[{"value":1}]`, err: "malformed response from /17000/insights"},
		{name: "data not an array", body: `{"data":{"name":"reach"}}`, err: `"data" is a JSON object, not an array`},
		{name: "value not a number", body: `{"data":[{"name":"reach","values":[{"value":{"a":1}}]}]}`, err: `metric reach: value {"a":1} is not a number`},
		{name: "name not a string", body: `{"data":[{"name":7,"values":[{"value":1}]}]}`, err: "metric name is a JSON number"},
	}
	var p fastjson.Parser
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			values := map[string]num{}
			err := parseInsightValues(&p, []byte(tc.body), Op{Path: "/17000/insights"}, values)
			if errorCase(t, err, tc.err) {
				return
			}
			got := map[string]int64{}
			for k, v := range values {
				got[k] = v.i
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("values = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestMediaPage covers the decoding of /media and /stories page items
// straight into rows: every field, NULL kept apart from empty and zero,
// ig_id as string or number, carousel children, members of the wrong type
// named in the error, and an item without its id refused (never a row).
func TestMediaPage(t *testing.T) {
	str := func(s string) *string { return &s }
	i64 := func(n int64) *int64 { return &n }
	yes := true
	fetched := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	ts := time.Date(2026, 11, 21, 16, 42, 20, 0, time.UTC)
	full := `{"id":"1","ig_id":"3594373474125885392","caption":"say \"hi\" \u2600\ufe0f\n#x","media_type":"CAROUSEL_ALBUM","media_product_type":"FEED",` +
		`"media_url":"https:\/\/x\/1.jpg","thumbnail_url":null,"permalink":"https:\/\/www.instagram.com\/p\/A\/","shortcode":"A","username":"u",` +
		`"owner":{"id":"1784"},"timestamp":"2026-11-21T16:42:20+0000","like_count":56,"comments_count":0,"is_comment_enabled":true,` +
		`"children":{"data":[{"id":"2","media_type":"IMAGE","media_url":"https:\/\/x\/2.jpg","timestamp":"2026-11-21T16:42:20+0000"}]}}`
	row := func(id string) schema.MediaRow { return schema.MediaRow{ID: id, FetchedAt: fetched} }
	with := func(r schema.MediaRow, f func(*schema.MediaRow)) schema.MediaRow { f(&r); return r }
	cases := []struct {
		name, data string
		want       []schema.MediaRow
		err        string
	}{
		{name: "every field", data: `[` + full + `]`, want: []schema.MediaRow{{
			ID: "1", IGID: str("3594373474125885392"), Caption: str("say \"hi\" \u2600\ufe0f\n#x"), MediaType: str("CAROUSEL_ALBUM"),
			MediaProductType: str("FEED"), MediaURL: str("https://x/1.jpg"), Permalink: str("https://www.instagram.com/p/A/"),
			Shortcode: str("A"), Username: str("u"), OwnerID: str("1784"), Timestamp: &ts,
			LikeCount: i64(56), CommentsCount: i64(0), IsCommentEnabled: &yes,
			Children:  []schema.Child{{ID: "2", MediaType: str("IMAGE"), MediaURL: str("https://x/2.jpg"), Timestamp: &ts}},
			FetchedAt: fetched,
		}}},
		{name: "missing fields stay NULL", data: `[{"id":"5","caption":""}]`, want: []schema.MediaRow{with(row("5"), func(r *schema.MediaRow) { r.Caption = str("") })}},
		{name: "ig_id as a number", data: `[{"id":"5","ig_id":17841405822304914}]`, want: []schema.MediaRow{with(row("5"), func(r *schema.MediaRow) { r.IGID = str("17841405822304914") })}},
		{name: "empty children", data: `[{"id":"5","children":{"data":[]}}]`, want: []schema.MediaRow{with(row("5"), func(r *schema.MediaRow) { r.Children = []schema.Child{} })}},
		{name: "null child skipped", data: `[{"id":"5","children":{"data":[null,{"id":"6"}]}}]`, want: []schema.MediaRow{with(row("5"), func(r *schema.MediaRow) { r.Children = []schema.Child{{ID: "6"}} })}},
		{name: "invalid UTF-8 replaced", data: "[{\"id\":\"5\",\"caption\":\"a\xffb\"}]", want: []schema.MediaRow{with(row("5"), func(r *schema.MediaRow) { r.Caption = str("a\uFFFDb") })}},
		{name: "empty page", data: `[]`, want: []schema.MediaRow{}},
		{name: "like_count a string", data: `[{"id":"5","like_count":"7"}]`, err: "data[0] (media 5): like_count is a JSON string, not an integer"},
		{name: "like_count a fraction", data: `[{"id":"5","like_count":1.5}]`, err: "like_count is a JSON number, not an integer"},
		{name: "caption a number", data: `[{"id":"5","caption":5}]`, err: "caption is a JSON number, not a string"},
		{name: "owner a string", data: `[{"id":"5","owner":"1784"}]`, err: "owner is a JSON string, not an object"},
		{name: "child of the wrong shape", data: `[{"id":"5","children":{"data":[{"id":"6","timestamp":1}]}}]`, err: "child 6: timestamp is a JSON number, not a string"},
		{name: "timestamp not a Graph time", data: `[{"id":"5","timestamp":"yesterday"}]`, err: `data[0] (media 5): timestamp "yesterday" is not in the Graph API format`},
		{name: "item not an object", data: `[{"id":"5"},7]`, err: "data[1] is a JSON number, not an object"},
		// Rows merge by id: items without one would all become one row.
		{name: "id missing", data: `[{"id":"5"},{"caption":"x"}]`, err: "data[1]: id is missing or empty"},
		{name: "id empty", data: `[{"id":""}]`, err: "data[0]: id is missing or empty"},
		{name: "id null", data: `[{"id":null,"media_type":"IMAGE"}]`, err: "data[0]: id is missing or empty"},
		{name: "id a number", data: `[{"id":5}]`, err: "data[0]: id is a JSON number, not a string"},
		{name: "child id missing", data: `[{"id":"5","children":{"data":[{"id":"6"},{"media_type":"IMAGE"}]}}]`, err: "data[0] (media 5): children.data[1]: id is missing or empty"},
		{name: "child id empty", data: `[{"id":"5","children":{"data":[{"id":""}]}}]`, err: "children.data[0]: id is missing or empty"},
		{name: "child without id", data: `[{"id":"5","children":{"data":[{"media_type":"IMAGE"}]}}]`, err: "data[0] (media 5): children.data[0]: id is missing or empty"},
	}
	var p fastjson.Parser
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := p.Parse(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			got, err := mediaRows(v.GetArray(), fetched)
			if errorCase(t, err, tc.err) {
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %s\nwant %s", dump(got), dump(tc.want))
			}
		})
	}
	v, err := p.Parse(`[{"id":"9","owner":{"id":"1784"},"like_count":2,"comments_count":4},{"id":""}]`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := storyRows(v.GetArray(), fetched); err == nil || !strings.Contains(err.Error(), "data[1]: id is missing or empty") {
		t.Errorf("a story without id: %v", err)
	}
	stories, err := storyRows(v.GetArray()[:1], fetched)
	if want := []schema.Story{{ID: "9", OwnerID: str("1784"), LikeCount: i64(2), FetchedAt: fetched}}; err != nil || !reflect.DeepEqual(stories, want) {
		t.Errorf("stories %s, %v", dump(stories), err)
	}
}

// errorCase checks err against want, the text a case's error must
// contain ("" when it must succeed), and reports whether the case expected
// an error (and so is done).
func errorCase(t *testing.T, err error, want string) bool {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatal(err)
		}
		return false
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to contain %q", err, want)
	}
	return true
}

func dump(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestAccountInsightsShapes: the parts of account and demographics bodies
// read by their own code: online_followers by hour, dimension lists.
func TestAccountInsightsShapes(t *testing.T) {
	var p fastjson.Parser
	for _, tc := range []struct{ name, body, want, err string }{
		{name: "hours", body: `{"0":5,"23":"7","5":null}`, want: `[{"Hour":0,"Followers":5},{"Hour":23,"Followers":7}]`},
		{name: "no hours", body: `{}`, want: `[]`},
		{name: "not an object", body: `[1]`, err: "a JSON array, not an object"},
		{name: "hour not a number", body: `{"3":"x"}`, err: `hour 3: "x" is not a number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := p.Parse(tc.body)
			if err != nil {
				t.Fatal(err)
			}
			got, err := onlineFollowers(v)
			if errorCase(t, err, tc.err) {
				return
			}
			if dump(got) != tc.want {
				t.Errorf("got %s, want %s", dump(got), tc.want)
			}
		})
	}
	v, _ := p.Parse(`{"k":["age","gender"],"bad":["age",3]}`)
	if got, err := stringArray(v, "k"); err != nil || strings.Join(got, ",") != "age,gender" {
		t.Errorf("k: %v %v", got, err)
	}
	if _, err := stringArray(v, "bad"); err == nil || !strings.Contains(err.Error(), "bad[1] is a JSON number, not a string") {
		t.Errorf("bad: %v", err)
	}
	// demographicRow became bucketDims in the rel-net merge (which also
	// checks every dimension of the breakdown is there: keys_test.go).
	row := schema.LifetimeInsight{Metric: "follower_demographics", Timeframe: "this_month", Breakdown: "age,gender", Value: 7}
	if err := bucketDims(&row, "age,gender", []string{"age", "gender"}, []string{"18-24", "F"}); err != nil {
		t.Fatal(err)
	}
	if row.Age == nil || *row.Age != "18-24" || row.Gender == nil || *row.Gender != "F" || row.Country != nil || row.Value != 7 {
		t.Errorf("row %+v", row)
	}
}

// TestInternName: a metric name the operation asked is passed as the
// asked string itself (no copy per body); any other name is read as
// valid UTF-8.
func TestInternName(t *testing.T) {
	known := []string{"reach", "views"}
	tests := []struct {
		in, want string
		interned bool
	}{
		{in: "views", want: "views", interned: true},
		{in: "reach", want: "reach", interned: true},
		{in: "saved", want: "saved"},
		{in: "bad\xffname", want: "bad\uFFFDname"},
	}
	for _, tt := range tests {
		got := internName([]byte(tt.in), known)
		if got != tt.want {
			t.Errorf("internName(%q) = %q, want %q", tt.in, got, tt.want)
		}
		same := slices.ContainsFunc(known, func(k string) bool { return unsafe.StringData(k) == unsafe.StringData(got) })
		if same != tt.interned {
			t.Errorf("internName(%q): interned %v, want %v", tt.in, same, tt.interned)
		}
	}
}

// TestRequestsShareQueries: requests gives each op the query its own
// request() gives (metric, breakdown and params), whether or not ops share
// their Params map and Metrics slice; ops that share them (and the
// breakdown) share one query map.
func TestRequestsShareQueries(t *testing.T) {
	plain := []string{"reach", "views"}
	day := url.Values{"period": {"day"}, "since": {"1"}}
	other := url.Values{"period": {"day"}, "since": {"2"}}
	ops := []Op{
		{Path: "/1/insights", Metrics: plain},
		{Path: "/2/insights", Metrics: plain},
		{Path: "/2/insights", Metrics: plain[:1]},
		{Path: "/2/insights", Metrics: []string{"reach", "views"}},
		{Path: "/3/insights", Metrics: []string{"profile_activity"}, Breakdown: "action_type"},
		{Path: "/3/insights", Metrics: []string{"profile_activity"}},
		{Path: "/u/insights", Params: day, Metrics: plain},
		{Path: "/u/insights", Params: day, Metrics: plain, Breakdown: "media_product_type"},
		{Path: "/u/insights", Params: other, Metrics: plain},
		{Path: "/u/insights", Params: day, Metrics: plain},
		{Path: "/me"},
	}
	reqs := requests(ops)
	for i, op := range ops {
		want := op.request()
		if reqs[i].Path != want.Path || !reflect.DeepEqual(reqs[i].Params, want.Params) {
			t.Errorf("op %d: %s %v, want %s %v", i, reqs[i].Path, reqs[i].Params, want.Path, want.Params)
		}
	}
	same := func(a, b int) bool {
		return reflect.ValueOf(reqs[a].Params).Pointer() == reflect.ValueOf(reqs[b].Params).Pointer()
	}
	for _, p := range []struct {
		a, b  int
		share bool
	}{{0, 1, true}, {1, 2, false}, {1, 3, false}, {4, 5, false}, {6, 9, true}, {6, 7, false}, {6, 8, false}} {
		if got := same(p.a, p.b); got != p.share {
			t.Errorf("ops %d and %d share a query: %v, want %v", p.a, p.b, got, p.share)
		}
	}
}
