package export

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/internal/catalog"
	"github.com/igexport/igexport/internal/igfake"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// TestV27MetricsLand: at v27.0, with every media shared to Facebook and the
// share-only metrics opted in, the metrics added since v23 land in their
// columns with the emulator's values (reels_skip_rate with its decimals),
// NULL where the product type has no such metric.
func TestV27MetricsLand(t *testing.T) {
	f := newFixture(t, igfake.Options{Accounts: 1, Media: 500, Children: 5, Stories: 3, Seed: 1, SharedToFacebook: "all"})
	f.cfg.GraphAPIVersion = "v27.0"
	optInShareOnly(t, f.cfg)
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

// optInShareOnly lists the stream's default metrics plus the
// Facebook-share-only ones in the media_insights and story_insights blocks
// (they are opt-in).
func optInShareOnly(t *testing.T, cfg *hcl.Config) {
	t.Helper()
	c, err := catalog.For(cfg.GraphAPIVersion)
	if err != nil {
		t.Fatal(err)
	}
	for _, stream := range []string{schema.MediaInsights, schema.StoryInsights} {
		var names []string
		for _, m := range c.Metrics() {
			if (m.Default || m.FacebookShareOnly) && !m.Removed && slices.ContainsFunc(catalog.StreamKinds(stream), m.AppliesTo) &&
				!slices.Contains(names, m.Name) {
				names = append(names, m.Name)
			}
		}
		sc := cfg.StreamSettings[stream]
		sc.Name, sc.Metrics = stream, names
		cfg.StreamSettings[stream] = sc
	}
}

// TestShareOnlyMetricsExact: at v27.0 with the emulator's default sharing
// (a third of the reels shared to Facebook), for each media:
//   - by default the share-only metrics are not asked: one operation per
//     media, NULL, ok, and plan counts exactly what apply sends;
//   - opted in, every media is asked them: the shared ones have the
//     emulator's values, the others are partial with NULL at the cost of
//     exactly one more operation each (plan says so and counts a lower
//     bound).
//
// Either way a same-day re-run writes the same values for every media: what
// one media answers never changes what another is asked.
func TestShareOnlyMetricsExact(t *testing.T) {
	for _, optIn := range []bool{false, true} {
		t.Run(map[bool]string{false: "defaults", true: "opted in"}[optIn], func(t *testing.T) {
			f := newPlanFixture(t, igfake.Options{Accounts: 1, Media: 250, Stories: 3, Seed: 3})
			f.cfg.GraphAPIVersion = "v27.0"
			if optIn {
				optInShareOnly(t, f.cfg)
			}
			ds := f.fake.Dataset()
			acct := ds.Accounts[0]
			unshared := 0
			for _, m := range acct.Media {
				if !m.SharedToFacebook {
					unshared++
				}
			}
			if unshared < 150 || unshared == len(acct.Media) {
				t.Fatalf("%d of %d media unshared: not the emulator's mix", unshared, len(acct.Media))
			}
			type values struct {
				status               string
				views, fb, xp, reach string
			}
			var runs [2]map[string]values
			for run := range runs {
				p := f.plan(Options{})
				f.fake.ResetStats()
				sum := f.apply(Options{})
				if sum.ExitCode != 0 {
					t.Fatalf("run %d: exit %d: %+v", run+1, sum.ExitCode, sum.Accounts)
				}
				mi := streamResult(t, sum, acct.Username, schema.MediaInsights)
				wantCalls := int64(len(acct.Media))
				if optIn {
					wantCalls += int64(unshared)
				}
				if mi.Counters.Calls != wantCalls {
					t.Errorf("run %d: %d media_insights calls for %d media (%d unshared), want %d", run+1, mi.Counters.Calls,
						len(acct.Media), unshared, wantCalls)
				}
				for _, s := range sum.Accounts[0].Streams {
					sp := streamPlan(t, p, acct.ID, s.Stream)
					exact := sp.Estimate.Calls == s.Counters.Calls && sp.Estimate.RoundTrips == s.Counters.RoundTrips
					shareOnly := optIn && (s.Stream == schema.MediaInsights || s.Stream == schema.StoryInsights)
					noted := slices.ContainsFunc(sp.Notes, func(n string) bool { return strings.Contains(n, "not shared to Facebook") })
					switch {
					case run > 0 && !shareOnly && !exact:
						t.Errorf("run %d %s: planned %d calls / %d round trips, made %d / %d", run+1, s.Stream,
							sp.Estimate.Calls, sp.Estimate.RoundTrips, s.Counters.Calls, s.Counters.RoundTrips)
					case shareOnly && (!sp.Estimate.LowerBound || !noted || sp.Estimate.Calls > s.Counters.Calls):
						t.Errorf("run %d %s: plan %+v notes %q for %d calls: want a noted lower bound", run+1, s.Stream,
							sp.Estimate, sp.Notes, s.Counters.Calls)
					case !shareOnly && noted:
						t.Errorf("run %d %s: share-only note without share-only metrics: %q", run+1, s.Stream, sp.Notes)
					}
				}
				rows := readRows[schema.MediaInsight](t, openStore(t, f.cfg.Destination.URL, f.cfg.Destination.Prefix),
					sinks.DataKey(schema.MediaInsights, schema.DateOf(planNow), acct.ID))
				if len(rows) != len(acct.Media) {
					t.Fatalf("run %d: %d rows", run+1, len(rows))
				}
				runs[run] = map[string]values{}
				for _, r := range rows {
					m := ds.Media(r.ID)
					runs[run][r.ID] = values{r.InsightsStatus, fmtPtr(r.Views), fmtPtr(r.FacebookViews), fmtPtr(r.CrosspostedViews), fmtPtr(r.Reach)}
					for name, got := range map[string]*int64{"facebook_views": r.FacebookViews, "crossposted_views": r.CrosspostedViews} {
						want, served := ds.MediaInsight(r.ID, name)
						switch {
						case !optIn && got != nil:
							t.Errorf("%s %s = %d, not asked by default", r.ID, name, *got)
						case optIn && served && (got == nil || *got != want):
							t.Errorf("%s (%s, shared %v) %s = %s, want %d", r.ID, *r.MediaProductType, m.SharedToFacebook, name, fmtPtr(got), want)
						case optIn && !served && got != nil:
							t.Errorf("%s %s = %d, not served", r.ID, name, *got)
						}
					}
					wantStatus := schema.StatusOK
					if optIn && !m.SharedToFacebook {
						wantStatus = schema.StatusPartial
					}
					if r.InsightsStatus != wantStatus {
						t.Errorf("%s (shared %v): status %s, want %s", r.ID, m.SharedToFacebook, r.InsightsStatus, wantStatus)
					}
					if want, ok := ds.MediaInsight(r.ID, "total_views"); ok && (r.TotalViews == nil || *r.TotalViews != want) {
						t.Errorf("%s total_views %s, want %d", r.ID, fmtPtr(r.TotalViews), want)
					}
				}
			}
			if !maps.Equal(runs[0], runs[1]) {
				for id, v := range runs[0] {
					if runs[1][id] != v {
						t.Errorf("%s: first run %+v, same-day re-run %+v", id, v, runs[1][id])
					}
				}
			}
		})
	}
}

// TestReferenceAccountCallsV23V27: the reference account's first run at
// v23.0 and at v27.0 with the emulator's default sharing (a third of the
// reels shared to Facebook) costs the same calls and round trips: the new
// default metrics ride in the same operations, and the share-only ones,
// which would cost a second operation per unshared media, are opt-in.
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
	if calls["v27.0"] != calls["v23.0"] {
		t.Errorf("calls and round trips at v23.0 %v, at v27.0 %v: the new metrics must ride in the same operations", calls["v23.0"], calls["v27.0"])
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

// TestRetiredFieldDropped: a field the API no longer knows (ig_id, "Tried
// accessing nonexisting field") is dropped for the run and the request
// asked again, by the profile (users) as by the listings (media, stories):
// rows still written, ig_id NULL, the field reported in each stream's
// summary like a rejected metric, the run ok.
func TestRetiredFieldDropped(t *testing.T) {
	f := newFixture(t, igfake.Options{Accounts: 2, Media: 120, Stories: 2, Seed: 4, Faults: igfake.Faults{RetiredFields: []string{"ig_id"}}})
	f.cfg.Streams = []string{schema.Users, schema.Media, schema.Stories}
	sum := f.apply(Options{})
	if sum.ExitCode != 0 {
		t.Fatalf("exit %d: %+v", sum.ExitCode, sum.Accounts)
	}
	for _, acct := range f.fake.Dataset().Accounts {
		users := readRows[schema.User](t, f.store(), sinks.DataKey(schema.Users, schema.DateOf(f.now), acct.ID))
		if len(users) != 1 || users[0].IGID != nil || users[0].Username == nil || *users[0].Username != acct.Username {
			t.Errorf("%s: profile rows %+v, want one with ig_id NULL and the username", acct.Username, users)
		}
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
	}
	// Each node type learns it once per run: the first account's request
	// (or a concurrent one) reports it.
	for _, st := range []string{schema.Users, schema.Media, schema.Stories} {
		reported := false
		for _, acct := range f.fake.Dataset().Accounts {
			r := streamResult(t, sum, acct.Username, st)
			if r.Status != "ok" {
				t.Errorf("%s/%s: status %s", acct.Username, st, r.Status)
			}
			for _, s := range r.Skipped {
				if s.What == "field ig_id" && strings.Contains(s.Reason, "nonexisting field (ig_id)") {
					reported = true
				}
			}
		}
		if !reported && st != schema.Stories {
			t.Errorf("%s: ig_id not reported in the summary", st)
		}
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

// TestProfileActivityBreakdown: profile_activity_breakdown = true asks
// profile_activity of FEED and CAROUSEL media with breakdown=action_type in
// an operation of its own (one more per such media, counted by plan): the
// bucket columns get the emulator's values, NULL where it answers no
// bucket, and the total is the same as without. By default the buckets
// are NULL and each media costs one operation.
func TestProfileActivityBreakdown(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(map[bool]string{false: "default", true: "on"}[on], func(t *testing.T) {
			f := newPlanFixture(t, igfake.Options{Accounts: 1, Media: 120, Stories: 1, Seed: 5})
			f.cfg.GraphAPIVersion = "v27.0"
			f.cfg.StreamSettings[schema.MediaInsights] = hcl.StreamConfig{Name: schema.MediaInsights, ProfileActivityBreakdown: on}
			ds := f.fake.Dataset()
			acct := ds.Accounts[0]
			feed := 0
			for _, m := range acct.Media {
				if _, ok := ds.MediaInsight(m.ID, "profile_activity"); ok {
					feed++
				}
			}
			if feed == 0 || feed == len(acct.Media) {
				t.Fatalf("%d of %d media with profile_activity", feed, len(acct.Media))
			}
			wantCalls := int64(len(acct.Media))
			if on {
				wantCalls += int64(feed)
			}
			for run := 1; run <= 2; run++ {
				p := f.plan(Options{Streams: []string{schema.Media, schema.MediaInsights}})
				sum := f.apply(Options{Streams: []string{schema.Media, schema.MediaInsights}})
				if sum.ExitCode != 0 {
					t.Fatalf("run %d: exit %d: %+v", run, sum.ExitCode, sum.Accounts)
				}
				mi := streamResult(t, sum, acct.Username, schema.MediaInsights)
				if mi.Counters.Calls != wantCalls {
					t.Errorf("run %d: %d calls for %d media (%d feed), want %d", run, mi.Counters.Calls, len(acct.Media), feed, wantCalls)
				}
				if sp := streamPlan(t, p, acct.ID, schema.MediaInsights); run > 1 &&
					(sp.Estimate.Calls != mi.Counters.Calls || sp.Estimate.RoundTrips != mi.Counters.RoundTrips) {
					t.Errorf("run %d: plan %d calls / %d round trips, apply %d / %d", run, sp.Estimate.Calls, sp.Estimate.RoundTrips,
						mi.Counters.Calls, mi.Counters.RoundTrips)
				} else if want := fmt.Sprintf(", %d batch operations (the action_type breakdown of FEED media included)", wantCalls); run > 1 &&
					wantCalls > int64(len(acct.Media)) && !strings.HasSuffix(sp.Basis, want) {
					t.Errorf("run %d: plan basis %q, want it to end %q", run, sp.Basis, want)
				}
			}
			rows := readRows[schema.MediaInsight](t, openStore(t, f.cfg.Destination.URL, f.cfg.Destination.Prefix),
				sinks.DataKey(schema.MediaInsights, schema.DateOf(planNow), acct.ID))
			buckets, filled := 0, 0
			for _, r := range rows {
				if r.InsightsStatus != schema.StatusOK {
					t.Errorf("%s: status %s", r.ID, r.InsightsStatus)
				}
				if want, ok := ds.MediaInsight(r.ID, "profile_activity"); ok != (r.ProfileActivity != nil) || ok && *r.ProfileActivity != want {
					t.Errorf("%s profile_activity %s, want %d (served %v)", r.ID, fmtPtr(r.ProfileActivity), want, ok)
				}
				for b, got := range map[string]*int64{"bio_link_clicked": r.ProfileActivityBioLinkClicked, "call": r.ProfileActivityCall,
					"direction": r.ProfileActivityDirection, "email": r.ProfileActivityEmail, "text": r.ProfileActivityText} {
					want, ok := ds.ProfileActivityBucket(r.ID, b)
					buckets++
					if got != nil {
						filled++
					}
					if !on {
						ok = false
					}
					if ok != (got != nil) || ok && *got != want {
						t.Errorf("%s profile_activity_%s %s, want %d (served %v)", r.ID, b, fmtPtr(got), want, ok)
					}
				}
			}
			if on && filled < buckets/4 {
				t.Errorf("%d of %d bucket cells filled: too few to judge", filled, buckets)
			}
		})
	}
}
