package catalog

import (
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func names(ms []Metric) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return strings.Join(out, ",")
}

func TestDefaultsMatchSpec(t *testing.T) {
	c, err := For("v23.0")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kind Kind
		want string
	}{
		{Reels, "views,reach,likes,comments,saved,shares,total_interactions,ig_reels_avg_watch_time,ig_reels_video_view_total_time"},
		{FeedImage, "views,reach,likes,comments,saved,shares,total_interactions,follows,profile_visits"},
		{Carousel, "views,reach,likes,comments,saved,shares,total_interactions,follows,profile_visits"},
		{FeedVideo, "views,reach,likes,comments,saved,shares,total_interactions,follows,profile_visits"},
		{Story, "views,reach,shares,total_interactions,follows,profile_visits,replies,navigation"},
		{UserTimeSeries, "reach,follower_count"},
		{UserLifetime, "online_followers"},
		{UserTotalValue, "views,accounts_engaged,total_interactions,likes,comments,shares,saves,replies,profile_links_taps,follows_and_unfollows"},
		{Demographics, "follower_demographics,engaged_audience_demographics"},
	}
	for _, tt := range tests {
		if got := names(c.Defaults(tt.kind)); got != tt.want {
			t.Errorf("%s defaults\n got %s\nwant %s", tt.kind, got, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		version, stream, metric string
		at                      time.Time
		wantErr                 string
	}{
		{"v23.0", "media_insights", "reach", now, ""},
		{"v23.0", "story_insights", "navigation", now, ""},
		{"v23.0", "media_insights", "impressions", now, `metric "impressions" was removed from Graph API v23.0: use views`},
		{"v23.0", "media_insights", "plays", now, "was removed"},
		{"v23.0", "story_insights", "exits", now, "use navigation"},
		{"v23.0", "media_insights", "replies", now, `"replies" is not a media_insights metric`},
		{"v23.0", "media_insights", "bogus", now, "valid: views, reach"},
		{"v23.0", "user_insights", "follower_count", now, ""},
		{"v23.0", "user_insights", "reach", now, ""},
		{"v23.0", "user_insights", "views", now, ""},
		{"v23.0", "story_insights", "replies", now, ""},
		{"v23.0", "user_lifetime_insights", "follower_demographics", now, ""},
		{"v23.0", "user_insights", "navigation", now, "is not a user_insights metric"},
		{"v21.0", "media_insights", "impressions", now, "has no column"},
		{"v23.0", "users", "reach", now, "has no metrics"},
	}
	for _, tt := range tests {
		c, err := For(tt.version)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Check(tt.stream, tt.metric, tt.at)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s %s/%s: unexpected %v", tt.version, tt.stream, tt.metric, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s %s/%s: got %v, want %q", tt.version, tt.stream, tt.metric, err, tt.wantErr)
		}
	}
}

func TestWarningNearDeprecation(t *testing.T) {
	soon := now.Add(30 * 24 * time.Hour)
	c := New("v99.0", []Metric{{Name: "reach", Kinds: []Kind{Reels}, Default: true, Column: "reach", Deprecated: &soon}})
	if w := c.Warning("reach", now); !strings.Contains(w, "will be deprecated on 2026-12-22") {
		t.Fatalf("warning = %q", w)
	}
	if w := c.Warning("reach", now.Add(-365*24*time.Hour)); w != "" {
		t.Fatalf("too early, got %q", w)
	}
	if err := c.Check("media_insights", "reach", soon); err == nil {
		t.Fatal("past its deprecation date should be rejected")
	}
}

func TestUnknownVersion(t *testing.T) {
	if _, err := For("v2.0"); err == nil || !strings.Contains(err.Error(), "v23.0") {
		t.Fatalf("got %v", err)
	}
}

func TestKindOf(t *testing.T) {
	tests := []struct {
		mt, pt string
		want   Kind
	}{
		{"IMAGE", "FEED", FeedImage}, {"VIDEO", "FEED", FeedVideo}, {"CAROUSEL_ALBUM", "FEED", Carousel},
		{"VIDEO", "REELS", Reels}, {"VIDEO", "STORY", Story}, {"IMAGE", "AD", ""},
	}
	for _, tt := range tests {
		if got := KindOf(tt.mt, tt.pt); got != tt.want {
			t.Errorf("KindOf(%s,%s)=%s want %s", tt.mt, tt.pt, got, tt.want)
		}
	}
}
