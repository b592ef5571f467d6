package igfake

import (
	"slices"
	"strings"
)

// mediaMetric is one row of the media-insights validity table (graph-api.md
// §7.3, v23.0). The emulator keeps its own table, independent of the
// exporter's catalog, so that it can catch the exporter's mistakes.
type mediaMetric struct {
	name               string
	feed, reels, story bool
	breakdown          string // the breakdown the metric supports ("" none)
	crosspost          bool   // only for media shared to Facebook (else -1/2207086)
	float              bool
	title              string
	description        string
}

func (mm mediaMetric) validFor(m *Media) bool {
	switch m.MediaProductType {
	case "REELS":
		return mm.reels
	case "STORY":
		return mm.story
	default:
		return mm.feed
	}
}

var mediaMetrics = []mediaMetric{
	{"views", true, true, true, "", false, false, "Views", "The number of times your content was played or displayed."},
	{"reach", true, true, true, "", false, false, "Accounts reached", "The number of unique accounts that have seen your content, at least once."},
	{"likes", true, true, false, "", false, false, "Likes", "The number of likes on your post."},
	{"comments", true, true, false, "", false, false, "Comments", "The number of comments on your post."},
	{"saved", true, true, false, "", false, false, "Saved", "The number of saves of your post."},
	{"shares", true, true, true, "", false, false, "Shares", "The number of shares of your post."},
	{"total_interactions", true, true, true, "", false, false, "Interactions", "The number of likes, saves, comments and shares on your post, minus the number of unlikes, unsaves and deleted comments."},
	{"follows", true, false, true, "", false, false, "Follows", "The number of accounts that started following you."},
	{"profile_visits", true, false, true, "", false, false, "Profile visits", "The number of times your profile was visited."},
	{"profile_activity", true, false, true, "action_type", false, false, "Profile activity", "The number of actions people took when they visited your profile after engaging with your post."},
	{"reposts", true, true, true, "", false, false, "Reposts", "The number of times your media was reposted."},
	{"ig_reels_avg_watch_time", false, true, false, "", false, false, "Average watch time", "The average amount of time spent playing your reel, in milliseconds."},
	{"ig_reels_video_view_total_time", false, true, false, "", false, false, "Watch time", "The total amount of time your reel was played, including replays, in milliseconds."},
	{"reels_skip_rate", false, true, false, "", false, true, "Skip rate", "The percentage of views of your reel skipped in the first three seconds."},
	{"crossposted_views", false, true, false, "", true, false, "Crossposted views", "Views of your reel on Instagram and Facebook."},
	{"facebook_views", true, true, true, "", true, false, "Facebook views", "Views of your content on Facebook."},
	{"navigation", false, false, true, "story_navigation_action_type", false, false, "Navigation", "The total number of actions taken from your story."},
	{"replies", false, false, true, "", false, false, "Replies", "The number of replies to your story."},
	{"link_clicks", false, false, true, "", false, false, "Link clicks", "The number of taps on the link sticker of your story."},
	{"total_likes", true, true, false, "", false, false, "Total likes", "Likes on every surface, including boosted copies."},
	{"total_comments", true, true, false, "", false, false, "Total comments", "Comments on every surface, including boosted copies."},
	{"total_views", true, true, true, "", false, false, "Total views", "Views on every surface, including boosted copies."},
}

var mediaMetricByName = func() map[string]mediaMetric {
	m := map[string]mediaMetric{}
	for _, x := range mediaMetrics {
		m[x.name] = x
	}
	return m
}()

// noLongerSupported are the metrics deprecated on v22+ and, since
// 2025-04-21, on every version.
var noLongerSupported = map[string]bool{"impressions": true, "plays": true, "clips_replays_count": true,
	"ig_reels_aggregated_all_plays_count": true}

func errNoLongerSupported(metric string) *apiError {
	return errParam("Starting from version 22 and above, the %s metric is no longer supported", metric)
}

var mediaBreakdowns = []string{"follow_type", "surface_type", "action_type", "story_navigation_action_type"}

var periods = []string{"day", "week", "days_28", "month", "lifetime", "total_over_range"}

// metricList splits a comma list, dropping blanks.
func metricList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// mediaInsights serves GET /{media-id}/insights (and insights.metric(…)
// field expansion).
func (c *call) mediaInsights(m *Media, q interface{ Get(string) string }) (any, *apiError) {
	ds := c.s.ds
	if m.IsChild() {
		return nil, errUnsupportedGet("GET", m.ID+"/insights")
	}
	names := metricList(q.Get("metric"))
	if len(names) == 0 {
		return nil, errParam("(#100) The parameter metric is required")
	}
	if p := q.Get("period"); p != "" && !slices.Contains(periods, p) {
		return nil, errParam("(#100) period must be one of the following values: %s", strings.Join(periods, ", "))
	}
	var valid []string
	for _, x := range mediaMetrics {
		if c.s.servesMetric(x.name) {
			valid = append(valid, x.name)
		}
	}
	for i, n := range names {
		switch _, ok := mediaMetricByName[n]; {
		case noLongerSupported[n]:
			return nil, errNoLongerSupported(n)
		case !ok || !c.s.servesMetric(n):
			return nil, errParam("(#100) metric[%d] must be one of the following values: %s", i, strings.Join(valid, ", "))
		}
	}
	bd := strings.TrimSpace(q.Get("breakdown"))
	if bd != "" {
		for i, b := range metricList(bd) {
			if !slices.Contains(mediaBreakdowns, b) {
				return nil, errParam("(#100) breakdown[%d] must be one of the following values: %s", i, strings.Join(mediaBreakdowns, ", "))
			}
		}
		var with, plain []string
		for _, n := range names {
			if mediaMetricByName[n].breakdown == bd {
				with = append(with, n)
			} else {
				plain = append(plain, n)
			}
		}
		if len(with) == 0 {
			return nil, errUnknown()
		}
		if len(plain) > 0 {
			return nil, errParam("(#100) Incompatible breakdowns (%s) for metric (%s)", bd, plain[0])
		}
	}
	for _, n := range names {
		if !mediaMetricByName[n].validFor(m) {
			return nil, errParam("(#100) The Media Insights API does not support the %s metric for this media product type.", n)
		}
	}
	served, err := ds.mediaServed(m, names, ds.lowViewerMetric)
	if err != nil {
		return nil, err
	}
	if !served {
		return obj{{"data", []any{}}}, nil
	}
	vals := ds.mediaValues(m)
	data := []any{}
	for _, n := range names {
		mm := mediaMetricByName[n]
		if mm.crosspost && !m.SharedToFacebook {
			return nil, errNotShared(c.s.o.Faults.NotSharedError)
		}
		var v any = vals[n]
		if mm.float {
			v, _ = ds.ReelsSkipRate(m.ID)
		}
		item := obj{{"name", n}, {"period", "lifetime"}, {"values", []any{obj{{"value", v}}}},
			{"title", mm.title}, {"description", mm.description}}
		if bd != "" {
			buckets := navigationTypes
			if bd == "action_type" {
				buckets = actionTypes
			}
			results := []any{}
			for _, b := range buckets {
				if vals[b] > 0 {
					results = append(results, obj{{"dimension_values", []string{b}}, {"value", vals[b]}})
				}
			}
			item = append(item, kv{"total_value", obj{{"value", v},
				{"breakdowns", []any{obj{{"dimension_keys", []string{bd}}, {"results", results}}}}}})
		}
		data = append(data, append(item, kv{"id", m.ID + "/insights/" + n + "/lifetime"}))
	}
	return obj{{"data", data}}, nil
}
