package export

import (
	"testing"

	"github.com/igexport/igexport/internal/igfake"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// TestV27MetricsLand: at v27.0, with every media shared to Facebook, the
// metrics added since v23 land in their columns with the emulator's values
// (reels_skip_rate with its decimals), NULL where the product type has no
// such metric; the reference account's calls are logged for comparison
// with v23.0.
func TestV27MetricsLand(t *testing.T) {
	f := newFixture(t, igfake.Options{Accounts: 1, Media: 500, Children: 5, Stories: 3, Seed: 1, SharedToFacebook: "all"})
	f.cfg.GraphAPIVersion = "v27.0"
	start := schema.DateOf(f.now).AddDays(-30)
	f.cfg.Accounts[0].StartDate = &start
	sum := f.apply(Options{})
	if sum.ExitCode != 0 {
		t.Fatalf("exit %d: %+v", sum.ExitCode, sum.Accounts)
	}
	st := f.fake.Stats()
	t.Logf("reference account at v27.0 (all media shared to Facebook): counted API calls %d, HTTP round trips %d, batch POSTs without a top-level token %d",
		st.Calls, st.RoundTrips, st.BatchesWithoutFormToken)
	for ep, n := range st.ByEndpoint {
		t.Logf("  %-40s %d", ep, n)
	}
	ds := f.fake.Dataset()
	acct := ds.Accounts[0]
	dt := schema.DateOf(f.now)
	s := f.store()
	rows := readRows[schema.MediaInsight](t, s, sinks.DataKey(schema.MediaInsights, dt, acct.ID))
	type col struct {
		name string
		get  func(schema.MediaInsight) *int64
	}
	cols := []col{
		{"reposts", func(r schema.MediaInsight) *int64 { return r.Reposts }},
		{"crossposted_views", func(r schema.MediaInsight) *int64 { return r.CrosspostedViews }},
		{"facebook_views", func(r schema.MediaInsight) *int64 { return r.FacebookViews }},
		{"profile_activity", func(r schema.MediaInsight) *int64 { return r.ProfileActivity }},
		{"total_likes", func(r schema.MediaInsight) *int64 { return r.TotalLikes }},
		{"total_comments", func(r schema.MediaInsight) *int64 { return r.TotalComments }},
		{"total_views", func(r schema.MediaInsight) *int64 { return r.TotalViews }},
	}
	checked, skipRates := 0, 0
	for _, r := range rows {
		if r.InsightsStatus != schema.StatusOK {
			continue
		}
		checked++
		if r.ReelsSkipRate != nil {
			skipRates++
		}
		for _, c := range cols {
			want, ok := ds.MediaInsight(r.ID, c.name)
			got := c.get(r)
			if ok != (got != nil) || got != nil && *got != want {
				t.Errorf("%s %s: %v, want %d (served %v)", r.ID, c.name, got, want, ok)
			}
		}
		want, ok := ds.ReelsSkipRate(r.ID)
		if ok != (r.ReelsSkipRate != nil) || r.ReelsSkipRate != nil && *r.ReelsSkipRate != want {
			t.Errorf("%s reels_skip_rate: %v, want %v (served %v)", r.ID, r.ReelsSkipRate, want, ok)
		}
	}
	if checked < 400 || skipRates < 100 {
		t.Errorf("%d rows ok, %d with reels_skip_rate: too few to judge", checked, skipRates)
	}
	stories := 0
	for _, st := range acct.Stories {
		for _, r := range readRows[schema.StoryInsight](t, s, sinks.DataKey(schema.StoryInsights, schema.DateOf(st.Timestamp), acct.ID)) {
			if r.ID != st.ID {
				continue
			}
			stories++
			for name, got := range map[string]*int64{"reposts": r.Reposts, "facebook_views": r.FacebookViews, "profile_activity": r.ProfileActivity, "total_views": r.TotalViews} {
				want, ok := ds.StoryInsight(st.ID, name)
				if ok != (got != nil) || got != nil && *got != want {
					t.Errorf("story %s %s: %v, want %d (served %v)", st.ID, name, got, want, ok)
				}
			}
		}
	}
	if stories != len(acct.Stories) {
		t.Errorf("%d story rows, want %d", stories, len(acct.Stories))
	}
	days := 0
	for _, fi := range streamResult(t, sum, acct.Username, schema.UserInsights).Files {
		k, err := sinks.ParseDataKey(fi.Key)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range readRows[schema.UserInsight](t, s, k.Rel()) {
			want, ok := ds.UserInsight(acct.ID, "reposts", r.Date.Time())
			if ok != (r.Reposts != nil) || r.Reposts != nil && *r.Reposts != want {
				t.Errorf("user_insights %s reposts: %v, want %d (served %v)", r.Date, r.Reposts, want, ok)
			}
			days++
		}
	}
	if days < 25 {
		t.Errorf("%d user_insights days", days)
	}
}
