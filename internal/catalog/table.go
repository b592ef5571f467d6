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

// metrics is the whole table: every metric of every version. An entry with
// Since set exists from that version on (For leaves it out of older ones);
// the SPEC §1.3 defaults plus the removed names that validate must reject
// with a clear reason.
func metrics() []Metric {
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

		// media and story insights added by the changelog of 2025-12-03 and
		// 2026-04-22 (graph-api.md §10.2), modelled from v24.0 on
		{Name: "reposts", Kinds: allMedia, Period: "lifetime", Default: true, Column: "reposts", Since: "v24.0"},
		{Name: "reels_skip_rate", Kinds: []Kind{Reels}, Period: "lifetime", Default: true, Column: "reels_skip_rate", Since: "v24.0",
			Note: "a percentage with decimals"},
		// The Facebook-share-only metrics are not defaults: asking them
		// costs a second operation per media not shared to Facebook, and no
		// exact request shape avoids it (export/insights.go, shareOnlyRule).
		{Name: "crossposted_views", Kinds: []Kind{Reels}, Period: "lifetime", Column: "crossposted_views", Since: "v24.0",
			FacebookShareOnly: true, Note: "views on Instagram and Facebook; only for reels shared to Facebook; not a default (one more call per reel not shared)"},
		{Name: "facebook_views", Kinds: allMedia, Period: "lifetime", Column: "facebook_views", Since: "v24.0",
			FacebookShareOnly: true, Note: "only for media shared to Facebook; not a default (one more call per media not shared)"},
		{Name: "profile_activity", Kinds: feed, Period: "lifetime", Breakdown: "action_type", BucketPrefix: "profile_activity_", Default: true, Column: "profile_activity", Since: "v24.0",
			Note: "the total; with profile_activity_breakdown the action_type buckets too (profile_activity_<bucket> columns), asked in an operation of its own"},
		{Name: "profile_activity", Kinds: []Kind{Story}, Period: "lifetime", Default: true, Column: "profile_activity", Since: "v24.0"},
		{Name: "total_likes", Kinds: feedReel, Period: "lifetime", Default: true, Column: "total_likes", Since: "v24.0",
			Logins: facebookOnly, Note: "boosted and ad copies included"},
		{Name: "total_comments", Kinds: feedReel, Period: "lifetime", Default: true, Column: "total_comments", Since: "v24.0",
			Logins: facebookOnly, Note: "boosted and ad copies included"},
		{Name: "total_views", Kinds: allMedia, Period: "lifetime", Default: true, Column: "total_views", Since: "v24.0",
			Logins: facebookOnly, Note: "boosted and ad copies included"},
		{Name: "link_clicks", Kinds: []Kind{Story}, Period: "lifetime", Since: "v24.0", Logins: facebookOnly,
			Note: "since 2026-06-22; igexport has no column for it"},

		// account insights, time series over 30-day windows
		{Name: "reach", Kinds: []Kind{UserTimeSeries}, Period: "day", MetricType: "time_series", Default: true, Column: "reach"},
		{Name: "follower_count", Kinds: []Kind{UserTimeSeries}, Period: "day", MetricType: "time_series", Default: true, Column: "follower_count",
			Note: "served for the last 30 days only, excluding today"},
		// account insights, lifetime
		{Name: "online_followers", Kinds: []Kind{UserLifetime}, Period: "lifetime", Default: true, Column: "online_followers",
			Note: "served for the last 30 days only, one hourly map per day"},
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
		{Name: "reposts", Kinds: []Kind{UserTotalValue}, Period: "day", MetricType: "total_value", Default: true, Column: "reposts", Since: "v24.0"},

		// demographics
		{Name: "follower_demographics", Kinds: []Kind{Demographics}, Period: "lifetime", MetricType: "total_value", Default: true, Column: "value",
			Note: "not returned for accounts under 100 followers"},
		{Name: "engaged_audience_demographics", Kinds: []Kind{Demographics}, Period: "lifetime", MetricType: "total_value", Default: true, Column: "value",
			Note: "not returned under 100 engagements in the timeframe"},
		{Name: "reached_audience_demographics", Kinds: []Kind{Demographics}, Period: "lifetime", MetricType: "total_value", Column: "value"},

		// removed names (rejected by validate with the reason)
		{Name: "impressions", Kinds: append(feedStry, UserTimeSeries, UserTotalValue), Removed: true, RemovedIn: "v22.0", Deprecated: impressionsEnd, Note: "use views"},
		{Name: "plays", Kinds: []Kind{Reels}, Removed: true, RemovedIn: "v22.0", Deprecated: impressionsEnd, Note: "use views"},
		{Name: "clips_replays_count", Kinds: []Kind{Reels}, Removed: true, RemovedIn: "v22.0", Deprecated: impressionsEnd, Note: "use views"},
		{Name: "ig_reels_aggregated_all_plays_count", Kinds: []Kind{Reels}, Removed: true, RemovedIn: "v22.0", Deprecated: impressionsEnd, Note: "use views"},
		{Name: "video_views", Kinds: []Kind{FeedVideo, Reels}, Removed: true, RemovedIn: "v21.0", Deprecated: v21Removal, Note: "use views"},
		{Name: "engagement", Kinds: feed, Removed: true, RemovedIn: "v18.0", Deprecated: day("2023-12-11"), Note: "use total_interactions"},
		{Name: "taps_forward", Kinds: []Kind{Story}, Removed: true, RemovedIn: "v18.0", Deprecated: day("2023-12-11"), Note: "use navigation (tap_forward column)"},
		{Name: "taps_back", Kinds: []Kind{Story}, Removed: true, RemovedIn: "v18.0", Deprecated: day("2023-12-11"), Note: "use navigation (tap_back column)"},
		{Name: "exits", Kinds: []Kind{Story}, Removed: true, RemovedIn: "v18.0", Deprecated: day("2023-12-11"), Note: "use navigation (tap_exit column)"},
		{Name: "email_contacts", Kinds: userKinds, Removed: true, RemovedIn: "v21.0", Deprecated: v21Removal, Note: "use profile_links_taps"},
		{Name: "get_direction_clicks", Kinds: userKinds, Removed: true, RemovedIn: "v21.0", Deprecated: v21Removal, Note: "use profile_links_taps"},
		{Name: "text_message_clicks", Kinds: userKinds, Removed: true, RemovedIn: "v21.0", Deprecated: v21Removal, Note: "use profile_links_taps"},
		{Name: "phone_call_clicks", Kinds: userKinds, Removed: true, RemovedIn: "v21.0", Deprecated: v21Removal, Note: "use profile_links_taps"},
		{Name: "profile_views", Kinds: userKinds, Removed: true, RemovedIn: "v21.0", Deprecated: v21Removal},
		{Name: "website_clicks", Kinds: userKinds, Removed: true, RemovedIn: "v21.0", Deprecated: v21Removal},
	}
}

// v21Removal is when the v21.0 removals reached every version (changelog
// 2025-01-08).
var v21Removal = day("2025-01-08")

// userKinds are the kinds of the user_insights stream.
var userKinds = []Kind{UserTimeSeries, UserTotalValue, UserLifetime}

// tweaks adjust the table for one version after For has filtered it.
var tweaks = map[string]func([]Metric){
	// v21 still serves impressions until its deprecation date (for media
	// created before 2024-07-02): Check rejects it after 2025-04-21 and plan
	// warns in the 90 days before.
	"v21.0": func(ms []Metric) {
		for i := range ms {
			if ms[i].Name == "impressions" {
				ms[i].Removed = false
				ms[i].Kinds = feedStry
				ms[i].Period = "lifetime"
				ms[i].Note = "deprecated on every version from 2025-04-21; igexport has no column for it"
			}
		}
	},
}

// versionTable lists the Graph API versions the catalog models, oldest
// first. Meta's policy: a version stops working two years after the next
// one is released. Dates Meta published are taken as such; the others follow
// the policy (the newest version: at least two years after its own release)
// and are marked Estimated. v26.0 and v27.0 changed nothing on the Instagram
// side (graph-api.md §10.1).
var versionTable = []VersionInfo{
	{Name: "v21.0", Released: *day("2024-10-02"), Expires: *day("2027-01-21")},
	{Name: "v22.0", Released: *day("2025-01-21"), Expires: *day("2027-05-29"), Estimated: true},
	{Name: "v23.0", Released: *day("2025-05-29"), Expires: *day("2027-10-08")},
	{Name: "v24.0", Released: *day("2025-10-08"), Expires: *day("2028-02-18"), Estimated: true},
	{Name: "v25.0", Released: *day("2026-02-18"), Expires: *day("2028-07-29"), Estimated: true},
	{Name: "v26.0", Released: *day("2026-07-29"), Expires: *day("2028-11-04"), Estimated: true},
	{Name: "v27.0", Released: *day("2026-11-04"), Expires: *day("2028-11-04"), Estimated: true},
}
