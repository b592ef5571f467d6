package export

import (
	"strconv"
	"strings"
	"testing"
	"time"

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
		d, _ := schema.ParseDate(fi.Key[strings.Index(fi.Key, "dt=")+3:][:10])
		for _, r := range readRows[schema.UserInsight](t, s, sinks.DataKey(schema.UserInsights, d, acct.ID)) {
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

// TestShareOnlyMetricsCostNoSecondOperation: at v27.0 with the emulator's
// default (a third of the reels shared to Facebook), a media rejecting the
// share-only metrics costs a second operation in the first batch at most;
// the account's later media are not asked them (NULL, partial), the state
// remembers it, and the next run's plan counts exactly what apply sends.
func TestShareOnlyMetricsCostNoSecondOperation(t *testing.T) {
	f := newPlanFixture(t, igfake.Options{Accounts: 1, Media: 250, Stories: 3, Seed: 3})
	f.cfg.GraphAPIVersion = "v27.0"
	sum := f.apply(Options{})
	if sum.ExitCode != 0 {
		t.Fatalf("exit %d: %+v", sum.ExitCode, sum.Accounts)
	}
	acct := f.fake.Dataset().Accounts[0]
	mi := streamResult(t, sum, acct.Username, schema.MediaInsights)
	if mi.Counters.Rows != 250 {
		t.Fatalf("%d media_insights rows, want 250", mi.Counters.Rows)
	}
	if mi.Counters.Calls > 250+batchSize {
		t.Errorf("first run: %d media_insights calls for 250 media: share-only rejections cost a second operation beyond the first batch", mi.Counters.Calls)
	}
	ds := f.fake.Dataset()
	rows := readRows[schema.MediaInsight](t, openStore(t, f.cfg.Destination.URL, f.cfg.Destination.Prefix),
		sinks.DataKey(schema.MediaInsights, schema.DateOf(planNow), acct.ID))
	if len(rows) != 250 {
		t.Fatalf("%d rows", len(rows))
	}
	partial := 0
	for _, r := range rows {
		if r.InsightsStatus == schema.StatusPartial {
			partial++
		}
		if r.FacebookViews != nil {
			if want, ok := ds.MediaInsight(r.ID, "facebook_views"); !ok || *r.FacebookViews != want {
				t.Errorf("%s facebook_views %d, want %d (served %v)", r.ID, *r.FacebookViews, want, ok)
			}
		} else if r.InsightsStatus == schema.StatusOK && r.TotalViews != nil {
			t.Errorf("%s: facebook_views NULL but status ok", r.ID)
		}
		if want, ok := ds.MediaInsight(r.ID, "total_views"); ok && (r.TotalViews == nil || *r.TotalViews != want) {
			t.Errorf("%s total_views %v, want %d", r.ID, r.TotalViews, want)
		}
	}
	if partial < 150 {
		t.Errorf("%d partial rows, want the unshared media's (most of 250)", partial)
	}
	for run := 2; run <= 3; run++ {
		p := f.plan(Options{})
		f.fake.ResetStats()
		sum = f.apply(Options{})
		for _, s := range sum.Accounts[0].Streams {
			sp := streamPlan(t, p, acct.ID, s.Stream)
			if sp.Estimate.Calls != s.Counters.Calls || sp.Estimate.RoundTrips != s.Counters.RoundTrips {
				t.Errorf("run %d %s: planned %d calls / %d round trips, made %d / %d", run, s.Stream,
					sp.Estimate.Calls, sp.Estimate.RoundTrips, s.Counters.Calls, s.Counters.RoundTrips)
			}
		}
		if st := f.fake.Stats(); st.Calls != p.Totals.Calls {
			t.Errorf("run %d: emulator counted %d calls, plan %d", run, st.Calls, p.Totals.Calls)
		}
	}
}

// TestReferenceAccountCallsV23V27: the reference account's first run at
// v23.0 and at v27.0 with the emulator's default sharing (a third of the
// reels shared to Facebook): the new metrics ride in the same operations,
// the share-only rejections cost a second operation in the first batch at
// most.
func TestReferenceAccountCallsV23V27(t *testing.T) {
	calls := map[string][2]int64{}
	for _, v := range []string{"v23.0", "v27.0"} {
		f := newFixture(t, igfake.Options{Accounts: 1, Media: 500, Children: 5, Stories: 3, Seed: 1})
		f.cfg.GraphAPIVersion = v
		start := schema.DateOf(f.now).AddDays(-30)
		f.cfg.Accounts[0].StartDate = &start
		sum := f.apply(Options{})
		if sum.ExitCode != 0 {
			t.Fatalf("%s: exit %d: %+v", v, sum.ExitCode, sum.Accounts)
		}
		st := f.fake.Stats()
		calls[v] = [2]int64{st.Calls, st.RoundTrips}
		t.Logf("reference account at %s: counted API calls %d, HTTP round trips %d", v, st.Calls, st.RoundTrips)
	}
	if d := calls["v27.0"][0] - calls["v23.0"][0]; d > batchSize {
		t.Errorf("v27.0 costs %d calls more than v23.0 (%v): the new metrics must ride in the same operations", d, calls)
	}
}

// TestDailyUntilInsideTheDay: every windowed account-insights request ends
// one second before its day's end boundary, so the daily totals are one
// day each whether the API treats until inclusively (as Meta does) or not.
func TestDailyUntilInsideTheDay(t *testing.T) {
	for _, inclusive := range []bool{true, false} {
		f := newFixtureUntilAsIs(t, igfake.Options{Accounts: 1, Media: 5, Seed: 7, UntilInclusive: inclusive})
		f.cfg.Streams = []string{schema.UserInsights}
		sum := f.apply(Options{})
		if sum.ExitCode != 0 {
			t.Fatalf("inclusive %v: exit %d: %+v", inclusive, sum.ExitCode, sum.Accounts)
		}
		ds := f.fake.Dataset()
		acct := ds.Accounts[0]
		days := 0
		for _, fi := range streamResult(t, sum, acct.Username, schema.UserInsights).Files {
			k, err := sinks.ParseDataKey(fi.Key)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range readRows[schema.UserInsight](t, f.store(), sinks.DataKey(schema.UserInsights, k.Date, acct.ID)) {
				days++
				for name, got := range map[string]*int64{"views": r.Views, "reach": r.Reach, "likes": r.Likes, "follows": r.Follows} {
					want, ok := ds.UserInsight(acct.ID, name, r.Date.Time())
					if ok != (got != nil) || got != nil && *got != want {
						t.Errorf("inclusive %v: %s %s: %s, want %d (served %v)", inclusive, r.Date, name, fmtPtr(got), want, ok)
					}
				}
			}
		}
		if days < 9 {
			t.Errorf("inclusive %v: %d days", inclusive, days)
		}
	}
}

func fmtPtr(p *int64) string {
	if p == nil {
		return "NULL"
	}
	return strconv.FormatInt(*p, 10)
}

// TestFollowerCountThirtyDays: a first run reaching back past 30 days has
// follower_count on each of the last 30 days, the 30th day back included.
func TestFollowerCountThirtyDays(t *testing.T) {
	f := newFixture(t, igfake.Options{Accounts: 1, Media: 5, Seed: 5, Location: time.UTC})
	f.cfg.Streams = []string{schema.UserInsights}
	start := schema.DateOf(f.now).AddDays(-40)
	f.cfg.Accounts[0].StartDate = &start
	sum := f.apply(Options{})
	if sum.ExitCode != 0 {
		t.Fatalf("exit %d: %+v", sum.ExitCode, sum.Accounts)
	}
	ds := f.fake.Dataset()
	acct := ds.Accounts[0]
	got := map[schema.Date]*int64{}
	for _, fi := range streamResult(t, sum, acct.Username, schema.UserInsights).Files {
		k, _ := sinks.ParseDataKey(fi.Key)
		for _, r := range readRows[schema.UserInsight](t, f.store(), sinks.DataKey(schema.UserInsights, k.Date, acct.ID)) {
			got[r.Date] = r.FollowerCount
		}
	}
	// An account on UTC: the API serves today-30 .. today-1.
	today := schema.DateOf(f.now)
	for d := today.AddDays(-30); d < today; d = d.AddDays(1) {
		want, ok := ds.UserInsight(acct.ID, "follower_count", d.Time())
		if !ok {
			t.Errorf("%s: the emulator serves no follower_count", d)
			continue
		}
		if g := got[d]; g == nil || *g != want {
			t.Errorf("%s follower_count %s, want %d", d, fmtPtr(g), want)
		}
	}
	if g := got[today.AddDays(-31)]; g != nil {
		t.Errorf("follower_count on the 31st day back: %d", *g)
	}
}

// TestOnlineFollowersPerDay: online_followers is fetched with since/until
// over the last 30 days, one row's online_followers per day served.
func TestOnlineFollowersPerDay(t *testing.T) {
	f := newFixture(t, igfake.Options{Accounts: 1, Media: 5, Seed: 5, Location: time.UTC})
	f.cfg.Streams = []string{schema.UserInsights}
	start := schema.DateOf(f.now).AddDays(-40)
	f.cfg.Accounts[0].StartDate = &start
	sum := f.apply(Options{})
	if sum.ExitCode != 0 {
		t.Fatalf("exit %d: %+v", sum.ExitCode, sum.Accounts)
	}
	ds := f.fake.Dataset()
	acct := ds.Accounts[0]
	got := map[schema.Date][]schema.HourFollowers{}
	for _, fi := range streamResult(t, sum, acct.Username, schema.UserInsights).Files {
		k, _ := sinks.ParseDataKey(fi.Key)
		for _, r := range readRows[schema.UserInsight](t, f.store(), sinks.DataKey(schema.UserInsights, k.Date, acct.ID)) {
			if r.OnlineFollowers != nil {
				got[r.Date] = r.OnlineFollowers
			}
		}
	}
	served := 0
	for d := start; d < schema.DateOf(f.now); d = d.AddDays(1) {
		want, ok := ds.OnlineFollowersOn(acct.ID, d.Time())
		if !ok {
			if got[d] != nil {
				t.Errorf("%s: online_followers %v, the API serves none", d, got[d])
			}
			continue
		}
		served++
		g := map[int]int64{}
		for _, h := range got[d] {
			g[int(h.Hour)] = h.Followers
		}
		if len(g) != 24 {
			t.Errorf("%s: %d hours of online_followers, want 24", d, len(g))
			continue
		}
		for h, v := range want {
			if g[h] != v {
				t.Errorf("%s hour %d: %d followers online, want %d", d, h, g[h], v)
			}
		}
	}
	if served < 29 {
		t.Errorf("the emulator serves online_followers on %d days: too few to judge", served)
	}
}

// TestReduceDataHalvesPageLimit: code 1 "reduce the amount of data" on the
// media listing halves the page limit (100 → 50 → 25) and asks again; the
// smaller limit stays for the listing's later pages: every media is
// written once.
func TestReduceDataHalvesPageLimit(t *testing.T) {
	f := newFixture(t, igfake.Options{Accounts: 1, Media: 240, Seed: 9, Faults: igfake.Faults{ReduceDataAbove: 40}})
	f.cfg.Streams = []string{schema.Media}
	sum := f.apply(Options{})
	if sum.ExitCode != 0 {
		t.Fatalf("exit %d: %+v", sum.ExitCode, sum.Accounts)
	}
	acct := f.fake.Dataset().Accounts[0]
	rows := readRows[schema.MediaRow](t, f.store(), sinks.DataKey(schema.Media, schema.DateOf(f.now), acct.ID))
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.ID] {
			t.Errorf("media %s written twice", r.ID)
		}
		seen[r.ID] = true
	}
	if len(seen) != 240 {
		t.Errorf("%d media, want 240", len(seen))
	}
	// Two refused pages (limit 100, 50), then 240/25 → 10 pages of 25.
	if c := streamResult(t, sum, acct.Username, schema.Media).Counters.Calls; c != 12 {
		t.Errorf("media listing: %d calls, want 12 (2 refused + 10 pages of 25)", c)
	}
}

// TestRetiredFieldDropped: a listing field the API no longer knows (ig_id,
// "Tried accessing nonexisting field") is dropped for the run and the
// listing asked again: rows still written, ig_id NULL, the field reported
// in the summary like a rejected metric.
func TestRetiredFieldDropped(t *testing.T) {
	f := newFixture(t, igfake.Options{Accounts: 2, Media: 120, Stories: 2, Seed: 4, Faults: igfake.Faults{RetiredFields: []string{"ig_id"}}})
	f.cfg.Streams = []string{schema.Media, schema.Stories}
	sum := f.apply(Options{})
	if sum.ExitCode != 0 {
		t.Fatalf("exit %d: %+v", sum.ExitCode, sum.Accounts)
	}
	reported := false
	for _, acct := range f.fake.Dataset().Accounts {
		rows := readRows[schema.MediaRow](t, f.store(), sinks.DataKey(schema.Media, schema.DateOf(f.now), acct.ID))
		if len(rows) != 120 {
			t.Errorf("%s: %d media rows, want 120", acct.Username, len(rows))
		}
		for _, r := range rows {
			if r.IGID != nil {
				t.Errorf("%s: ig_id %v, want NULL", r.ID, *r.IGID)
			}
			if r.Caption == nil && r.MediaType == nil {
				t.Errorf("%s: fields missing", r.ID)
			}
		}
		for _, st := range []string{schema.Media, schema.Stories} {
			for _, s := range streamResult(t, sum, acct.Username, st).Skipped {
				if strings.Contains(s.What, "ig_id") && strings.Contains(s.Reason, "nonexisting field") {
					reported = true
				}
			}
		}
	}
	if !reported {
		t.Errorf("ig_id not reported in the summary: %+v", sum.Accounts)
	}
}

// TestLowViewerStoryMetricsOneByOne: a story whose one metric is refused
// with "(#10) Not enough viewers" keeps the metrics Meta serves (asked one
// by one after the refusal): partial, the refused metric NULL. With every
// metric refused, the story is not_enough_viewers.
func TestLowViewerStoryMetricsOneByOne(t *testing.T) {
	for _, refused := range []string{"reach", ""} {
		f := newFixture(t, igfake.Options{Accounts: 1, Media: 5, Stories: 3, Seed: 2, LowViewerStories: 1,
			Faults: igfake.Faults{LowViewerMetric: refused}})
		f.cfg.Streams = []string{schema.Stories, schema.StoryInsights}
		sum := f.apply(Options{})
		if sum.ExitCode != 0 {
			t.Fatalf("exit %d: %+v", sum.ExitCode, sum.Accounts)
		}
		ds := f.fake.Dataset()
		acct := ds.Accounts[0]
		low := 0
		for _, st := range acct.Stories {
			for _, r := range readRows[schema.StoryInsight](t, f.store(), sinks.DataKey(schema.StoryInsights, schema.DateOf(st.Timestamp), acct.ID)) {
				if r.ID != st.ID || !st.LowViewers {
					continue
				}
				low++
				if refused == "" {
					if r.InsightsStatus != schema.StatusNotEnoughViewers || r.Views != nil {
						t.Errorf("every metric refused: %s status %s, views %s", r.ID, r.InsightsStatus, fmtPtr(r.Views))
					}
					continue
				}
				if r.InsightsStatus != schema.StatusPartial || r.Reach != nil {
					t.Errorf("%s: status %s, reach %s; want partial, NULL", r.ID, r.InsightsStatus, fmtPtr(r.Reach))
				}
				for name, got := range map[string]*int64{"views": r.Views, "replies": r.Replies, "shares": r.Shares, "follows": r.Follows} {
					if want, ok := ds.StoryInsight(r.ID, name); !ok || got == nil || *got != want {
						t.Errorf("%s %s: %s, want %d (served %v)", r.ID, name, fmtPtr(got), want, ok)
					}
				}
			}
		}
		if low != 1 {
			t.Errorf("refused %q: %d low-viewer story rows, want 1", refused, low)
		}
	}
}
