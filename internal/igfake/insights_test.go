package igfake

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// validMetrics is graph-api.md §7.3 written out again, independently of the
// implementation's table.
var validMetrics = map[string][]string{
	"FEED": strings.Fields(`views reach likes comments saved shares total_interactions follows profile_visits
		profile_activity reposts facebook_views total_likes total_comments total_views`),
	"REELS": strings.Fields(`views reach likes comments saved shares total_interactions reposts ig_reels_avg_watch_time
		ig_reels_video_view_total_time reels_skip_rate crossposted_views facebook_views total_likes total_comments total_views`),
	"STORY": strings.Fields(`views reach shares total_interactions follows profile_visits profile_activity reposts
		facebook_views navigation replies link_clicks total_views`),
}

var allMediaMetrics = strings.Fields(`views reach likes comments saved shares total_interactions follows profile_visits
	profile_activity reposts ig_reels_avg_watch_time ig_reels_video_view_total_time reels_skip_rate crossposted_views
	facebook_views navigation replies link_clicks total_likes total_comments total_views`)

// samples picks one media of each kind from an account.
func samples(a *Account) map[string]*Media {
	out := map[string]*Media{}
	for _, m := range a.Media {
		k := m.MediaType + "/" + m.MediaProductType
		if m.MediaProductType == "REELS" {
			k += fmt.Sprintf("/shared=%v", m.SharedToFacebook)
		}
		if out[k] == nil {
			out[k] = m
		}
	}
	out["STORY"] = a.Stories[0]
	return out
}

func TestMediaMetricValidity(t *testing.T) {
	e := newEnv(t, Options{Media: 60})
	ds := e.srv.Dataset()
	for kind, m := range samples(ds.Accounts[0]) {
		product := m.MediaProductType
		for _, metric := range allMediaMetrics {
			t.Run(kind+"/"+metric, func(t *testing.T) {
				r := e.get("/v23.0/" + m.ID + "/insights?metric=" + metric)
				valid := slices.Contains(validMetrics[product], metric)
				crosspost := metric == "facebook_views" || metric == "crossposted_views"
				switch {
				case !valid:
					wantErr(t, r, 400, 100, 0, "(#100) The Media Insights API does not support the "+metric+" metric for this media product type.")
				case crosspost && !m.SharedToFacebook:
					wantErr(t, r, 400, -1, 2207086, "Fatal")
				default:
					if r.status != 200 {
						t.Fatalf("%d %s", r.status, r.raw)
					}
					it := r.data()[0]
					if it["name"] != metric || it["period"] != "lifetime" || it["id"] != m.ID+"/insights/"+metric+"/lifetime" ||
						it["title"] == nil || it["description"] == nil {
						t.Errorf("item = %v", it)
					}
					v := it["values"].([]any)[0].(map[string]any)
					if _, ok := v["end_time"]; ok {
						t.Errorf("lifetime value has end_time: %v", v)
					}
					if metric == "reels_skip_rate" {
						want, _ := ds.ReelsSkipRate(m.ID)
						if v["value"].(float64) != want {
							t.Errorf("skip rate %v, want %v", v["value"], want)
						}
						return
					}
					get := ds.MediaInsight
					if m.IsStory() {
						get = ds.StoryInsight
					}
					if want, ok := get(m.ID, metric); !ok || num(v["value"]) != want {
						t.Errorf("value %v, want %d (%v)", v["value"], want, ok)
					}
				}
			})
		}
	}
}

// TestSpecDefaultMetrics: the default metric lists of SPEC §1.3 are valid in
// one request per media, and the values are what Dataset says.
func TestSpecDefaultMetrics(t *testing.T) {
	e := newEnv(t, Options{Media: 60})
	ds := e.srv.Dataset()
	defaults := map[string]string{
		"REELS":  "views,reach,likes,comments,saved,shares,total_interactions,ig_reels_avg_watch_time,ig_reels_video_view_total_time",
		"FEED":   "views,reach,likes,comments,saved,shares,total_interactions,follows,profile_visits",
		"STORY":  "views,reach,replies,shares,total_interactions,follows,profile_visits",
		"STORY2": "navigation",
	}
	for kind, m := range samples(ds.Accounts[0]) {
		list := defaults[m.MediaProductType]
		extra := ""
		if m.IsStory() {
			extra = "&breakdown=story_navigation_action_type"
			r := e.mustGet("/" + m.ID + "/insights?metric=" + defaults["STORY2"] + extra)
			tv := r.data()[0]["total_value"].(map[string]any)
			bd := tv["breakdowns"].([]any)[0].(map[string]any)
			if fmt.Sprint(bd["dimension_keys"]) != "[story_navigation_action_type]" {
				t.Errorf("dimension_keys %v", bd["dimension_keys"])
			}
			var sum int64
			for _, res := range bd["results"].([]any) {
				res := res.(map[string]any)
				dim := res["dimension_values"].([]any)[0].(string)
				want, _ := ds.StoryInsight(m.ID, dim)
				if dim != strings.ToLower(dim) || num(res["value"]) != want {
					t.Errorf("%s = %v, want %d", dim, res["value"], want)
				}
				sum += num(res["value"])
			}
			if nav, _ := ds.StoryInsight(m.ID, "navigation"); sum != nav || num(tv["value"]) != nav {
				t.Errorf("navigation %d, buckets sum to %d, total_value %v", nav, sum, tv["value"])
			}
		}
		r := e.mustGet("/v23.0/" + m.ID + "/insights?metric=" + list)
		names := strings.Split(list, ",")
		if len(r.data()) != len(names) {
			t.Errorf("%s: %d items for %d metrics", kind, len(r.data()), len(names))
		}
		for i, it := range r.data() {
			get := ds.MediaInsight
			if m.IsStory() {
				get = ds.StoryInsight
			}
			want, _ := get(m.ID, names[i])
			if it["name"] != names[i] || num(it["values"].([]any)[0].(map[string]any)["value"]) != want {
				t.Errorf("%s: item %d = %v, want %s %d", kind, i, it, names[i], want)
			}
		}
	}
}

func TestMediaInsightErrors(t *testing.T) {
	now := t0
	e := newEnv(t, Options{Media: 100, LowViewerStories: 1, ConvertedAt: now.Add(-300 * 24 * time.Hour)})
	ds := e.srv.Dataset()
	a := ds.Accounts[0]
	reel, image, story := a.Media[1], a.Media[2], a.Stories[1]
	old := a.Media[99]
	unsupported := "Unsupported get request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
	tests := []struct {
		name, path string
		code, sub  int
		msg        string
	}{
		{"impressions removed", image.ID + "/insights?metric=impressions", 100, 0,
			"Starting from version 22 and above, the impressions metric is no longer supported"},
		{"plays removed", reel.ID + "/insights?metric=reach,plays", 100, 0,
			"Starting from version 22 and above, the plays metric is no longer supported"},
		{"clips_replays_count removed", reel.ID + "/insights?metric=clips_replays_count", 100, 0,
			"Starting from version 22 and above, the clips_replays_count metric is no longer supported"},
		{"ig_reels_aggregated_all_plays_count removed", reel.ID + "/insights?metric=ig_reels_aggregated_all_plays_count", 100, 0,
			"Starting from version 22 and above, the ig_reels_aggregated_all_plays_count metric is no longer supported"},
		{"video_views removed", reel.ID + "/insights?metric=views,video_views", 100, 0, "(#100) metric[1] must be one of the following values: " + strings.Join(allMediaMetrics, ", ")},
		{"engagement removed", image.ID + "/insights?metric=engagement", 100, 0, "(#100) metric[0] must be one of the following values: " + strings.Join(allMediaMetrics, ", ")},
		{"taps_forward removed", story.ID + "/insights?metric=taps_forward", 100, 0, "(#100) metric[0] must be one of the following values: " + strings.Join(allMediaMetrics, ", ")},
		{"taps_back removed", story.ID + "/insights?metric=taps_back", 100, 0, "(#100) metric[0] must be one of the following values: " + strings.Join(allMediaMetrics, ", ")},
		{"exits removed", story.ID + "/insights?metric=exits", 100, 0, "(#100) metric[0] must be one of the following values: " + strings.Join(allMediaMetrics, ", ")},
		{"follows on a reel", reel.ID + "/insights?metric=views,follows", 100, 0,
			"(#100) The Media Insights API does not support the follows metric for this media product type."},
		{"breakdown mixed with plain metrics", story.ID + "/insights?metric=navigation,views&breakdown=story_navigation_action_type", 100, 0,
			"(#100) Incompatible breakdowns (story_navigation_action_type) for metric (views)"},
		{"breakdown on a metric without one", image.ID + "/insights?metric=reach&breakdown=action_type", 1, 0, "An unknown error has occurred."},
		{"unknown breakdown", story.ID + "/insights?metric=navigation&breakdown=nope", 100, 0,
			"(#100) breakdown[0] must be one of the following values: follow_type, surface_type, action_type, story_navigation_action_type"},
		{"carousel child", a.Media[0].Children[0].ID + "/insights?metric=reach", 100, 33, fmt.Sprintf(unsupported, a.Media[0].Children[0].ID+"/insights")},
		{"low-viewer story", a.Stories[0].ID + "/insights?metric=views,reach", 10, 0, "(#10) Not enough viewers for the media to show insights"},
		{"before business conversion", old.ID + "/insights?metric=reach", 100, 2108006, "Invalid parameter"},
		{"no metric", image.ID + "/insights", 100, 0, "(#100) The parameter metric is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, e.get("/v23.0/"+tt.path), 400, tt.code, tt.sub, tt.msg)
		})
	}
	t.Run("2108006 carries the user title and message", func(t *testing.T) {
		er := e.get("/" + old.ID + "/insights?metric=reach").err()
		if er.UserTitle != "Media posted before business account conversion" ||
			er.UserMsg != "The media was posted before the most recent time that the user's account was converted to a business account from a personal account." ||
			er.Transient == nil || *er.Transient {
			t.Errorf("got %+v", er)
		}
		if _, ok := ds.MediaInsight(old.ID, "reach"); ok {
			t.Error("Dataset answers a value for pre-conversion media")
		}
	})
	t.Run("profile_activity breakdown has lowercase buckets without zeros", func(t *testing.T) {
		r := e.mustGet("/" + image.ID + "/insights?metric=profile_activity&breakdown=action_type")
		for _, res := range r.data()[0]["total_value"].(map[string]any)["breakdowns"].([]any)[0].(map[string]any)["results"].([]any) {
			res := res.(map[string]any)
			if d := res["dimension_values"].([]any)[0].(string); d != strings.ToLower(d) || num(res["value"]) == 0 {
				t.Errorf("bucket %v", res)
			}
		}
	})
	t.Run("story insights vanish after 24h", func(t *testing.T) {
		e.clock.Advance(30 * time.Hour)
		defer e.clock.Advance(-30 * time.Hour)
		r := e.mustGet("/" + story.ID + "/insights?metric=views")
		if len(r.data()) != 0 {
			t.Errorf("got %s", r.raw)
		}
	})
}

// day helpers for the tests, in the account's Location.
func laDay(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, pacific())
}

func unix(t time.Time) string { return fmt.Sprint(t.Unix()) }

func TestUserInsightsTimeSeries(t *testing.T) {
	e := newEnv(t, Options{Media: 5})
	ds := e.srv.Dataset()
	a := ds.Accounts[0]
	base := "/v23.0/" + a.ID + "/insights?"
	t.Run("reach over 30 days", func(t *testing.T) {
		since, until := laDay(2026, 8, 1), laDay(2026, 8, 31)
		r := e.mustGet(base + "metric=reach&period=day&since=" + unix(since) + "&until=" + unix(until))
		it := r.data()[0]
		vals := it["values"].([]any)
		if len(vals) != 30 || it["id"] != a.ID+"/insights/reach/day" || it["period"] != "day" {
			t.Fatalf("%d values: %.300s", len(vals), r.raw)
		}
		for i, v := range vals {
			v := v.(map[string]any)
			day := laDay(2026, 8, 1+i)
			end, err := time.Parse("2006-01-02T15:04:05-0700", v["end_time"].(string))
			if err != nil || !end.Equal(day.AddDate(0, 0, 1)) || end.UTC().Hour() != 7 {
				t.Errorf("value %d end_time %v, want local midnight after %s", i, v["end_time"], day.Format(time.DateOnly))
			}
			if covered := end.Add(-12 * time.Hour).In(pacific()).Format(time.DateOnly); covered != day.Format(time.DateOnly) {
				t.Errorf("date(end_time-12h) = %s, want %s", covered, day.Format(time.DateOnly))
			}
			want, ok := ds.UserInsight(a.ID, "reach", day)
			if !ok || num(v["value"]) != want {
				t.Errorf("day %s = %v, want %d", day.Format(time.DateOnly), v["value"], want)
			}
		}
		p := r.body["paging"].(map[string]any)
		if p["previous"] == nil || p["next"] == nil {
			t.Errorf("paging %v", p)
		}
	})
	t.Run("one day windows", func(t *testing.T) {
		d := laDay(2026, 9, 3)
		for _, until := range []time.Time{d.AddDate(0, 0, 1), d.AddDate(0, 0, 1).Add(-time.Second)} {
			r := e.mustGet(base + "metric=reach&period=day&since=" + unix(d) + "&until=" + unix(until))
			vals := r.data()[0]["values"].([]any)
			want, _ := ds.UserInsight(a.ID, "reach", d)
			if len(vals) != 1 || num(vals[0].(map[string]any)["value"]) != want {
				t.Errorf("until %v: %s", until, r.raw)
			}
		}
	})
	t.Run("default window is the last 24 hours", func(t *testing.T) {
		r := e.mustGet(base + "metric=reach&period=day")
		vals := r.data()[0]["values"].([]any)
		if len(vals) != 1 || vals[0].(map[string]any)["end_time"] != "2026-09-15T07:00:00+0000" {
			t.Errorf("got %s", r.raw)
		}
	})
	t.Run("follower_count last 30 days", func(t *testing.T) {
		since, until := laDay(2026, 8, 16), laDay(2026, 9, 15)
		r := e.mustGet(base + "metric=follower_count&period=day&since=" + unix(since) + "&until=" + unix(until))
		vals := r.data()[0]["values"].([]any)
		if len(vals) != 30 {
			t.Fatalf("%d values", len(vals))
		}
		want, _ := ds.UserInsight(a.ID, "follower_count", laDay(2026, 9, 14))
		if num(vals[29].(map[string]any)["value"]) != want {
			t.Errorf("last = %v, want %d", vals[29], want)
		}
		if _, ok := ds.UserInsight(a.ID, "follower_count", laDay(2026, 8, 15)); ok {
			t.Error("follower_count served 31 days back")
		}
	})
	t.Run("DST: end_time moves from 07:00 to 08:00 UTC", func(t *testing.T) {
		clk := &fakeClock{t: time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)}
		e2 := newEnv(t, Options{Media: 5, Now: clk.Now})
		since, until := laDay(2026, 10, 30), laDay(2026, 11, 3)
		r := e2.mustGet("/" + a.ID + "/insights?metric=reach&period=day&since=" + unix(since) + "&until=" + unix(until))
		var ends []string
		for _, v := range r.data()[0]["values"].([]any) {
			ends = append(ends, v.(map[string]any)["end_time"].(string))
		}
		want := []string{"2026-10-31T07:00:00+0000", "2026-11-01T07:00:00+0000", "2026-11-02T08:00:00+0000", "2026-11-03T08:00:00+0000"}
		if !slices.Equal(ends, want) {
			t.Errorf("end_times %v, want %v", ends, want)
		}
	})
}

func TestUserInsightsTotalValue(t *testing.T) {
	e := newEnv(t, Options{Media: 5})
	ds := e.srv.Dataset()
	a := ds.Accounts[0]
	d := laDay(2026, 9, 10)
	one := "&period=day&metric_type=total_value&since=" + unix(d) + "&until=" + unix(d.AddDate(0, 0, 1))
	base := "/v23.0/" + a.ID + "/insights?metric="
	t.Run("one request per day carries every metric", func(t *testing.T) {
		list := "views,accounts_engaged,total_interactions,likes,comments,shares,saves,replies,profile_links_taps,follows_and_unfollows"
		r := e.mustGet(base + list + one)
		for i, it := range r.data() {
			name := strings.Split(list, ",")[i]
			want, ok := ds.UserInsight(a.ID, name, d)
			tv := it["total_value"].(map[string]any)
			if it["name"] != name || !ok || num(tv["value"]) != want || it["id"] != a.ID+"/insights/"+name+"/day" {
				t.Errorf("%s = %v, want %d", name, it, want)
			}
			if _, ok := it["values"]; ok {
				t.Errorf("%s has values", name)
			}
		}
	})
	t.Run("a multi-day window is one sum", func(t *testing.T) {
		r := e.mustGet(base + "likes&period=day&metric_type=total_value&since=" + unix(d) + "&until=" + unix(d.AddDate(0, 0, 3)))
		var want int64
		for i := range 3 {
			v, _ := ds.UserInsight(a.ID, "likes", d.AddDate(0, 0, i))
			want += v
		}
		if got := num(r.data()[0]["total_value"].(map[string]any)["value"]); got != want {
			t.Errorf("got %d, want %d", got, want)
		}
	})
	t.Run("follows_and_unfollows by follow_type", func(t *testing.T) {
		r := e.mustGet(base + "follows_and_unfollows&breakdown=follow_type" + one)
		tv := r.data()[0]["total_value"].(map[string]any)
		if _, ok := tv["value"]; ok {
			t.Errorf("total_value.value present: %s", r.raw)
		}
		res := tv["breakdowns"].([]any)[0].(map[string]any)["results"].([]any)
		f, _ := ds.UserInsight(a.ID, "follows", d)
		u, _ := ds.UserInsight(a.ID, "unfollows", d)
		got := map[string]int64{}
		for _, x := range res {
			x := x.(map[string]any)
			got[x["dimension_values"].([]any)[0].(string)] = num(x["value"])
		}
		if got["FOLLOWER"] != f || got["NON_FOLLOWER"] != u || len(got) != 2 {
			t.Errorf("got %v, want FOLLOWER %d NON_FOLLOWER %d", got, f, u)
		}
	})
	t.Run("reach by media_product_type", func(t *testing.T) {
		r := e.mustGet(base + "reach&breakdown=media_product_type" + one)
		tv := r.data()[0]["total_value"].(map[string]any)
		var sum int64
		for _, x := range tv["breakdowns"].([]any)[0].(map[string]any)["results"].([]any) {
			x := x.(map[string]any)
			if num(x["value"]) == 0 || x["dimension_values"].([]any)[0] == "AD" {
				t.Errorf("zero bucket served: %v", x)
			}
			sum += num(x["value"])
		}
		if want, _ := ds.UserInsight(a.ID, "reach", d); sum != want || num(tv["value"]) != want {
			t.Errorf("buckets sum %d, value %v, want %d", sum, tv["value"], want)
		}
	})
	t.Run("profile_links_taps by contact_button_type has empty results", func(t *testing.T) {
		r := e.mustGet(base + "profile_links_taps&breakdown=contact_button_type" + one)
		tv := r.data()[0]["total_value"].(map[string]any)
		res := tv["breakdowns"].([]any)[0].(map[string]any)["results"].([]any)
		if want, _ := ds.UserInsight(a.ID, "profile_links_taps", d); len(res) != 0 || num(tv["value"]) != want {
			t.Errorf("got %s", r.raw)
		}
	})
}

func TestUserInsightsErrors(t *testing.T) {
	e := newEnv(t, Options{Media: 5})
	a := e.srv.Dataset().Accounts[0]
	today := laDay(2026, 9, 15)
	w := func(since, until time.Time) string { return "&since=" + unix(since) + "&until=" + unix(until) }
	tests := []struct {
		name, q string
		msg     string
	}{
		{"total_value metrics without metric_type", "metric=reach,views,likes&period=day",
			"(#100) The following metrics (views,likes) should be specified with parameter metric_type=total_value"},
		{"more than 30 days", "metric=reach&period=day" + w(today.AddDate(0, 0, -40), today.AddDate(0, 0, -9).Add(time.Hour)),
			"(#100) There cannot be more than 30 days (2592000 s) between since and until."},
		{"since D-730", "metric=reach&period=day" + w(today.AddDate(0, 0, -730), today.AddDate(0, 0, -720)),
			"(#100) since param is not valid. Metrics data is available for the last 2 years"},
		{"since in the future", "metric=reach&period=day" + w(t0.Add(time.Hour), t0.Add(48*time.Hour)),
			"(#100) since param is not valid. Metrics data is available for the last 2 years"},
		{"follower_count older than 30 days", "metric=follower_count&period=day" + w(today.AddDate(0, 0, -31), today.AddDate(0, 0, -2)),
			"(#100) (follower_count) metric only supports querying data for the last 30 days excluding the current day"},
		{"online_followers wrong period", "metric=online_followers&period=week",
			"(#100) The following periods (week) are incompatible with the metric (online_followers)"},
		{"unknown metric", "metric=reach,profile_clicks&period=day",
			"(#100) metric[1] must be one of the following values: " + serverMetricNames},
		{"impressions", "metric=impressions&period=day", "Starting from version 22 and above, the impressions metric is no longer supported"},
		{"views by follower_type", "metric=views&period=day&metric_type=total_value&breakdown=follower_type",
			"(#100) Incompatible breakdowns (follower_type) for metric (views)"},
		{"accounts_engaged by follow_type", "metric=accounts_engaged&period=day&metric_type=total_value&breakdown=follow_type",
			"(#100) Incompatible breakdowns (follow_type) for metric (accounts_engaged)"},
		{"unknown breakdown", "metric=reach&period=day&metric_type=total_value&breakdown=surface",
			"(#100) breakdown[0] must be one of the following values: " + userBreakdownNames},
		{"demographics without metric_type", "metric=follower_demographics&period=lifetime&timeframe=this_month&breakdown=age",
			"(#100) The following metrics (follower_demographics) should be specified with parameter metric_type=total_value"},
		{"demographics legacy timeframe", "metric=engaged_audience_demographics&period=lifetime&metric_type=total_value&timeframe=last_90_days&breakdown=age",
			"(#100) timeframe must be one of the following values: this_week, this_month"},
		{"demographics by day", "metric=follower_demographics&period=day&metric_type=total_value&timeframe=this_month",
			"(#100) The following periods (day) are incompatible with the metric (follower_demographics)"},
		{"no period", "metric=reach", "(#100) The parameter period is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, e.get("/v23.0/"+a.ID+"/insights?"+tt.q), 400, 100, 0, tt.msg)
		})
	}
	t.Run("since D-729 is accepted", func(t *testing.T) {
		e.mustGet("/v23.0/" + a.ID + "/insights?metric=reach&period=day" + w(today.AddDate(0, 0, -729), today.AddDate(0, 0, -720)))
	})
}

func TestLifetimeInsights(t *testing.T) {
	e := newEnv(t, Options{Media: 5})
	ds := e.srv.Dataset()
	a := ds.Accounts[0]
	t.Run("online_followers has 24 string hour keys", func(t *testing.T) {
		r := e.mustGet("/" + a.ID + "/insights?metric=online_followers&period=lifetime")
		v := r.data()[0]["values"].([]any)[0].(map[string]any)["value"].(map[string]any)
		want := ds.OnlineFollowers(a.ID)
		if len(v) != 24 || len(want) != 24 {
			t.Fatalf("got %d keys", len(v))
		}
		for h := range 24 {
			if num(v[fmt.Sprint(h)]) != want[h] {
				t.Errorf("hour %d = %v, want %d", h, v[fmt.Sprint(h)], want[h])
			}
		}
	})
	demo := func(metric, breakdown, timeframe string) resp {
		return e.mustGet("/" + a.ID + "/insights?metric=" + metric + "&period=lifetime&metric_type=total_value&timeframe=" + timeframe + "&breakdown=" + url.QueryEscape(breakdown))
	}
	check := func(t *testing.T, r resp, metric, breakdown, timeframe string) []Bucket {
		t.Helper()
		it := r.data()[0]
		bd := it["total_value"].(map[string]any)["breakdowns"].([]any)[0].(map[string]any)
		if fmt.Sprint(bd["dimension_keys"]) != "["+strings.ReplaceAll(breakdown, ",", " ")+"]" || it["period"] != "lifetime" {
			t.Errorf("item %v", it)
		}
		want := ds.Demographics(a.ID, metric, breakdown, timeframe)
		res := bd["results"].([]any)
		if len(res) != len(want) {
			t.Fatalf("%d results, want %d", len(res), len(want))
		}
		for i, x := range res {
			x := x.(map[string]any)
			if fmt.Sprint(x["dimension_values"]) != fmt.Sprint(want[i].Dims) || num(x["value"]) != want[i].Value || want[i].Value == 0 {
				t.Errorf("result %d = %v, want %v", i, x, want[i])
			}
		}
		return want
	}
	t.Run("age,gender keeps F, M and U apart", func(t *testing.T) {
		want := check(t, demo("follower_demographics", "age,gender", "this_month"), "follower_demographics", "age,gender", "this_month")
		genders := map[string]bool{}
		for _, b := range want {
			genders[b.Dims[1]] = true
		}
		if !genders["F"] || !genders["M"] || !genders["U"] {
			t.Errorf("genders %v", genders)
		}
	})
	for _, tc := range [][3]string{
		{"follower_demographics", "age", "this_month"}, {"follower_demographics", "gender", "this_week"},
		{"follower_demographics", "country", "this_month"}, {"follower_demographics", "city", "this_month"},
		{"engaged_audience_demographics", "age,gender", "this_week"}, {"engaged_audience_demographics", "country", "this_month"},
	} {
		t.Run(strings.Join(tc[:], "/"), func(t *testing.T) {
			check(t, demo(tc[0], tc[1], tc[2]), tc[0], tc[1], tc[2])
		})
	}
	t.Run("top 45 cap", func(t *testing.T) {
		want := check(t, demo("follower_demographics", "country,gender", "this_month"), "follower_demographics", "country,gender", "this_month")
		if len(want) != 45 {
			t.Errorf("%d buckets, want the 45 cap", len(want))
		}
	})
}

func TestUnder100Followers(t *testing.T) {
	e := newEnv(t, Options{Media: 5, Followers: 60})
	ds := e.srv.Dataset()
	a := ds.Accounts[0]
	d := laDay(2026, 9, 10)
	for _, q := range []string{
		"metric=follower_count&period=day",
		"metric=online_followers&period=lifetime",
		"metric=follows_and_unfollows&period=day&metric_type=total_value",
		"metric=follower_demographics&period=lifetime&metric_type=total_value&timeframe=this_month&breakdown=age",
	} {
		r := e.mustGet("/" + a.ID + "/insights?" + q)
		if len(r.data()) != 0 {
			t.Errorf("%s: %s", q, r.raw)
		}
	}
	r := e.mustGet("/" + a.ID + "/insights?metric=engaged_audience_demographics&period=lifetime&metric_type=total_value&timeframe=this_month&breakdown=age")
	if res := r.data()[0]["total_value"].(map[string]any)["breakdowns"].([]any)[0].(map[string]any)["results"].([]any); len(res) != 0 {
		t.Errorf("engaged: %s", r.raw)
	}
	if _, ok := ds.UserInsight(a.ID, "follows", d); ok {
		t.Error("UserInsight serves follows under 100 followers")
	}
	if v, ok := ds.UserInsight(a.ID, "reach", d); !ok || v <= 0 {
		t.Error("reach missing under 100 followers")
	}
}
