package export

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/internal/igfake"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// fixture is an emulator plus a config pointing at it and a bucket.
type fixture struct {
	t    *testing.T
	fake *igfake.Server
	srv  *httptest.Server
	cfg  *hcl.Config
	now  time.Time
}

const testToken = "igfake-canary-token-0123456789"

// newFixture: the emulator treats until inclusively, as Meta does
// (graph-api.md §10.3); newFixtureUntilAsIs leaves fo.UntilInclusive.
func newFixture(t *testing.T, fo igfake.Options) *fixture {
	t.Helper()
	fo.UntilInclusive = true
	return newFixtureUntilAsIs(t, fo)
}

func newFixtureUntilAsIs(t *testing.T, fo igfake.Options) *fixture {
	t.Helper()
	if fo.Now == nil {
		fixed := time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)
		fo.Now = func() time.Time { return fixed }
	}
	now := fo.Now()
	fo.Token = testToken
	fake := igfake.New(fo)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfg := &hcl.Config{
		GraphAPIURL: srv.URL, GraphAPIVersion: "v23.0", Concurrency: 8,
		Streams:        schema.DefaultNames(),
		StreamSettings: map[string]hcl.StreamConfig{},
		Destination:    hcl.Destination{URL: "file://" + filepath.ToSlash(dir), Compression: "zstd"},
		State:          hcl.StateConfig{URL: "file://" + filepath.ToSlash(dir), Prefix: "_igexport"},
		RateLimit:      hcl.RateLimit{MaxUsagePercent: 75, MaxWait: time.Minute},
	}
	// Ten days of account insights keep first runs short; tests of the
	// two-year default clear StartDate.
	start := schema.DateOf(now).AddDays(-10)
	for _, a := range fake.Dataset().Accounts {
		cfg.Accounts = append(cfg.Accounts, hcl.Account{Name: a.Username, IGUserID: a.ID, AccessToken: testToken, StartDate: &start})
	}
	return &fixture{t: t, fake: fake, srv: srv, cfg: cfg, now: now}
}

func (f *fixture) apply(o Options) *Summary {
	f.t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return f.now }
	}
	sum, err := Apply(context.Background(), f.cfg, o)
	if err != nil {
		f.t.Fatalf("apply: %v", err)
	}
	return sum
}

func (f *fixture) store() *sinks.Store {
	f.t.Helper()
	return openStore(f.t, f.cfg.Destination.URL, f.cfg.Destination.Prefix)
}

func (f *fixture) stateStore() *sinks.Store {
	f.t.Helper()
	return openStore(f.t, f.cfg.State.URL, f.cfg.State.Prefix)
}

// openStore opens a store for a test, closed with it.
func openStore(t *testing.T, url, prefix string) *sinks.Store {
	t.Helper()
	s, err := sinks.Open(context.Background(), url, prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func readRows[T schema.Row](t *testing.T, s *sinks.Store, key string) []T {
	t.Helper()
	rows, err := sinks.ReadRows[T](context.Background(), s, key)
	if err != nil {
		t.Fatalf("reading %s: %v", key, err)
	}
	return rows
}

func streamResult(t *testing.T, sum *Summary, account, stream string) StreamResult {
	t.Helper()
	for _, a := range sum.Accounts {
		if a.Name != account && a.AccountID != account {
			continue
		}
		for _, s := range a.Streams {
			if s.Stream == stream {
				return s
			}
		}
	}
	t.Fatalf("no result for %s/%s in %+v", account, stream, sum)
	return StreamResult{}
}

func TestApplyReferenceAccount(t *testing.T) {
	// The reference account of reference-connector.md §9: 500 media of which
	// 50 carousels of 5 children, 3 live stories, a first run with 30 days of
	// account insights.
	f := newFixture(t, igfake.Options{Accounts: 1, Media: 500, Children: 5, Stories: 3, Seed: 1})
	start := schema.DateOf(f.now).AddDays(-30)
	f.cfg.Accounts[0].StartDate = &start
	sum := f.apply(Options{})
	if sum.ExitCode != 0 {
		t.Fatalf("exit %d: %+v", sum.ExitCode, sum.Accounts)
	}
	acct := f.fake.Dataset().Accounts[0]
	st := f.fake.Stats()
	const reference = 1138
	t.Logf("reference account: counted API calls %d (%.1f %% of the reference connector's %d), HTTP round trips %d (%.1f %%)",
		st.Calls, 100*float64(st.Calls)/reference, reference, st.RoundTrips, 100*float64(st.RoundTrips)/reference)
	for ep, n := range st.ByEndpoint {
		t.Logf("  %-40s %d", ep, n)
	}
	if float64(st.Calls) > 0.55*reference {
		t.Errorf("counted calls %d > 55 %% of %d", st.Calls, reference)
	}
	if float64(st.RoundTrips) > 0.05*reference {
		t.Errorf("round trips %d > 5 %% of %d", st.RoundTrips, reference)
	}
	if n := st.ByEndpoint["GET /{media-id}"]; n != 0 {
		t.Errorf("%d per-child GETs; children must come by field expansion", n)
	}
	if sum.Totals.Calls != st.Calls {
		t.Errorf("summary counts %d calls, the emulator %d", sum.Totals.Calls, st.Calls)
	}

	s := f.store()
	dt := schema.DateOf(f.now)
	media := readRows[schema.MediaRow](t, s, sinks.DataKey(schema.Media, dt, acct.ID))
	if len(media) != 500 {
		t.Fatalf("media rows = %d, want 500", len(media))
	}
	carousels := 0
	for _, m := range media {
		if deref(m.MediaType) == "CAROUSEL_ALBUM" {
			carousels++
			if len(m.Children) != 5 {
				t.Errorf("carousel %s has %d children, want 5", m.ID, len(m.Children))
			}
		} else if m.Children != nil {
			t.Errorf("media %s (%s) has children %v, want NULL", m.ID, deref(m.MediaType), m.Children)
		}
	}
	if carousels != 50 {
		t.Errorf("carousels = %d, want 50", carousels)
	}
	ins := readRows[schema.MediaInsight](t, s, sinks.DataKey(schema.MediaInsights, dt, acct.ID))
	if len(ins) != 500 {
		t.Fatalf("media_insights rows = %d, want 500 (every media gets a row)", len(ins))
	}
	checked := 0
	for _, r := range ins {
		if r.InsightsStatus != schema.StatusOK {
			t.Errorf("media %s status %s", r.ID, r.InsightsStatus)
			continue
		}
		want, ok := f.fake.Dataset().MediaInsight(r.ID, "reach")
		if !ok || r.Reach == nil || *r.Reach != want {
			t.Errorf("media %s reach = %v, emulator %d (%v)", r.ID, ptrStr(r.Reach), want, ok)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no media insights checked")
	}
	stories := 0
	for _, m := range f.fake.Dataset().LiveStories(acct) {
		key := sinks.DataKey(schema.StoryInsights, schema.DateOf(m.Timestamp), acct.ID)
		for _, r := range readRows[schema.StoryInsight](t, s, key) {
			if r.ID != m.ID {
				continue
			}
			stories++
			for metric, got := range map[string]*int64{"reach": r.Reach, "navigation": r.Navigation, "tap_forward": r.TapForward} {
				want, ok := f.fake.Dataset().StoryInsight(m.ID, metric)
				if !ok || got == nil || *got != want {
					t.Errorf("story %s %s = %s, emulator %d (%v)", m.ID, metric, ptrStr(got), want, ok)
				}
			}
		}
	}
	if stories != 3 {
		t.Errorf("story_insights rows for live stories = %d, want 3", stories)
	}
	ui := streamResult(t, sum, acct.Username, schema.UserInsights)
	if ui.Counters.Rows < 28 || ui.Counters.Rows > 31 {
		t.Errorf("user_insights rows = %d, want ~30 days (notes %v)", ui.Counters.Rows, ui.Notes)
	}
	lt := streamResult(t, sum, acct.Username, schema.UserLifetimeInsights)
	if lt.Counters.Rows == 0 {
		t.Errorf("no demographics rows: %+v", lt)
	}
}

func ptrStr(p *int64) string {
	if p == nil {
		return "NULL"
	}
	return fmt.Sprint(*p)
}

func TestApplyTwiceSameDayIsIdempotent(t *testing.T) {
	f := newFixture(t, igfake.Options{Accounts: 2, Media: 60, Stories: 2, Seed: 7})
	start := schema.DateOf(f.now).AddDays(-10)
	for i := range f.cfg.Accounts {
		f.cfg.Accounts[i].StartDate = &start
	}
	first := f.apply(Options{})
	rows1 := lakeRows(t, f.store(), first)
	second := f.apply(Options{})
	rows2 := lakeRows(t, f.store(), second)
	for key, r2 := range rows2 {
		if r1, ok := rows1[key]; !ok || r1 != r2 {
			t.Errorf("%s differs between two runs the same day:\nfirst  %s\nsecond %s", key, r1, r2)
		}
	}
	if first.ExitCode != 0 || second.ExitCode != 0 {
		t.Fatalf("exit codes %d, %d", first.ExitCode, second.ExitCode)
	}
	keys := func(s *Summary) map[string]int64 {
		out := map[string]int64{}
		for _, a := range s.Accounts {
			for _, st := range a.Streams {
				for _, fi := range st.Files {
					out[fi.Key] = fi.Rows
				}
			}
		}
		return out
	}
	k1, k2 := keys(first), keys(second)
	for k, n := range k1 {
		if strings.HasPrefix(k, schema.UserInsights+"/") {
			if m, ok := k2[k]; ok && m != n {
				t.Errorf("%s: %d rows first, %d second", k, n, m)
			}
			continue // the second run re-reads only the lookback window
		}
		if m, ok := k2[k]; !ok || m != n {
			t.Errorf("%s: %d rows first, %d (present %v) second", k, n, m, ok)
		}
	}
	// The second run re-reads only the lookback window of user_insights.
	for k := range k2 {
		if _, ok := k1[k]; !ok {
			t.Errorf("second run wrote a new key %s", k)
		}
	}
	s := f.store()
	acct := f.fake.Dataset().Accounts[0]
	dt := schema.DateOf(f.now)
	rows := readRows[schema.MediaInsight](t, s, sinks.DataKey(schema.MediaInsights, dt, acct.ID))
	if len(rows) != 60 {
		t.Errorf("media_insights after two runs: %d rows, want 60 (merged by id)", len(rows))
	}
	st, err := f.stateStore().LoadState(context.Background(), acct.ID)
	if err != nil || st == nil || st.Generation != 2 {
		t.Fatalf("state after two runs: %+v, %v; want generation 2", st, err)
	}
}

func TestCrashBetweenUploadAndStateKeepsPreviousState(t *testing.T) {
	f := newFixture(t, igfake.Options{Accounts: 1, Media: 30, Stories: 1, Seed: 3})
	f.apply(Options{})
	acct := f.fake.Dataset().Accounts[0]
	before, err := f.stateStore().LoadState(context.Background(), acct.ID)
	if err != nil || before == nil {
		t.Fatalf("state: %v %v", before, err)
	}
	// Second run "crashes" after uploading its data, before the state write.
	sum := f.applyWithHook(Options{Now: func() time.Time { return f.now.Add(24 * time.Hour) }},
		func(string) error { return fmt.Errorf("simulated crash") })
	if sum.ExitCode != 1 {
		t.Fatalf("exit %d, want 1", sum.ExitCode)
	}
	after, err := f.stateStore().LoadState(context.Background(), acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Generation != before.Generation {
		t.Fatalf("generation moved from %d to %d", before.Generation, after.Generation)
	}
	// Every file the current state names is there.
	s := f.store()
	for name, ss := range after.Streams {
		for _, fi := range ss.Files {
			ok, err := s.Bucket().Exists(context.Background(), fi.Key)
			if err != nil || !ok {
				t.Errorf("state names %s/%s which is not there (%v)", name, fi.Key, err)
			}
		}
	}
	// The next run commits generation+1 over the same deterministic keys.
	sum = f.apply(Options{Now: func() time.Time { return f.now.Add(24 * time.Hour) }})
	if sum.ExitCode != 0 {
		t.Fatalf("recovery run exit %d", sum.ExitCode)
	}
	final, _ := f.stateStore().LoadState(context.Background(), acct.ID)
	if final.Generation != before.Generation+1 {
		t.Fatalf("generation %d, want %d", final.Generation, before.Generation+1)
	}
}

// lakeRows reads every file a run committed and returns, per object key,
// its rows as JSON with fetched_at cleared (the one column that differs
// between two runs fetching the same data).
func lakeRows(t *testing.T, s *sinks.Store, sum *Summary) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, a := range sum.Accounts {
		for _, st := range a.Streams {
			for _, fi := range st.Files {
				rel := strings.TrimPrefix(strings.TrimPrefix(fi.Key, s.Prefix()), "/")
				var rows any
				switch st.Stream {
				case schema.Users:
					rows = clearFetched(readRows[schema.User](t, s, rel))
				case schema.Media:
					rows = clearFetched(readRows[schema.MediaRow](t, s, rel))
				case schema.MediaInsights:
					rows = clearFetched(readRows[schema.MediaInsight](t, s, rel))
				case schema.Stories:
					rows = clearFetched(readRows[schema.Story](t, s, rel))
				case schema.StoryInsights:
					rows = clearFetched(readRows[schema.StoryInsight](t, s, rel))
				case schema.UserInsights:
					rows = clearFetched(readRows[schema.UserInsight](t, s, rel))
				case schema.UserLifetimeInsights:
					rows = clearFetched(readRows[schema.LifetimeInsight](t, s, rel))
				}
				b, err := json.Marshal(rows)
				if err != nil {
					t.Fatal(err)
				}
				out[rel] = string(b)
			}
		}
	}
	return out
}

// clearFetched zeroes the FetchedAt field of every row.
func clearFetched[T any](rows []T) []T {
	for i := range rows {
		reflect.ValueOf(&rows[i]).Elem().FieldByName("FetchedAt").Set(reflect.ValueOf(time.Time{}))
	}
	return rows
}

func (f *fixture) applyWithHook(o Options, hook func(account string) error) *Summary {
	f.t.Helper()
	o.beforeStateCommit = hook
	return f.apply(o)
}

func TestUserInsightsWindow(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	d := func(s string) *schema.Date { v, _ := schema.ParseDate(s); return &v }
	tests := []struct {
		name             string
		cursor, start    *schema.Date
		from, to         *schema.Date
		wantFrom, wantTo string
		wantTooOld       string
		wantAny          bool
	}{
		{name: "first run without start_date goes back as far as the API serves", wantFrom: "2024-11-24", wantTo: "2026-11-21", wantAny: true},
		{name: "first run from start_date", start: d("2026-11-01"), wantFrom: "2026-11-01", wantTo: "2026-11-21", wantAny: true},
		{name: "cursor minus lookback", cursor: d("2026-11-20"), wantFrom: "2026-11-18", wantTo: "2026-11-21", wantAny: true},
		{name: "lookback never reaches before start_date", cursor: d("2026-11-20"), start: d("2026-11-19"), wantFrom: "2026-11-19", wantTo: "2026-11-21", wantAny: true},
		{name: "backfill older than the API serves reports the unrecoverable part", from: d("2024-01-01"), to: d("2025-01-31"),
			wantFrom: "2024-11-24", wantTo: "2025-01-31", wantTooOld: "2024-01-01..2024-11-23", wantAny: true},
		{name: "backfill entirely too old", from: d("2020-01-01"), to: d("2020-02-01"), wantTooOld: "2020-01-01..2020-02-01"},
		{name: "backfill never past yesterday", from: d("2026-11-10"), to: d("2026-12-31"), wantFrom: "2026-11-10", wantTo: "2026-11-21", wantAny: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, any := userInsightsWindow(now, schema.DateOf(now).AddDays(-1), tt.cursor, 2, tt.start, tt.from, tt.to)
			if any != tt.wantAny {
				t.Fatalf("any = %v, want %v (%+v)", any, tt.wantAny, w)
			}
			if any && (w.From.String() != tt.wantFrom || w.To.String() != tt.wantTo) {
				t.Errorf("window %s..%s, want %s..%s", w.From, w.To, tt.wantFrom, tt.wantTo)
			}
			got := ""
			if w.TooOld != nil {
				got = w.TooOld[0].String() + ".." + w.TooOld[1].String()
			}
			if got != tt.wantTooOld {
				t.Errorf("too old %q, want %q", got, tt.wantTooOld)
			}
		})
	}
}

func TestShardStability(t *testing.T) {
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprintf("178414%011d", i+1)
	}
	before := map[string]int{}
	for _, id := range ids {
		before[id] = ShardOf(id, 10)
	}
	moved := 0
	for _, id := range append(slices.Clone(ids), "17841499999999999") {
		if s, ok := before[id]; ok && s != ShardOf(id, 10) {
			moved++
		}
	}
	if moved > 2 {
		t.Errorf("adding one account moved %d accounts", moved)
	}
}
