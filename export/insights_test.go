package export

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/internal/catalog"
	"github.com/igexport/igexport/internal/igfake"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// staleCatalog claims follows is valid for reels, as a catalog that is out
// of date with the API would: the API rejects it and the exporter must drop
// it and ask again.
func staleCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.For("v23.0")
	if err != nil {
		t.Fatal(err)
	}
	ms := c.Metrics()
	for i := range ms {
		if ms[i].Name == "follows" && ms[i].AppliesTo(catalog.FeedImage) {
			ms[i].Kinds = append(slices.Clone(ms[i].Kinds), catalog.Reels)
		}
	}
	return catalog.New("v23.0", ms)
}

func TestInsightsStatusEveryValue(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)
	f := newFixture(t, igfake.Options{Accounts: 1, Media: 40, Stories: 3, Seed: 5,
		Now:          func() time.Time { return now },
		ConvertedAt:  now.AddDate(0, 0, -400),
		DeletedMedia: 2, NoPermissionMedia: 3, LowViewerStories: 1})
	sum := f.apply(Options{catalog: staleCatalog(t)})
	if sum.ExitCode != 0 {
		t.Fatalf("exit %d: %+v", sum.ExitCode, sum.Accounts)
	}
	acct := f.fake.Dataset().Accounts[0]
	rows := readRows[schema.MediaInsight](t, f.store(), sinks.DataKey(schema.MediaInsights, schema.DateOf(now), acct.ID))
	if len(rows) != 40 {
		t.Fatalf("%d media_insights rows, want 40: every media gets a row", len(rows))
	}
	byID := map[string]schema.MediaInsight{}
	for _, r := range rows {
		byID[r.ID] = r
	}
	counts := map[string]int{}
	for j, m := range acct.Media {
		r := byID[m.ID]
		var want string
		switch {
		case j < 2:
			want = schema.StatusUnsupported
		case j < 5:
			want = schema.StatusPermissionDenied
		case m.Timestamp.Before(now.AddDate(0, 0, -400)):
			want = schema.StatusBeforeBusinessConversion
		case m.MediaProductType == "REELS":
			want = schema.StatusPartial
		default:
			want = schema.StatusOK
		}
		counts[want]++
		if r.InsightsStatus != want {
			t.Errorf("media %d %s (%s/%s): status %s, want %s", j, m.ID, m.MediaType, m.MediaProductType, r.InsightsStatus, want)
		}
		switch want {
		case schema.StatusOK, schema.StatusPartial:
			v, _ := f.fake.Dataset().MediaInsight(m.ID, "reach")
			if r.Reach == nil || *r.Reach != v {
				t.Errorf("media %s reach %s, want %d", m.ID, ptrStr(r.Reach), v)
			}
			if want == schema.StatusPartial && r.Follows != nil {
				t.Errorf("reel %s follows = %d, want NULL (rejected by the API)", m.ID, *r.Follows)
			}
		default:
			if r.Reach != nil || r.Views != nil {
				t.Errorf("media %s (%s) has metrics", m.ID, want)
			}
		}
	}
	for _, st := range []string{schema.StatusOK, schema.StatusPartial, schema.StatusUnsupported,
		schema.StatusPermissionDenied, schema.StatusBeforeBusinessConversion} {
		if counts[st] == 0 {
			t.Errorf("no media expected with status %s: fixture does not exercise it", st)
		}
	}
	res := streamResult(t, sum, acct.Username, schema.MediaInsights)
	var sawFollows bool
	for _, sk := range res.Skipped {
		if sk.What == "follows" && strings.Contains(sk.Reason, "does not support the follows metric") {
			sawFollows = true
		}
	}
	if !sawFollows {
		t.Errorf("summary does not report the rejected metric: %+v", res.Skipped)
	}

	// Stories: the low-viewer one still gets its row.
	stories := f.fake.Dataset().LiveStories(acct)
	var statuses []string
	for _, s := range stories {
		for _, r := range readRows[schema.StoryInsight](t, f.store(), sinks.DataKey(schema.StoryInsights, schema.DateOf(s.Timestamp), acct.ID)) {
			if r.ID == s.ID {
				statuses = append(statuses, r.InsightsStatus)
				if s.LowViewers && r.InsightsStatus != schema.StatusNotEnoughViewers {
					t.Errorf("low-viewer story %s: status %s", s.ID, r.InsightsStatus)
				}
			}
		}
	}
	if len(statuses) != 3 || !slices.Contains(statuses, schema.StatusNotEnoughViewers) {
		t.Errorf("story statuses %v, want 3 rows incl. not_enough_viewers", statuses)
	}
}

func TestUserInsightsValuesAndDates(t *testing.T) {
	tests := []struct {
		name string
		loc  *time.Location
		hour int // UTC hour of end_time
	}{
		{"US Pacific day ends 08:00 UTC in November", mustLoc(t, "America/Los_Angeles"), 8},
		{"UTC+2 day ends 22:00 UTC", time.FixedZone("UTC+2", 2*3600), 22},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, igfake.Options{Accounts: 1, Media: 5, Stories: -1, Seed: 11, Location: tt.loc})
			sum := f.apply(Options{Streams: []string{schema.UserInsights}})
			if sum.ExitCode != 0 {
				t.Fatalf("exit %d: %+v", sum.ExitCode, sum.Accounts)
			}
			acct := f.fake.Dataset().Accounts[0]
			res := streamResult(t, sum, acct.Username, schema.UserInsights)
			// ~10 days in the month files (one or two months)
			var rows []schema.UserInsight
			for _, fi := range res.Files {
				k, err := sinks.ParseDataKey(fi.Key)
				if err != nil || k.Partition != schema.Month {
					t.Fatalf("%s: not a month file (%v)", fi.Key, err)
				}
				month := readRows[schema.UserInsight](t, f.store(), k.Rel())
				for _, r := range month {
					if schema.Month.Start(r.Date) != k.Date {
						t.Errorf("%s holds a row of %s", fi.Key, r.Date)
					}
				}
				if int64(len(month)) != fi.Rows {
					t.Errorf("%s: %d rows, the summary says %d", fi.Key, len(month), fi.Rows)
				}
				rows = append(rows, month...)
			}
			if len(rows) < 8 || len(res.Files) > 2 {
				t.Fatalf("%d rows in %d files, want ~10 days in one or two month files: %+v", len(rows), len(res.Files), res)
			}
			st := f.stateStore()
			for _, r := range rows {
				dt := r.Date
				if r.EndTime == nil || r.EndTime.Hour() != tt.hour || coveredDay(*r.EndTime) != dt {
					t.Errorf("%s: end_time %v, want %02d:00 UTC ending the day", dt, r.EndTime, tt.hour)
				}
				for metric, got := range map[string]*int64{"reach": r.Reach, "views": r.Views, "likes": r.Likes,
					"accounts_engaged": r.AccountsEngaged, "follows": r.Follows, "unfollows": r.Unfollows,
					"follower_count": r.FollowerCount} {
					want, ok := f.fake.Dataset().UserInsight(acct.ID, metric, dt.Time())
					if !ok {
						if got != nil && metric != "follows" && metric != "unfollows" {
							t.Errorf("%s %s = %d, emulator serves none", dt, metric, *got)
						}
						continue
					}
					if got == nil || *got != want {
						t.Errorf("%s %s = %s, emulator %d", dt, metric, ptrStr(got), want)
					}
				}
			}
			state, err := st.LoadState(context.Background(), acct.ID)
			if err != nil || state.Streams[schema.UserInsights].Cursor == nil {
				t.Fatalf("no cursor: %+v %v", state, err)
			}
		})
	}
}

func mustLoc(t *testing.T, name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestUserInsightsBackfillKeepsCursor(t *testing.T) {
	f := newFixture(t, igfake.Options{Accounts: 1, Media: 5, Stories: -1, Seed: 12})
	acct := f.fake.Dataset().Accounts[0]
	first := f.apply(Options{Streams: []string{schema.UserInsights}})
	if first.ExitCode != 0 {
		t.Fatalf("exit %d", first.ExitCode)
	}
	st0, _ := f.stateStore().LoadState(context.Background(), acct.ID)
	cursor := *st0.Streams[schema.UserInsights].Cursor

	today := schema.DateOf(f.now)
	from, to := today.AddDays(-800), today.AddDays(-700)
	sum := f.apply(Options{Streams: []string{schema.UserInsights}, From: &from, To: &to})
	if sum.ExitCode != 0 {
		t.Fatalf("backfill exit %d: %+v", sum.ExitCode, sum.Accounts)
	}
	res := streamResult(t, sum, acct.Username, schema.UserInsights)
	wantFrom := today.AddDays(-maxHistoryDays)
	if int(res.Counters.Rows) != int(to-wantFrom)+1 {
		t.Errorf("backfill wrote %d days, want %d (%s..%s)", res.Counters.Rows, int(to-wantFrom)+1, wantFrom, to)
	}
	tooOld := false
	for _, n := range res.Notes {
		if strings.Contains(n, from.String()) && strings.Contains(n, "not recoverable") {
			tooOld = true
		}
	}
	if !tooOld {
		t.Errorf("the unrecoverable part is not reported: %v", res.Notes)
	}
	st1, _ := f.stateStore().LoadState(context.Background(), acct.ID)
	if got := *st1.Streams[schema.UserInsights].Cursor; got != cursor {
		t.Errorf("backfill moved the cursor from %s to %s", cursor, got)
	}
	if f.fake.Stats().ByEndpoint["GET /{ig-user-id}/insights"] == 0 {
		t.Fatal("no insights calls counted")
	}
}

func TestUserInsightsSinceNotValidIsRetriedNextRun(t *testing.T) {
	// The exporter's clock runs two days ahead of the API's: the newest days
	// are "in the future" for the API, which answers "since param is not valid".
	f := newFixture(t, igfake.Options{Accounts: 1, Media: 5, Stories: -1, Seed: 13})
	acct := f.fake.Dataset().Accounts[0]
	ahead := f.now.Add(48 * time.Hour)
	sum := f.apply(Options{Streams: []string{schema.UserInsights}, Now: func() time.Time { return ahead }})
	if sum.ExitCode != 0 {
		t.Fatalf("exit %d: %+v", sum.ExitCode, sum.Accounts)
	}
	res := streamResult(t, sum, acct.Username, schema.UserInsights)
	skipped := false
	for _, n := range res.Notes {
		skipped = skipped || strings.Contains(n, "since not valid")
	}
	if !skipped {
		t.Errorf("no note about the skipped window: %v", res.Notes)
	}
	st, _ := f.stateStore().LoadState(context.Background(), acct.ID)
	c := st.Streams[schema.UserInsights].Cursor
	if c == nil || *c >= schema.DateOf(ahead).AddDays(-1) {
		t.Errorf("cursor %v moved past days that were not fetched", c)
	}
}

func TestDiscoveryIncludeExclude(t *testing.T) {
	f := newFixture(t, igfake.Options{Accounts: 4, PagesWithoutIG: 2, Media: 3, Stories: -1, Seed: 14})
	f.cfg.Accounts = nil
	f.cfg.Discover = []hcl.Discover{{Name: "agency", AccessToken: testToken, Include: []string{"igfake_*"}, Exclude: []string{"igfake_2"}}}
	f.cfg.Streams = []string{schema.Users}
	sum := f.apply(Options{})
	if sum.ExitCode != 0 {
		t.Fatalf("exit %d: %+v %+v", sum.ExitCode, sum.Discovery, sum.Accounts)
	}
	d := sum.Discovery[0]
	if d.Pages != 6 || d.PagesWithoutIG != 2 || d.ExcludedByPattern != 1 || len(d.Accounts) != 3 {
		t.Errorf("discovery %+v, want 6 pages, 2 without IG, 1 excluded, 3 accounts", d)
	}
	if len(sum.Accounts) != 3 {
		t.Fatalf("%d accounts exported", len(sum.Accounts))
	}
	u := readRows[schema.User](t, f.store(), sinks.DataKey(schema.Users, schema.DateOf(f.now), sum.Accounts[0].AccountID))
	if len(u) != 1 || u[0].PageID == nil || *u[0].PageID == "" {
		t.Errorf("discovered account's users row lacks page_id: %+v", u)
	}
}
