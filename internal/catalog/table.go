package catalog

import "time"

// The table. Sources: ../shared/reference/graph-api.md §7 (Meta's insights
// references and changelog as of 2026-09) and SPEC §1.3.

var (
	feed     = []Kind{FeedImage, FeedVideo, Carousel}
	feedReel = []Kind{FeedImage, FeedVideo, Carousel, Reels}
	allMedia = []Kind{FeedImage, FeedVideo, Carousel, Reels, Story}
	feedStry = []Kind{FeedImage, FeedVideo, Carousel, Story}
)

func day(s string) *time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// impressionsEnd is when impressions, plays and friends stopped being served
// on every version (changelog 2025-01-21: "all versions from 2025-04-21").
var impressionsEnd = day("2025-04-21")

// base is the v22.0+ table: the SPEC §1.3 defaults plus the removed names
// that validate must reject with a clear reason.
func base() []Metric {
	return []Metric{
		// media and story insights (period lifetime)
		{Name: "views", Kinds: allMedia, Period: "lifetime", Default: true, Column: "views"},
		{Name: "reach", Kinds: allMedia, Period: "lifetime", Default: true, Column: "reach"},
		{Name: "likes", Kinds: feedReel, Period: "lifetime", Default: true, Column: "likes"},
		{Name: "comments", Kinds: feedReel, Period: "lifetime", Default: true, Column: "comments"},
		{Name: "saved", Kinds: feedReel, Period: "lifetime", Default: true, Column: "saved"},
		{Name: "shares", Kinds: allMedia, Period: "lifetime", Default: true, Column: "shares"},
		{Name: "total_interactions", Kinds: allMedia, Period: "lifetime", Default: true, Column: "total_interactions"},
		{Name: "follows", Kinds: feedStry, Period: "lifetime", Default: true, Column: "follows"},
		{Name: "profile_visits", Kinds: feedStry, Period: "lifetime", Default: true, Column: "profile_visits"},
		{Name: "ig_reels_avg_watch_time", Kinds: []Kind{Reels}, Period: "lifetime", Default: true, Column: "ig_reels_avg_watch_time", Note: "milliseconds"},
		{Name: "ig_reels_video_view_total_time", Kinds: []Kind{Reels}, Period: "lifetime", Default: true, Column: "ig_reels_video_view_total_time", Note: "milliseconds"},
		{Name: "replies", Kinds: []Kind{Story}, Period: "lifetime", Default: true, Column: "replies"},
		{Name: "navigation", Kinds: []Kind{Story}, Period: "lifetime", Breakdown: "story_navigation_action_type", Default: true, Column: "navigation",
			Note: "requested as its own operation (a breakdown metric cannot share a request with plain metrics)"},

		// account insights, time series over 30-day windows
		{Name: "reach", Kinds: []Kind{UserTimeSeries}, Period: "day", MetricType: "time_series", Default: true, Column: "reach"},
		{Name: "follower_count", Kinds: []Kind{UserTimeSeries}, Period: "day", MetricType: "time_series", Default: true, Column: "follower_count",
			Note: "served for the last 30 days only, excluding today"},
		// account insights, lifetime
		{Name: "online_followers", Kinds: []Kind{UserLifetime}, Period: "lifetime", Default: true, Column: "online_followers",
			Note: "served for the last 30 days only"},
		// account insights, total_value, one day per request
		{Name: "views", Kinds: []Kind{UserTotalValue}, Period: "day", MetricType: "total_value", Default: true, Column: "views"},
		{Name: "accounts_engaged", Kinds: []Kind{UserTotalValue}, Period: "day", MetricType: "total_value", Default: true, Column: "accounts_engaged"},
		{Name: "total_interactions", Kinds: []Kind{UserTotalValue}, Period: "day", MetricType: "total_value", Default: true, Column: "total_interactions"},
		{Name: "likes", Kinds: []Kind{UserTotalValue}, Period: "day", MetricType: "total_value", Default: true, Column: "likes"},
		{Name: "comments", Kinds: []Kind{UserTotalValue}, Period: "day", MetricType: "total_value", Default: true, Column: "comments"},
		{Name: "shares", Kinds: []Kind{UserTotalValue}, Period: "day", MetricType: "total_value", Default: true, Column: "shares"},
		{Name: "saves", Kinds: []Kind{UserTotalValue}, Period: "day", MetricType: "total_value", Default: true, Column: "saves"},
		{Name: "replies", Kinds: []Kind{UserTotalValue}, Period: "day", MetricType: "total_value", Default: true, Column: "replies"},
		{Name: "profile_links_taps", Kinds: []Kind{UserTotalValue}, Period: "day", MetricType: "total_value", Default: true, Column: "profile_links_taps"},
		{Name: "follows_and_unfollows", Kinds: []Kind{UserTotalValue}, Period: "day", MetricType: "total_value", Breakdown: "follow_type", Default: true, Column: "follows",
			Note: "split into follows (FOLLOWER) and unfollows (NON_FOLLOWER) by follow_type"},

		// demographics
		{Name: "follower_demographics", Kinds: []Kind{Demographics}, Period: "lifetime", MetricType: "total_value", Default: true, Column: "value",
			Note: "not returned for accounts under 100 followers"},
		{Name: "engaged_audience_demographics", Kinds: []Kind{Demographics}, Period: "lifetime", MetricType: "total_value", Default: true, Column: "value",
			Note: "not returned under 100 engagements in the timeframe"},
		{Name: "reached_audience_demographics", Kinds: []Kind{Demographics}, Period: "lifetime", MetricType: "total_value", Column: "value"},

		// removed names (rejected by validate with the reason)
		{Name: "impressions", Kinds: append(feedStry, UserTimeSeries, UserTotalValue), Removed: true, Deprecated: impressionsEnd, Note: "use views"},
		{Name: "plays", Kinds: []Kind{Reels}, Removed: true, Deprecated: impressionsEnd, Note: "use views"},
		{Name: "clips_replays_count", Kinds: []Kind{Reels}, Removed: true, Deprecated: impressionsEnd, Note: "use views"},
		{Name: "ig_reels_aggregated_all_plays_count", Kinds: []Kind{Reels}, Removed: true, Deprecated: impressionsEnd, Note: "use views"},
		{Name: "video_views", Kinds: []Kind{FeedVideo, Reels}, Removed: true, Deprecated: day("2025-01-08"), Note: "removed in v21.0; use views"},
		{Name: "engagement", Kinds: feed, Removed: true, Deprecated: day("2023-12-11"), Note: "use total_interactions"},
		{Name: "taps_forward", Kinds: []Kind{Story}, Removed: true, Deprecated: day("2023-12-11"), Note: "use navigation (tap_forward column)"},
		{Name: "taps_back", Kinds: []Kind{Story}, Removed: true, Deprecated: day("2023-12-11"), Note: "use navigation (tap_back column)"},
		{Name: "exits", Kinds: []Kind{Story}, Removed: true, Deprecated: day("2023-12-11"), Note: "use navigation (tap_exit column)"},
		{Name: "profile_views", Kinds: []Kind{UserTimeSeries}, Removed: true, Deprecated: day("2025-01-08"), Note: "removed as a time series in v21.0"},
		{Name: "website_clicks", Kinds: []Kind{UserTimeSeries}, Removed: true, Deprecated: day("2025-01-08"), Note: "removed as a time series in v21.0"},
	}
}

// v21 still serves impressions until its deprecation date (for media
// created before 2024-07-02): Check rejects it after 2025-04-21 and plan
// warns in the 90 days before.
func v21() []Metric {
	ms := base()
	for i := range ms {
		if ms[i].Name == "impressions" {
			ms[i].Removed = false
			ms[i].Kinds = feedStry
			ms[i].Period = "lifetime"
			ms[i].Note = "deprecated on every version from 2025-04-21; igexport has no column for it"
		}
	}
	return ms
}

var versions = map[string]func() []Metric{
	"v21.0": v21,
	"v22.0": base,
	"v23.0": base,
	"v24.0": base,
	"v25.0": base,
}
