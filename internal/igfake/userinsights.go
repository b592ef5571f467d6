package igfake

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// userMetric is one row of the account-insights validity table (graph-api.md §7.1, §7.2).
type userMetric struct {
	name        string
	periods     []string
	timeSeries  bool
	totalValue  bool
	breakdowns  []string
	demographic bool
	title       string
	description string
}

var (
	pDay      = []string{"day"}
	pLifetime = []string{"lifetime"}
	mpt       = []string{"media_product_type"}
	demoKeys  = []string{"age", "city", "country", "gender"}
)

var userMetrics = []userMetric{
	{"reach", []string{"day", "week", "days_28"}, true, true, []string{"media_product_type", "follow_type"}, false, "Accounts reached", "The number of unique accounts that have seen your content, at least once, including in ads."},
	{"follower_count", pDay, true, false, nil, false, "Follower count", "The number of accounts that followed you each day."},
	{"online_followers", pLifetime, true, false, nil, false, "Online followers", "The number of your followers who were online during the hours of the day."},
	{"views", pDay, false, true, []string{"follow_type", "media_product_type"}, false, "Views", "The number of times your content was played or displayed."},
	{"accounts_engaged", pDay, false, true, nil, false, "Accounts engaged", "The number of accounts that have interacted with your content, including in ads."},
	{"total_interactions", pDay, false, true, mpt, false, "Content interactions", "The total number of post interactions, story interactions, reels interactions, video interactions and live video interactions."},
	{"likes", pDay, false, true, mpt, false, "Likes", "The number of likes on your posts, reels and videos."},
	{"comments", pDay, false, true, mpt, false, "Comments", "The number of comments on your posts, reels, videos and live videos."},
	{"shares", pDay, false, true, mpt, false, "Shares", "The number of shares of your posts, stories, reels, videos and live videos."},
	{"saves", pDay, false, true, mpt, false, "Saves", "The number of saves of your posts, reels and videos."},
	{"replies", pDay, false, true, nil, false, "Replies", "The number of replies you received from your story."},
	{"reposts", pDay, false, true, nil, false, "Reposts", "The number of times your content was reposted."},
	{"profile_links_taps", pDay, false, true, []string{"contact_button_type"}, false, "Profile links taps", "The number of taps on your business address, call button, email button and text button."},
	{"follows_and_unfollows", pDay, false, true, []string{"follow_type"}, false, "Follows and unfollows", "The number of accounts that followed you and the number of accounts that unfollowed you or left Instagram."},
	{"profile_views", pDay, false, true, nil, false, "Profile views", "The number of times your profile was visited."},
	{"website_clicks", pDay, false, true, nil, false, "Website clicks", "The number of taps on the website link in your profile."},
	{"follower_demographics", pLifetime, false, true, demoKeys, true, "Follower demographics", "The demographic characteristics of followers."},
	{"engaged_audience_demographics", pLifetime, false, true, demoKeys, true, "Engaged audience demographics", "The demographic characteristics of the engaged audience."},
	{"reached_audience_demographics", pLifetime, false, true, demoKeys, true, "Reached audience demographics", "The demographic characteristics of the reached audience."},
}

// serverMetricNames is the v22 server's list of valid metric names, as its
// "metric[0] must be one of" error prints it.
const serverMetricNames = "reach, follower_count, website_clicks, profile_views, online_followers, accounts_engaged, total_interactions, likes, comments, shares, saves, replies, engaged_audience_demographics, reached_audience_demographics, follower_demographics, follows_and_unfollows, profile_links_taps, views, threads_likes, threads_replies, reposts, quotes, threads_followers, threads_follower_demographics, content_views, threads_views, threads_clicks, threads_reposts"

const userBreakdownNames = "contact_button_type, follow_type, media_product_type, age, city, country, gender"

func userMetricByName(name string) (userMetric, bool) {
	for _, m := range userMetrics {
		if m.name == name {
			return m, true
		}
	}
	return userMetric{}, false
}

// parseTime parses a since/until value: Unix seconds, YYYY-MM-DD (midnight
// in loc) or RFC 3339.
func parseTime(s string, loc *time.Location) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// userInsights serves GET /{ig-user-id}/insights.
func (c *call) userInsights(a *Account, q interface{ Get(string) string }) (any, *apiError) {
	ds := c.s.ds
	names := metricList(q.Get("metric"))
	if len(names) == 0 {
		return nil, errParam("(#100) The parameter metric is required")
	}
	var ms []userMetric
	for i, n := range names {
		m, ok := userMetricByName(n)
		switch {
		case n == "impressions":
			return nil, errNoLongerSupported(n)
		case !ok:
			return nil, errParam("(#100) metric[%d] must be one of the following values: %s", i, serverMetricNames)
		}
		ms = append(ms, m)
	}
	period := q.Get("period")
	if period == "" {
		return nil, errParam("(#100) The parameter period is required")
	}
	if !slices.Contains(periods, period) {
		return nil, errParam("(#100) period must be one of the following values: %s", strings.Join(periods, ", "))
	}
	for _, m := range ms {
		if !slices.Contains(m.periods, period) {
			return nil, errParam("(#100) The following periods (%s) are incompatible with the metric (%s)", period, m.name)
		}
	}
	mt := q.Get("metric_type")
	if mt != "" && mt != "time_series" && mt != "total_value" {
		return nil, errParam("(#100) metric_type must be one of the following values: time_series, total_value")
	}
	totalValue := mt == "total_value"
	var wrong []string
	for _, m := range ms {
		if totalValue && !m.totalValue || !totalValue && !m.timeSeries {
			wrong = append(wrong, m.name)
		}
	}
	if len(wrong) > 0 {
		want := "total_value"
		if totalValue {
			want = "time_series" // inferred wording: no capture of this case
		}
		return nil, errParam("(#100) The following metrics (%s) should be specified with parameter metric_type=%s", strings.Join(wrong, ","), want)
	}
	bd := ""
	if totalValue { // with time_series, breakdowns are ignored
		bd = strings.TrimSpace(q.Get("breakdown"))
	}
	keys := metricList(bd)
	for i, k := range keys {
		if !strings.Contains(", "+userBreakdownNames+", ", ", "+k+", ") && k != "follower_type" {
			return nil, errParam("(#100) breakdown[%d] must be one of the following values: %s", i, userBreakdownNames)
		}
	}
	for _, m := range ms {
		for _, k := range keys {
			if !slices.Contains(m.breakdowns, k) || len(keys) > 1 && !m.demographic {
				return nil, errParam("(#100) Incompatible breakdowns (%s) for metric (%s)", bd, m.name)
			}
		}
	}
	timeframe := q.Get("timeframe")
	demo, daily := false, false
	for _, m := range ms {
		demo = demo || m.demographic
		daily = daily || m.periods[0] != "lifetime"
	}
	if demo {
		switch timeframe {
		case "this_week", "this_month":
		case "":
			return nil, errParam("(#100) Timeframe is required for demographic metrics: this_week, this_month")
		default:
			return nil, errParam("(#100) timeframe must be one of the following values: this_week, this_month")
		}
	}
	// online_followers honours since/until: one hourly map per day of the
	// last 30 (graph-api.md §10.3); without them, the latest map only.
	online := slices.Contains(names, "online_followers") && (q.Get("since") != "" || q.Get("until") != "")
	var w window
	if daily || online {
		var err *apiError
		if w, err = c.window(q, names); err != nil {
			return nil, err
		}
	}
	data := []any{}
	for _, m := range ms {
		if needs100[m.name] && a.FollowersCount < 100 {
			continue // not returned under 100 followers
		}
		id := a.ID + "/insights/" + m.name + "/" + period
		var item obj
		switch {
		case m.demographic:
			item = c.demographicsItem(a, m, strings.Join(keys, ","), timeframe)
		case m.name == "online_followers":
			days := []day{ds.today() - 1}
			if online {
				days = w.days(ds, a, m.name)
			}
			values := []any{}
			for _, x := range days {
				hours := ds.onlineFollowers(a, x)
				v := obj{}
				for h := range 24 {
					v = append(v, kv{strconv.Itoa(h), hours[h]})
				}
				values = append(values, obj{{"value", v}, {"end_time", ts(x.end(ds.loc))}})
			}
			item = obj{{"name", m.name}, {"period", period}, {"values", values},
				{"title", m.title}, {"description", m.description}}
		case totalValue:
			item = c.totalValueItem(a, m, period, keys, w)
		default:
			item = c.timeSeriesItem(a, m, period, w)
		}
		data = append(data, append(item, kv{"id", id}))
	}
	out := obj{{"data", data}}
	if (daily || online) && w.explicit {
		out = append(out, kv{"paging", c.timePaging(w)})
	}
	return out, nil
}

// window is the since..until range of a daily account-insights request.
type window struct {
	since, until time.Time
	explicit     bool
	// inclusive is Options.UntilInclusive.
	inclusive bool
}

// days returns the days served for the window: day D is in when its
// end_time (local midnight after it) is in (since, until+1s] — or, with
// inclusive, when D overlaps [since, until], both ends included — it is
// complete (end_time not after now) and not older than D-729.
func (w window) days(ds *Dataset, a *Account, metric string) []day {
	var out []day
	loc := ds.loc
	now := ds.now()
	for x := dayOf(w.since, loc) - 1; !x.start(loc).After(w.until.Add(time.Second)); x++ {
		e := x.end(loc)
		in := e.After(w.since) && !e.After(w.until.Add(time.Second))
		if w.inclusive {
			in = e.After(w.since) && !x.start(loc).After(w.until)
		}
		if !in || e.After(now) {
			continue
		}
		if ds.dayServed(a, metric, x) {
			out = append(out, x)
		}
	}
	return out
}

// window parses and checks since/until (graph-api.md §7.1 range rules).
func (c *call) window(q interface{ Get(string) string }, names []string) (window, *apiError) {
	ds := c.s.ds
	now := c.s.o.Now()
	w := window{until: now, inclusive: c.s.o.UntilInclusive}
	var ok bool
	if s := q.Get("until"); s != "" {
		if w.until, ok = parseTime(s, ds.loc); !ok {
			return w, errParam("(#100) The parameter until must be a valid unix timestamp")
		}
		w.explicit = true
	}
	w.since = w.until.Add(-24 * time.Hour)
	if s := q.Get("since"); s != "" {
		if w.since, ok = parseTime(s, ds.loc); !ok {
			return w, errParam("(#100) The parameter since must be a valid unix timestamp")
		}
		w.explicit = true
	}
	today := ds.today()
	if w.since.After(now) || w.since.Before((today - 729).start(ds.loc)) {
		return w, errParam("(#100) since param is not valid. Metrics data is available for the last 2 years")
	}
	if w.until.Sub(w.since) > 30*24*time.Hour {
		return w, errParam("(#100) There cannot be more than 30 days (2592000 s) between since and until.")
	}
	if slices.Contains(names, "follower_count") && w.since.Before((today - 30).start(ds.loc)) {
		return w, errParam("(#100) (follower_count) metric only supports querying data for the last 30 days excluding the current day")
	}
	return w, nil
}

// timePaging builds the time-based previous/next of account insights; next
// is left out once it would start in the future.
func (c *call) timePaging(w window) obj {
	span := w.until.Sub(w.since)
	mk := func(since, until time.Time) string {
		q := cloneValues(c.query)
		q.Set("since", strconv.FormatInt(since.Unix(), 10))
		q.Set("until", strconv.FormatInt(until.Unix(), 10))
		return c.base + c.prefix + "/" + strings.Join(c.segs, "/") + "?" + q.Encode()
	}
	p := obj{{"previous", mk(w.since.Add(-span), w.since)}}
	if w.until.Before(c.s.o.Now()) {
		p = append(p, kv{"next", mk(w.until, w.until.Add(span))})
	}
	return p
}

func (c *call) timeSeriesItem(a *Account, m userMetric, period string, w window) obj {
	ds := c.s.ds
	values := []any{}
	for _, x := range w.days(ds, a, m.name) {
		v := ds.dayValues(a, x)[m.name]
		if n := map[string]int{"week": 7, "days_28": 28}[period]; n > 0 {
			v = 0
			for k := range n {
				v += ds.dayValues(a, x-day(k))[m.name]
			}
		}
		values = append(values, obj{{"value", v}, {"end_time", ts(x.end(ds.loc))}})
	}
	return obj{{"name", m.name}, {"period", period}, {"values", values}, {"title", m.title}, {"description", m.description}}
}

func (c *call) totalValueItem(a *Account, m userMetric, period string, keys []string, w window) obj {
	ds := c.s.ds
	days := w.days(ds, a, m.name)
	var total int64
	for _, x := range days {
		total += ds.dayValues(a, x)[m.name]
	}
	tv := obj{{"value", total}}
	if len(keys) == 1 {
		bd := keys[0]
		results := []any{}
		switch {
		case m.name == "follows_and_unfollows":
			// Quirk: no total_value.value with the follow_type breakdown.
			var f, u int64
			for _, x := range days {
				v := ds.dayValues(a, x)
				f, u = f+v["follows"], u+v["unfollows"]
			}
			tv = obj{}
			for _, r := range []kv{{"FOLLOWER", f}, {"NON_FOLLOWER", u}} {
				if r.v.(int64) > 0 {
					results = append(results, obj{{"dimension_values", []string{r.k}}, {"value", r.v}})
				}
			}
		case bd == "contact_button_type":
			// Quirk: results empty, total_value.value present.
		default:
			sums := make([]int64, len(splits[bd]))
			for _, x := range days {
				for i, v := range ds.split(a, x, m.name, bd, ds.dayValues(a, x)[m.name]) {
					sums[i] += v
				}
			}
			for i, k := range splits[bd] {
				if sums[i] > 0 {
					results = append(results, obj{{"dimension_values", []string{k}}, {"value", sums[i]}})
				}
			}
		}
		tv = append(tv, kv{"breakdowns", []any{obj{{"dimension_keys", []string{bd}}, {"results", results}}}})
	}
	return obj{{"name", m.name}, {"period", period}, {"title", m.title}, {"description", m.description}, {"total_value", tv}}
}

func (c *call) demographicsItem(a *Account, m userMetric, bd, timeframe string) obj {
	ds := c.s.ds
	var tv obj
	if bd == "" {
		tv = obj{{"value", ds.demographicsTotal(a, m.name, timeframe)}}
	} else {
		results := []any{}
		for _, b := range ds.Demographics(a.ID, m.name, bd, timeframe) {
			results = append(results, obj{{"dimension_values", b.Dims}, {"value", b.Value}})
		}
		tv = obj{{"breakdowns", []any{obj{{"dimension_keys", metricList(bd)}, {"results", results}}}}}
	}
	return obj{{"name", m.name}, {"period", "lifetime"}, {"title", m.title}, {"description", m.description}, {"total_value", tv}}
}
