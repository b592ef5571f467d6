package catalog

import (
	"fmt"
	"slices"
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
	for _, v := range []string{"v21.0", "v22.0", "v23.0"} {
		c, err := For(v)
		if err != nil {
			t.Fatal(err)
		}
		checkDefaults(t, c, defaultsV23)
	}
	for _, v := range []string{"v24.0", "v25.0", "v26.0", "v27.0"} {
		c, err := For(v)
		if err != nil {
			t.Fatal(err)
		}
		checkDefaults(t, c, defaultsV27)
	}
}

type kindDefaults []struct {
	kind Kind
	want string
}

// defaultsV27 are SPEC §1.3's defaults at v24.0 and later (the ⁺ metrics),
// less the Facebook-share-only ones, which are opt-in (table.go).
var defaultsV27 = kindDefaults{
	{Reels, "views,reach,likes,comments,saved,shares,total_interactions,ig_reels_avg_watch_time,ig_reels_video_view_total_time,reposts,reels_skip_rate,total_likes,total_comments,total_views"},
	{FeedImage, "views,reach,likes,comments,saved,shares,total_interactions,follows,profile_visits,reposts,profile_activity,total_likes,total_comments,total_views"},
	{Carousel, "views,reach,likes,comments,saved,shares,total_interactions,follows,profile_visits,reposts,profile_activity,total_likes,total_comments,total_views"},
	{FeedVideo, "views,reach,likes,comments,saved,shares,total_interactions,follows,profile_visits,reposts,profile_activity,total_likes,total_comments,total_views"},
	{Story, "views,reach,shares,total_interactions,follows,profile_visits,replies,navigation,reposts,profile_activity,total_views"},
	{UserTimeSeries, "reach,follower_count"},
	{UserLifetime, "online_followers"},
	{UserTotalValue, "views,accounts_engaged,total_interactions,likes,comments,shares,saves,replies,profile_links_taps,follows_and_unfollows,reposts"},
	{Demographics, "follower_demographics,engaged_audience_demographics"},
}

func checkDefaults(t *testing.T, c *Catalog, tests kindDefaults) {
	t.Helper()
	for _, tt := range tests {
		if got := names(c.Defaults(tt.kind)); got != tt.want {
			t.Errorf("%s %s defaults\n got %s\nwant %s", c.Version(), tt.kind, got, tt.want)
		}
	}
}

// defaultsV23 are the defaults up to v23.0.
var defaultsV23 = kindDefaults{
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

func TestCheck(t *testing.T) {
	tests := []struct {
		version, stream, metric string
		at                      time.Time
		wantErr                 string
	}{
		{"v23.0", "media_insights", "reach", now, ""},
		{"v23.0", "story_insights", "navigation", now, ""},
		{"v23.0", "media_insights", "impressions", now, `metric "impressions" was removed in Graph API v22.0: use views`},
		{"v27.0", "media_insights", "reposts", now, ""},
		{"v27.0", "media_insights", "reels_skip_rate", now, ""},
		{"v27.0", "media_insights", "crossposted_views", now, ""},
		{"v27.0", "media_insights", "facebook_views", now, ""},
		{"v27.0", "media_insights", "profile_activity", now, ""},
		{"v27.0", "media_insights", "total_likes", now, ""},
		{"v27.0", "media_insights", "total_comments", now, ""},
		{"v27.0", "media_insights", "total_views", now, ""},
		{"v27.0", "story_insights", "reposts", now, ""},
		{"v27.0", "story_insights", "facebook_views", now, ""},
		{"v27.0", "story_insights", "profile_activity", now, ""},
		{"v27.0", "story_insights", "total_views", now, ""},
		{"v27.0", "user_insights", "reposts", now, ""},
		{"v27.0", "story_insights", "total_likes", now, `"total_likes" is not a story_insights metric`},
		{"v27.0", "story_insights", "link_clicks", now, "has no column"},
		{"v23.0", "media_insights", "reposts", now, `metric "reposts" needs Graph API v24.0 or later (the configuration pins v23.0)`},
		{"v23.0", "user_insights", "reposts", now, "needs Graph API v24.0"},
		{"v23.0", "media_insights", "reels_skip_rate", now, "needs Graph API v24.0"},
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
		{"v23.0", "media_insights", "video_views", now, `metric "video_views" was removed in Graph API v21.0: use views`},
		{"v23.0", "story_insights", "exits", now, "was removed in Graph API v18.0"},
	}
	for _, v := range []string{"v21.0", "v23.0", "v27.0"} {
		for _, m := range []string{"email_contacts", "get_direction_clicks", "text_message_clicks", "phone_call_clicks", "profile_views", "website_clicks"} {
			tests = append(tests, struct {
				version, stream, metric string
				at                      time.Time
				wantErr                 string
			}{v, "user_insights", m, now, fmt.Sprintf("metric %q was removed in Graph API v21.0", m)})
		}
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

func TestVersions(t *testing.T) {
	want := []string{"v21.0", "v22.0", "v23.0", "v24.0", "v25.0", "v26.0", "v27.0"}
	if got := Versions(); !slices.Equal(got, want) {
		t.Fatalf("Versions() = %v, want %v", got, want)
	}
	if Newest() != "v27.0" {
		t.Fatalf("Newest() = %s", Newest())
	}
	for _, tt := range []struct{ v, expires string }{{"v21.0", "2027-01-21"}, {"v23.0", "2027-10-08"}} {
		vi, ok := Version(tt.v)
		if !ok || vi.Expires.Format(time.DateOnly) != tt.expires || vi.Estimated {
			t.Errorf("%s: %+v, want Meta's expiry %s", tt.v, vi, tt.expires)
		}
	}
	prev := VersionInfo{}
	for _, v := range Versions() {
		vi, _ := Version(v)
		if !vi.Released.Before(vi.Expires) || vi.Released.Before(prev.Released) || vi.Expires.Before(prev.Expires) {
			t.Errorf("%s: dates out of order: %+v after %+v", v, vi, prev)
		}
		prev = vi
	}
}

func TestCheckVersion(t *testing.T) {
	at := func(s string) time.Time { return *day(s) }
	tests := []struct {
		version string
		now     time.Time
		warn    string // substring; "" none
		err     string // substring; "" none
	}{
		{"v21.0", at("2026-10-01"), "", ""},
		{"v21.0", at("2026-10-24"), "graph API v21.0 expires on 2027-01-21, in 89 days", ""},
		{"v21.0", at("2027-01-20"), "in 1 day;", ""},
		{"v21.0", at("2027-01-21"), "", "graph API v21.0 expired on 2027-01-21; pin a newer version (newest: v27.0)"},
		{"v23.0", at("2026-12-02"), "", ""},
		{"v23.0", at("2027-08-01"), "expires on 2027-10-08", ""},
		{"v23.0", at("2027-10-09"), "", "expired on 2027-10-08"},
		{"v27.0", at("2026-12-02"), "", ""},
		{"v26.0", at("2028-10-01"), "estimated", ""},
		{"v20.0", at("2026-12-02"), "", "is not in the metric catalog"},
	}
	for _, tt := range tests {
		w, err := CheckVersion(tt.version, tt.now)
		if tt.warn == "" && w != "" || tt.warn != "" && !strings.Contains(w, tt.warn) {
			t.Errorf("%s at %s: warning %q, want %q", tt.version, tt.now.Format(time.DateOnly), w, tt.warn)
		}
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s at %s: error %v, want %q", tt.version, tt.now.Format(time.DateOnly), err, tt.err)
		}
	}
}

func TestFacebookShareOnly(t *testing.T) {
	c, err := For("v27.0")
	if err != nil {
		t.Fatal(err)
	}
	got := c.FacebookShareOnly([]string{"views", "facebook_views", "reach", "crossposted_views", "reposts"})
	if !slices.Equal(got, []string{"crossposted_views", "facebook_views"}) {
		t.Fatalf("FacebookShareOnly = %v", got)
	}
	for _, m := range c.Metrics() {
		if m.FacebookShareOnly != (m.Name == "crossposted_views" || m.Name == "facebook_views") {
			t.Errorf("%s: FacebookShareOnly = %v", m.Name, m.FacebookShareOnly)
		}
		if m.FacebookShareOnly && m.Default {
			t.Errorf("%s is a default: a media not shared to Facebook would cost a second operation", m.Name)
		}
	}
	// Opt-in: a stream's metrics list selects them.
	if got := names(c.Select(Reels, []string{"views", "crossposted_views", "facebook_views"})); got != "views,crossposted_views,facebook_views" {
		t.Errorf("Select(REELS) = %s", got)
	}
	if got := names(c.Select(Story, []string{"views", "crossposted_views", "facebook_views"})); got != "views,facebook_views" {
		t.Errorf("Select(STORY) = %s", got)
	}
}

func TestProfileActivityBreakdown(t *testing.T) {
	c, err := For("v27.0")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		kind Kind
		want string
	}{{FeedImage, "action_type"}, {Carousel, "action_type"}, {FeedVideo, "action_type"}, {Story, ""}} {
		i := slices.IndexFunc(c.Defaults(tt.kind), func(m Metric) bool { return m.Name == "profile_activity" })
		if i < 0 || c.Defaults(tt.kind)[i].Breakdown != tt.want {
			t.Errorf("%s: profile_activity breakdown, want %q", tt.kind, tt.want)
		}
	}
}

// TestLogins: the total_* metrics and link_clicks are Facebook Login only;
// ForLogin drops them for Instagram Login, CheckLogin says why.
func TestLogins(t *testing.T) {
	c, err := For("v27.0")
	if err != nil {
		t.Fatal(err)
	}
	var fbOnly []string
	for _, m := range c.Metrics() {
		if !m.ServedWith(LoginInstagram) {
			fbOnly = append(fbOnly, m.Name)
		}
		if !m.ServedWith(LoginFacebook) || !m.ServedWith("") {
			t.Errorf("%s: not served with Facebook Login", m.Name)
		}
	}
	if got := strings.Join(fbOnly, ","); got != "total_likes,total_comments,total_views,link_clicks" {
		t.Errorf("Facebook-Login-only metrics: %s", got)
	}
	for _, k := range MediaKinds {
		for _, m := range ForLogin(c.Defaults(k), LoginInstagram) {
			if strings.HasPrefix(m.Name, "total_") && m.Name != "total_interactions" {
				t.Errorf("%s: %s kept for Instagram Login", k, m.Name)
			}
		}
		if len(ForLogin(c.Defaults(k), LoginFacebook)) != len(c.Defaults(k)) {
			t.Errorf("%s: ForLogin(facebook) dropped metrics", k)
		}
	}
	if err := c.CheckLogin("media_insights", "total_views", LoginInstagram); err == nil ||
		err.Error() != `metric "total_views" is served only by the Instagram API with Facebook Login, not with login = "instagram"` {
		t.Errorf("CheckLogin: %v", err)
	}
	for _, tc := range [][3]string{{"media_insights", "views", LoginInstagram}, {"media_insights", "total_views", LoginFacebook}, {"story_insights", "reach", LoginInstagram}} {
		if err := c.CheckLogin(tc[0], tc[1], tc[2]); err != nil {
			t.Errorf("CheckLogin%v: %v", tc, err)
		}
	}
}
