package export

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/igexport/igexport/internal/igfake"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
	"github.com/igexport/igexport/sinks/sinktest"
)

// countingS3 serves an in-process S3 bucket through a proxy that counts
// the LIST requests whose prefix starts with listed; it returns the
// bucket's URL (the proxy's endpoint) and the counter.
func countingS3(t *testing.T, listed string) (string, *atomic.Int64) {
	t.Helper()
	const bucket = "lake"
	raw := sinktest.S3(t, bucket)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	backend, err := url.Parse(q.Get("endpoint"))
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	proxy := httputil.NewSingleHostReverseProxy(backend)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Trim(r.URL.Path, "/") == bucket && strings.HasPrefix(r.URL.Query().Get("prefix"), listed) {
			n.Add(1)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	q.Set("endpoint", srv.URL)
	u.RawQuery = q.Encode()
	return u.String(), &n
}

// byAccountDate is byDate per account: every user_insights row by account
// and date, failing on a date found twice for one account.
func byAccountDate(t *testing.T, files []lakeFile) map[string]map[schema.Date]schema.UserInsight {
	t.Helper()
	split := map[string][]lakeFile{}
	for _, lf := range files {
		k, err := sinks.ParseDataKey(lf.key)
		if err != nil {
			t.Fatalf("%s: %v", lf.key, err)
		}
		split[k.AccountID] = append(split[k.AccountID], lf)
	}
	out := map[string]map[schema.Date]schema.UserInsight{}
	for id, fs := range split {
		out[id] = byDate(t, fs)
	}
	return out
}

// TestMigrationListsOnce: the old layout puts the account under the date,
// so finding one account's day files lists every account's. A run
// migrating N accounts lists user_insights/dt= once (one LIST request for
// a lake of fewer than 1000 day files), not once per account, and so does
// the run after it (which records the partitioning); the one after that
// lists nothing. Every account's rows are kept, none duplicated.
func TestMigrationListsOnce(t *testing.T) {
	for _, n := range []int{1, 4} {
		t.Run(fmt.Sprintf("accounts=%d", n), func(t *testing.T) {
			day1 := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
			var now atomic.Int64
			now.Store(day1.UnixNano())
			clock := func() time.Time { return time.Unix(0, now.Load()).UTC() }
			f := newFixture(t, igfake.Options{Accounts: n, Media: 1, Stories: -1, Seed: 11, Now: clock})
			f.cfg.Streams = []string{schema.UserInsights}
			lake, lists := countingS3(t, schema.UserInsights+"/dt=")
			f.cfg.Destination.URL = lake // the state stays on file://
			s := f.store()
			setNow := func(at time.Time) { now.Store(at.UnixNano()); f.now = at }

			setNow(day1)
			if sum := f.apply(Options{dayLayout: true}); sum.ExitCode != 0 {
				t.Fatalf("day-layout run: exit %d", sum.ExitCode)
			}
			old := byAccountDate(t, userInsightsLake(t, s))
			if len(old) != n {
				t.Fatalf("old layout: %d accounts' files, want %d", len(old), n)
			}

			for _, r := range []struct {
				name      string
				wantLists int64
			}{
				{"migrating run", 1},
				{"run after the migration", 1},
				{"run after that", 0},
			} {
				setNow(f.now.Add(24 * time.Hour))
				lists.Store(0)
				sum := f.apply(Options{})
				if sum.ExitCode != 0 {
					t.Fatalf("%s: exit %d", r.name, sum.ExitCode)
				}
				if got := lists.Load(); got != r.wantLists {
					t.Errorf("%s, %d accounts: %d LIST requests of user_insights/dt=, want %d", r.name, n, got, r.wantLists)
				}
				files := userInsightsLake(t, s)
				for _, lf := range files {
					if k, _ := sinks.ParseDataKey(lf.key); k.Partition != schema.Month {
						t.Errorf("%s: %s is left", r.name, lf.key)
					}
				}
				got := byAccountDate(t, files) // fails on a duplicate
				for id, days := range old {
					for d := range days {
						if _, ok := got[id][d]; !ok {
							t.Errorf("%s: account %s lost its row of %s", r.name, id, d)
						}
					}
				}
			}
		})
	}
}

// TestMigrationNewestFetchedAtWins: after a migration, an older igexport
// (a downgrade) writes day files again; the next apply folds them by
// fetched_at: a day row fetched after the month file's row of the same
// date replaces it, an older one or one fetched at the same instant does
// not (the month file wins a tie). No row is lost or duplicated, and the
// day files are removed.
func TestMigrationNewestFetchedAtWins(t *testing.T) {
	day1 := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
	f, setNow := clockFixture(t, day1)
	f.cfg.Streams = []string{schema.UserInsights}
	start := schema.DateOf(day1).AddDays(-30)
	f.cfg.Accounts[0].StartDate = &start
	acct := f.fake.Dataset().Accounts[0]
	s := f.store()
	ctx := context.Background()

	// The month layout, then a run of the day layout (the downgrade: it
	// drops the partitioning from the state and writes day files of its
	// re-read window).
	for _, r := range []struct {
		at        time.Time
		dayLayout bool
	}{{day1, false}, {day1.Add(24 * time.Hour), true}} {
		setNow(r.at)
		if sum := f.apply(Options{dayLayout: r.dayLayout}); sum.ExitCode != 0 {
			t.Fatalf("run at %s (day layout %v): exit %d", r.at, r.dayLayout, sum.ExitCode)
		}
	}
	before := byDate(t, monthFiles(t, s))

	// Day files of days far outside the next run's re-read window, as the
	// older binary would have written them: fetched after, before and at
	// the same instant as the month file's row.
	cases := []struct {
		name  string
		day   schema.Date
		shift time.Duration // of fetched_at from the month row's
		win   bool          // the day file's row is the one kept
	}{
		{"newer day file", start.AddDays(2), time.Hour, true},
		{"older day file", start.AddDays(3), -time.Hour, false},
		{"same fetched_at", start.AddDays(4), 0, false},
	}
	want := map[schema.Date]schema.UserInsight{}
	for i, c := range cases {
		m, ok := before[c.day]
		if !ok || m.Reach == nil {
			t.Fatalf("%s: the month file has no reach of %s", c.name, c.day)
		}
		d := m
		d.FetchedAt = m.FetchedAt.Add(c.shift)
		d.Reach = schema.Ptr(*m.Reach + int64(1000*(i+1)))
		sinktest.Commit(t, s, schema.UserInsights, "older-binary", sinks.PartitionKey(schema.UserInsights, schema.Day, c.day, acct.ID), d)
		want[c.day] = m
		if c.win {
			want[c.day] = d
		}
	}

	sum := f.apply(Options{})
	if sum.ExitCode != 0 {
		t.Fatalf("migrating run: exit %d", sum.ExitCode)
	}
	files := userInsightsLake(t, s)
	for _, lf := range files {
		if k, _ := sinks.ParseDataKey(lf.key); k.Partition != schema.Month {
			t.Errorf("%s is left", lf.key)
		}
	}
	after := byDate(t, files) // fails on a duplicate
	for d := range before {
		if _, ok := after[d]; !ok {
			t.Errorf("the row of %s is lost", d)
		}
	}
	for _, c := range cases {
		got, w := after[c.day], want[c.day]
		if *got.Reach != *w.Reach || !got.FetchedAt.Equal(w.FetchedAt) {
			t.Errorf("%s: %s has reach %d fetched at %s, want %d fetched at %s", c.name, c.day,
				*got.Reach, got.FetchedAt, *w.Reach, w.FetchedAt)
		}
	}
	if st, err := f.stateStore().LoadState(ctx, acct.ID); err != nil || st.Streams[schema.UserInsights].Partition != "" {
		t.Errorf("state after the fold: %+v %v (the partitioning is recorded by the run after)", st, err)
	}
}

// monthFiles is the lake's user_insights month files.
func monthFiles(t *testing.T, s *sinks.Store) []lakeFile {
	t.Helper()
	var out []lakeFile
	for _, lf := range userInsightsLake(t, s) {
		if k, err := sinks.ParseDataKey(lf.key); err == nil && k.Partition == schema.Month {
			out = append(out, lf)
		}
	}
	return out
}
