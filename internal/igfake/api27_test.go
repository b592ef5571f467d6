package igfake

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// TestNewMediaMetrics: the metrics added since v23 (graph-api.md §10.2), per
// product type, with the values Dataset answers; reels_skip_rate is a
// float with decimals; profile_activity has its action_type breakdown.
func TestNewMediaMetrics(t *testing.T) {
	e := newEnv(t, Options{Media: 12, SharedToFacebook: "all"})
	ds := e.srv.Dataset()
	byProduct := map[string]*Media{}
	for _, m := range ds.Accounts[0].Media {
		if _, ok := byProduct[m.MediaProductType]; !ok {
			byProduct[m.MediaProductType] = m
		}
	}
	story := ds.Accounts[0].Stories[0]
	tests := []struct {
		m       *Media
		metrics string
	}{
		{byProduct["REELS"], "reposts,crossposted_views,facebook_views,total_likes,total_comments,total_views"},
		{byProduct["FEED"], "reposts,facebook_views,profile_activity,total_likes,total_comments,total_views"},
		{story, "reposts,facebook_views,profile_activity,total_views"},
	}
	for _, tt := range tests {
		r := e.mustGet("/v27.0/" + tt.m.ID + "/insights?metric=" + tt.metrics)
		for i, it := range r.data() {
			name := strings.Split(tt.metrics, ",")[i]
			want, ok := ds.MediaInsight(tt.m.ID, name)
			got := num(it["values"].([]any)[0].(map[string]any)["value"])
			if it["name"] != name || !ok || got != want || want == 0 && name != "reposts" && tt.m.MediaProductType != "STORY" {
				t.Errorf("%s %s = %v, want %d (served %v)", tt.m.MediaProductType, name, it, want, ok)
			}
		}
	}
	// reels_skip_rate: a percentage with one decimal, never a whole number.
	for _, m := range ds.Accounts[0].Media {
		if m.MediaProductType != "REELS" {
			continue
		}
		r := e.mustGet("/v27.0/" + m.ID + "/insights?metric=reels_skip_rate")
		want, _ := ds.ReelsSkipRate(m.ID)
		v := r.data()[0]["values"].([]any)[0].(map[string]any)["value"].(float64)
		if v != want || v == float64(int64(v)) || !strings.Contains(string(r.raw), fmt.Sprintf(`"value":%v`, want)) {
			t.Errorf("reels_skip_rate of %s = %v, want %v with decimals: %s", m.ID, v, want, r.raw)
		}
	}
	// profile_activity on REELS is rejected as Meta does; on FEED its
	// action_type breakdown sums to the total.
	wantErr(t, e.get("/v27.0/"+byProduct["REELS"].ID+"/insights?metric=profile_activity"), 400, 100, 0,
		"(#100) The Media Insights API does not support the profile_activity metric for this media product type.")
	feed := byProduct["FEED"]
	r := e.mustGet("/v27.0/" + feed.ID + "/insights?metric=profile_activity&breakdown=action_type")
	tv := r.data()[0]["total_value"].(map[string]any)
	total, _ := ds.MediaInsight(feed.ID, "profile_activity")
	var sum int64
	for _, x := range tv["breakdowns"].([]any)[0].(map[string]any)["results"].([]any) {
		sum += num(x.(map[string]any)["value"])
	}
	if num(tv["value"]) != total || sum != total || total == 0 {
		t.Errorf("profile_activity %d, buckets sum %d, want %d: %s", num(tv["value"]), sum, total, r.raw)
	}
}

// TestNotSharedToFacebook: facebook_views and crossposted_views fail per
// media not shared to Facebook, with the error Faults.NotSharedError picks.
func TestNotSharedToFacebook(t *testing.T) {
	for _, tt := range []struct {
		kind          string
		code, subcode int
		msg           string
	}{
		{"", -1, 2207086, "Fatal"},
		{"param", 100, 2207086, "Invalid parameter"},
	} {
		e := newEnv(t, Options{Media: 6, SharedToFacebook: "none", Faults: Faults{NotSharedError: tt.kind}})
		for _, m := range e.srv.Dataset().Accounts[0].Media {
			if m.MediaProductType != "REELS" {
				continue
			}
			for _, metric := range []string{"facebook_views", "crossposted_views", "views,facebook_views"} {
				wantErr(t, e.get("/v27.0/"+m.ID+"/insights?metric="+metric), 400, tt.code, tt.subcode, tt.msg)
			}
			e.mustGet("/v27.0/" + m.ID + "/insights?metric=views,reposts")
		}
	}
}

// TestUntilInclusive: with UntilInclusive, a one-day total_value request
// whose until is the day's end boundary answers two days (as Meta did in a
// live v25 test); until one second before answers one. Without it both
// answer one day.
func TestUntilInclusive(t *testing.T) {
	for _, inclusive := range []bool{false, true} {
		e := newEnv(t, Options{Media: 2, UntilInclusive: inclusive})
		ds := e.srv.Dataset()
		a := ds.Accounts[0]
		d := laDay(2026, 9, 10)
		one, _ := ds.UserInsight(a.ID, "likes", d)
		next, _ := ds.UserInsight(a.ID, "likes", d.AddDate(0, 0, 1))
		get := func(until int64) int64 {
			r := e.mustGet(fmt.Sprintf("/v23.0/%s/insights?metric=likes&period=day&metric_type=total_value&since=%d&until=%d", a.ID, d.Unix(), until))
			return num(r.data()[0]["total_value"].(map[string]any)["value"])
		}
		boundary := d.AddDate(0, 0, 1).Unix()
		wantBoundary := one
		if inclusive {
			wantBoundary = one + next
		}
		if got := get(boundary); got != wantBoundary {
			t.Errorf("inclusive=%v: until at the boundary = %d, want %d (day %d, next %d)", inclusive, got, wantBoundary, one, next)
		}
		if got := get(boundary - 1); got != one {
			t.Errorf("inclusive=%v: until one second before = %d, want %d", inclusive, got, one)
		}
	}
}

// TestBatchFormTokenCounted: a batch POST without a top-level access_token
// form field is served (the header authenticates) but counted.
func TestBatchFormTokenCounted(t *testing.T) {
	e := newEnv(t, Options{Media: 2})
	a := e.srv.Dataset().Accounts[0]
	ops := url.Values{"batch": {`[{"method":"GET","relative_url":"` + a.ID + `?fields=id"}]`}}
	if r := e.do("POST", "/v23.0/", ops, "Bearer "+DefaultToken); r.status != 200 {
		t.Fatalf("header only: %d %s", r.status, r.raw)
	}
	with := url.Values{"batch": ops["batch"], "access_token": {DefaultToken}}
	if r := e.do("POST", "/v23.0/", with, "Bearer "+DefaultToken); r.status != 200 {
		t.Fatalf("header and form: %d %s", r.status, r.raw)
	}
	if st := e.srv.Stats(); st.BatchesWithoutFormToken != 1 || st.ByEndpoint["POST batch"] != 2 {
		t.Errorf("without form token %d of %d batches, want 1 of 2", st.BatchesWithoutFormToken, st.ByEndpoint["POST batch"])
	}
}

// TestReduceDataAbove: a page asking for more than the threshold answers
// code 1 "Please reduce the amount of data…"; a smaller page is served.
func TestReduceDataAbove(t *testing.T) {
	e := newEnv(t, Options{Media: 60, Faults: Faults{ReduceDataAbove: 50}})
	a := e.srv.Dataset().Accounts[0]
	wantErr(t, e.get("/v23.0/"+a.ID+"/media?limit=100"), 500, 1, 0,
		"Please reduce the amount of data you're asking for, then retry your request")
	wantErr(t, e.get("/v23.0/"+a.ID+"?fields=media.limit(60){id}"), 500, 1, 0,
		"Please reduce the amount of data you're asking for, then retry your request")
	if r := e.mustGet("/v23.0/" + a.ID + "/media?limit=50"); len(r.data()) != 50 {
		t.Errorf("limit 50: %d items", len(r.data()))
	}
}

// TestRetiredField: a retired field fails the whole request with the
// verbatim unknown-field error, on the node and inside an edge.
func TestRetiredField(t *testing.T) {
	e := newEnv(t, Options{Media: 3, Faults: Faults{RetiredFields: []string{"ig_id"}}})
	a := e.srv.Dataset().Accounts[0]
	for _, p := range []string{
		"/v27.0/" + a.ID + "/media?fields=id,ig_id,caption",
		"/v27.0/" + a.ID + "?fields=id,ig_id",
		"/v27.0/" + a.Media[0].ID + "?fields=ig_id",
	} {
		wantErr(t, e.get(p), 400, 100, 0, "(#100) Tried accessing nonexisting field (ig_id)")
	}
	e.mustGet("/v27.0/" + a.ID + "/media?fields=id,caption")
}

// TestLowViewerMetric: with LowViewerMetric, a low-viewer story refuses
// only requests naming that metric; the others are served, together or one
// by one. Without it, every request of the story is refused.
func TestLowViewerMetric(t *testing.T) {
	const msg = "(#10) Not enough viewers for the media to show insights"
	e := newEnv(t, Options{Media: 2, LowViewerStories: 1, Faults: Faults{LowViewerMetric: "reach"}})
	st := e.srv.Dataset().Accounts[0].Stories[0]
	if !st.LowViewers {
		t.Fatal("the first story should have low viewers")
	}
	wantErr(t, e.get("/v23.0/"+st.ID+"/insights?metric=views,reach,replies"), 400, 10, 0, msg)
	wantErr(t, e.get("/v23.0/"+st.ID+"/insights?metric=reach"), 400, 10, 0, msg)
	for _, m := range []string{"views", "replies", "views,replies"} {
		r := e.mustGet("/v23.0/" + st.ID + "/insights?metric=" + m)
		if len(r.data()) != len(strings.Split(m, ",")) {
			t.Errorf("%s: %s", m, r.raw)
		}
	}
	e = newEnv(t, Options{Media: 2, LowViewerStories: 1})
	st = e.srv.Dataset().Accounts[0].Stories[0]
	wantErr(t, e.get("/v23.0/"+st.ID+"/insights?metric=views"), 400, 10, 0, msg)
}

// TestFollowerCountLast30Days: follower_count is served for the 30 days
// before today, today excluded; a since one day earlier is refused.
func TestFollowerCountLast30Days(t *testing.T) {
	e := newEnv(t, Options{Media: 2})
	ds := e.srv.Dataset()
	a := ds.Accounts[0]
	today := laDay(2026, 9, 15) // t0 is 11:00 in Los Angeles on 2026-09-15
	since := today.AddDate(0, 0, -30)
	r := e.mustGet(fmt.Sprintf("/v23.0/%s/insights?metric=follower_count&period=day&since=%d&until=%d", a.ID, since.Unix(), today.Unix()))
	vals := r.data()[0]["values"].([]any)
	if len(vals) != 30 {
		t.Fatalf("%d days, want 30: %s", len(vals), r.raw)
	}
	first := vals[0].(map[string]any)
	want, ok := ds.UserInsight(a.ID, "follower_count", since)
	if !ok || num(first["value"]) != want || first["end_time"] != ts(since.AddDate(0, 0, 1)) {
		t.Errorf("first day %v, want %d ending %s", first, want, ts(since.AddDate(0, 0, 1)))
	}
	if _, ok := ds.UserInsight(a.ID, "follower_count", today); ok {
		t.Error("today is served")
	}
	wantErr(t, e.get(fmt.Sprintf("/v23.0/%s/insights?metric=follower_count&period=day&since=%d&until=%d", a.ID, since.AddDate(0, 0, -1).Unix(), today.AddDate(0, 0, -1).Unix())),
		400, 100, 0, "(#100) (follower_count) metric only supports querying data for the last 30 days excluding the current day")
}

// TestOnlineFollowersPerDay: with since/until, online_followers answers one
// hourly map per day served (the last 30), each with its day's end_time;
// without them, the latest map only.
func TestOnlineFollowersPerDay(t *testing.T) {
	e := newEnv(t, Options{Media: 2})
	ds := e.srv.Dataset()
	a := ds.Accounts[0]
	today := laDay(2026, 9, 15)
	since := today.AddDate(0, 0, -30)
	r := e.mustGet(fmt.Sprintf("/v23.0/%s/insights?metric=online_followers&period=lifetime&since=%d&until=%d", a.ID, since.Unix(), today.Unix()))
	vals := r.data()[0]["values"].([]any)
	if len(vals) != 30 {
		t.Fatalf("%d maps, want 30", len(vals))
	}
	distinct := map[string]bool{}
	for i, x := range vals {
		x := x.(map[string]any)
		d := since.AddDate(0, 0, i)
		want, ok := ds.OnlineFollowersOn(a.ID, d)
		m := x["value"].(map[string]any)
		if !ok || x["end_time"] != ts(d.AddDate(0, 0, 1)) || len(m) != 24 || num(m["19"]) != want[19] {
			t.Errorf("day %d: %v, want %v", i, x, want)
		}
		distinct[fmt.Sprint(m)] = true
	}
	if len(distinct) < 25 {
		t.Errorf("only %d distinct daily maps", len(distinct))
	}
	r = e.mustGet("/v23.0/" + a.ID + "/insights?metric=online_followers&period=lifetime")
	last := r.data()[0]["values"].([]any)
	want, _ := ds.OnlineFollowersOn(a.ID, today.AddDate(0, 0, -1))
	if len(last) != 1 || num(last[0].(map[string]any)["value"].(map[string]any)["19"]) != want[19] {
		t.Errorf("without since/until: %v", last)
	}
}
