package export

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/internal/igfake"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// planNow: 12:00 UTC, when the previous US Pacific day is over.
var planNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// planToken is the canary the plan tests look for.
const planToken = testToken

type planFixture struct {
	t    *testing.T
	fake *igfake.Server
	cfg  *hcl.Config
}

// newPlanFixture is newFixture at planNow, with a key prefix and 5 days of
// account insights.
func newPlanFixture(t *testing.T, fo igfake.Options) *planFixture {
	t.Helper()
	fo.Now = func() time.Time { return planNow }
	base := newFixture(t, fo)
	cfg := base.cfg
	cfg.Path = "igexport.hcl"
	cfg.Destination.Prefix = "ig"
	cfg.State.Prefix = "ig/_igexport"
	start := schema.DateOf(planNow).AddDays(-5)
	for i := range cfg.Accounts {
		cfg.Accounts[i].StartDate = &start
	}
	return &planFixture{t: t, fake: base.fake, cfg: cfg}
}

func (f *planFixture) options(o Options) Options {
	o.Now = func() time.Time { return planNow }
	return o
}

func (f *planFixture) plan(o Options) *Plan {
	f.t.Helper()
	p, err := MakePlan(context.Background(), f.cfg, f.options(o))
	if err != nil {
		f.t.Fatalf("plan: %v", err)
	}
	return p
}

func (f *planFixture) apply(o Options) *Summary {
	f.t.Helper()
	sum, err := Apply(context.Background(), f.cfg, f.options(o))
	if err != nil {
		f.t.Fatalf("apply: %v", err)
	}
	return sum
}

func (f *planFixture) state() *sinks.Store {
	f.t.Helper()
	return openStore(f.t, f.cfg.State.URL, f.cfg.State.Prefix)
}

func streamPlan(t *testing.T, p *Plan, account, stream string) StreamPlan {
	t.Helper()
	for _, a := range p.Accounts {
		if a.Name == account || a.AccountID == account {
			for _, s := range a.Streams {
				if s.Stream == stream {
					return s
				}
			}
		}
	}
	t.Fatalf("no plan for %s/%s", account, stream)
	return StreamPlan{}
}

// TestPlanEstimatesMatchApply: a plan fetches nothing; made from the state,
// its estimates are the calls and round trips apply then makes, stream by
// stream (250 media: 3 pages, 5 batches; 3 stories with navigation).
func TestPlanEstimatesMatchApply(t *testing.T) {
	f := newPlanFixture(t, igfake.Options{Accounts: 2, Media: 250, Stories: 3, Seed: 3})
	first := f.plan(Options{})
	if st := f.fake.Stats(); st.RoundTrips != st.ByEndpoint["GET /debug_token"] { // token health: one per distinct token
		t.Fatalf("MakePlan sent %d requests to the Graph API", st.RoundTrips)
	}
	if !first.Totals.LowerBound {
		t.Error("a first-run plan cannot know the media count: its totals must be a lower bound")
	}
	if s := streamPlan(t, first, "igfake_1", schema.UserInsights); s.Fetch != "window" || *s.Since != schema.DateOf(planNow).AddDays(-5) {
		t.Errorf("first run user_insights: %+v", s)
	}
	f.apply(Options{})

	for _, sel := range [][]string{nil, {schema.MediaInsights, schema.StoryInsights}} {
		p := f.plan(Options{Streams: sel})
		f.fake.ResetStats()
		sum := f.apply(Options{Streams: sel})
		for _, a := range sum.Accounts {
			for _, s := range a.Streams {
				sp := streamPlan(t, p, a.AccountID, s.Stream)
				if sp.Estimate.LowerBound {
					t.Errorf("%s/%s: a lower bound after a run: %+v", a.Name, s.Stream, sp)
				}
				if sp.Estimate.Calls != s.Counters.Calls || sp.Estimate.RoundTrips != s.Counters.RoundTrips {
					t.Errorf("streams %v: %s/%s: planned %d calls / %d round trips, made %d / %d (%s)", sel, a.Name, s.Stream,
						sp.Estimate.Calls, sp.Estimate.RoundTrips, s.Counters.Calls, s.Counters.RoundTrips, sp.Basis)
				}
			}
		}
		if st := f.fake.Stats(); st.Calls != p.Totals.Calls || st.RoundTrips != p.Totals.RoundTrips {
			t.Errorf("streams %v: the emulator counted %d calls / %d round trips, the plan said %d / %d",
				sel, st.Calls, st.RoundTrips, p.Totals.Calls, p.Totals.RoundTrips)
		}
	}
}

// TestPlanPartitionsAndWindows: keys of the snapshot partitions, the
// user_insights window from the cursor, a backfill with its part too old
// to recover, -snapshot-date.
func TestPlanPartitionsAndWindows(t *testing.T) {
	f := newPlanFixture(t, igfake.Options{Accounts: 1, Media: 5, Stories: 1, Seed: 1})
	f.apply(Options{Streams: []string{schema.Users, schema.UserInsights}})

	snap := schema.DateOf(planNow).AddDays(-3)
	p := f.plan(Options{SnapshotDate: &snap})
	users := streamPlan(t, p, "igfake_1", schema.Users)
	if want := "ig/users/dt=" + snap.String() + "/account_id=17841400000000001/part-00000.parquet"; len(users.Partitions.Keys) != 1 || users.Partitions.Keys[0] != want {
		t.Errorf("users partitions: %+v, want %s", users.Partitions, want)
	}
	ui := streamPlan(t, p, "igfake_1", schema.UserInsights)
	yesterday := schema.DateOf(planNow).AddDays(-1)
	// three days of one month (or two): the month files holding them
	months := schema.Month.Count(yesterday.AddDays(-2), yesterday)
	if ui.Fetch != "window" || *ui.Since != yesterday.AddDays(-2) || *ui.Until != yesterday || ui.Partitions.Count != months ||
		ui.Partitions.Partition != schema.Month || len(ui.Partitions.Keys) != months {
		t.Errorf("user_insights after a run: %+v", ui)
	}
	if want := "ig/" + sinks.DataKey(schema.UserInsights, yesterday, "17841400000000001"); ui.Partitions.Keys[months-1] != want ||
		!strings.Contains(want, "/month="+yesterday.Time().Format("2006-01")+"/") {
		t.Errorf("keys %q, want the last %q", ui.Partitions.Keys, want)
	}
	if p.Accounts[0].Generation != 1 || p.Accounts[0].LastRunID == "" {
		t.Errorf("generation %d, last run %q", p.Accounts[0].Generation, p.Accounts[0].LastRunID)
	}

	from, to := schema.DateOf(planNow).AddDays(-1000), schema.DateOf(planNow).AddDays(-700)
	p = f.plan(Options{From: &from, To: &to, Streams: []string{schema.UserInsights}})
	ui = streamPlan(t, p, "igfake_1", schema.UserInsights)
	if ui.Fetch != "backfill" || ui.TooOld == nil || ui.TooOld.From != from || *ui.Until != to || *ui.Since != ui.TooOld.To.AddDays(1) {
		t.Errorf("backfill: %+v", ui)
	}
	if !strings.Contains(strings.Join(ui.Notes, "\n"), "not recoverable") || !strings.Contains(strings.Join(ui.Notes, "\n"), "does not move backwards") {
		t.Errorf("backfill notes: %v", ui.Notes)
	}
	from = schema.DateOf(planNow).AddDays(-2000)
	to = schema.DateOf(planNow).AddDays(-1900)
	p = f.plan(Options{From: &from, To: &to, Streams: []string{schema.UserInsights}})
	if ui = streamPlan(t, p, "igfake_1", schema.UserInsights); ui.Fetch != "none" || ui.TooOld == nil || ui.Estimate.Calls != 0 {
		t.Errorf("a backfill entirely too old: %+v", ui)
	}
}

// TestPlanBudgetWarning: the last run's usage headers (usage_percent in its
// summary) against the calls planned.
func TestPlanBudgetWarning(t *testing.T) {
	f := newPlanFixture(t, igfake.Options{Accounts: 1, Media: 40, Stories: 1, Seed: 1})
	f.apply(Options{})
	// The real run recorded the emulator's usage headers.
	if b := f.plan(Options{}).Accounts[0].Budget; b == nil || b.UsagePercent <= 0 || b.Calls <= 0 {
		t.Fatalf("the apply run recorded no usage: budget %+v", b)
	}
	// From here on, hand-written run summaries only.
	ids, err := f.state().ListRuns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if err := f.state().Bucket().Delete(context.Background(), f.state().FullKey(sinks.RunKey(id))); err != nil {
			t.Fatal(err)
		}
	}
	put := func(runID string, finished time.Time, calls int64, usage int) {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"format": SummaryFormat, "run_id": runID, "finished_at": finished,
			"accounts": []map[string]any{{"name": "igfake_1", "account_id": "17841400000000001",
				"counters": map[string]any{"api_calls": calls, "usage_percent": usage}}}})
		if err := f.state().PutRun(context.Background(), runID, b); err != nil {
			t.Fatal(err)
		}
	}
	// 60 calls made 90 %: a budget of 66, 6 left; the plan needs more.
	put("20261122T110000Z-aaaaaa", planNow.Add(-time.Hour), 60, 90)
	p := f.plan(Options{})
	a := p.Accounts[0]
	if a.Budget == nil || a.Budget.Total != 66 || a.Budget.Left != 6 {
		t.Fatalf("budget %+v", a.Budget)
	}
	if !strings.Contains(strings.Join(a.Warnings, "\n"), "more than the ≈6 the usage headers suggest are left (90% used after 60 calls in 1 run(s) of 24 h") {
		t.Errorf("no budget warning: %v", a.Warnings)
	}
	// A newer summary of a run 2 days ago: its calls left the 24 h window,
	// the 60 calls of an hour ago did not.
	put("20261122T115900Z-bbbbbb", planNow.Add(-48*time.Hour), 1000, 10)
	p = f.plan(Options{})
	if b := p.Accounts[0].Budget; b == nil || b.Total != 10000 || b.Left != 9940 || len(p.Accounts[0].Warnings) != 0 {
		t.Errorf("budget %+v, warnings %v", b, p.Accounts[0].Warnings)
	}
}

// TestPlanDiscoverFromState: a discover block's accounts are known at
// apply time; those an earlier run found come from the state, filtered by
// the block's globs, and nothing is fetched.
func TestPlanDiscoverFromState(t *testing.T) {
	f := newPlanFixture(t, igfake.Options{Accounts: 3, Media: 5, Stories: 1, Seed: 1})
	f.cfg.Accounts = f.cfg.Accounts[:1] // igfake_1 explicit
	f.cfg.Discover = []hcl.Discover{{Name: "agency", AccessToken: planToken, Include: []string{"*"}}}
	f.cfg.Streams = []string{schema.Users}

	p := f.plan(Options{})
	if len(p.Accounts) != 1 || len(p.Discover) != 1 || len(p.Discover[0].Known) != 0 || !p.Totals.LowerBound {
		t.Fatalf("before any run: %+v", p)
	}
	f.apply(Options{})
	f.fake.ResetStats()

	f.cfg.Discover[0].Exclude = []string{"igfake_3"}
	p = f.plan(Options{})
	if st := f.fake.Stats(); st.RoundTrips != st.ByEndpoint["GET /debug_token"] {
		t.Error("plan called the Graph API")
	}
	var got []string
	for _, a := range p.Accounts {
		got = append(got, a.Name+":"+a.Source)
	}
	if strings.Join(got, ",") != "igfake_1:account,igfake_2:state" || strings.Join(p.Discover[0].Known, ",") != "igfake_2" {
		t.Errorf("accounts %v, known %v", got, p.Discover[0].Known)
	}

	// -account may name an account only discovery knows: a warning, not an error.
	p = f.plan(Options{Accounts: []string{"someone_new"}})
	if len(p.Accounts) != 0 || len(p.Warnings) == 0 {
		t.Errorf("-account of a not yet discovered account: %+v", p)
	}
}

// TestPlanCheck: a saved plan goes stale when a generation, the config or
// the day moves.
func TestPlanCheck(t *testing.T) {
	f := newPlanFixture(t, igfake.Options{Accounts: 2, Media: 5, Stories: 1, Seed: 1})
	f.cfg.Streams = []string{schema.Users}
	ctx := context.Background()
	p := f.plan(Options{})
	b, _ := json.Marshal(p)
	if strings.Contains(string(b), planToken) {
		t.Fatal("the plan holds the token")
	}
	if err := p.Check(ctx, f.cfg, planNow); err != nil {
		t.Fatalf("fresh plan: %v", err)
	}
	f.apply(Options{Accounts: []string{"igfake_2"}})
	err := p.Check(ctx, f.cfg, planNow)
	if !errors.Is(err, ErrStalePlan) || !strings.Contains(err.Error(), "igfake_2 (17841400000000002) generation 0 → 1") ||
		strings.Contains(err.Error(), "igfake_1") {
		t.Errorf("after a run of igfake_2: %v", err)
	}
	p = f.plan(Options{})
	if err := p.Check(ctx, f.cfg, planNow.Add(24*time.Hour)); !errors.Is(err, ErrStalePlan) {
		t.Errorf("the next day: %v", err)
	}
	f.cfg.Streams = []string{schema.Users, schema.Media}
	if err := p.Check(ctx, f.cfg, planNow); !errors.Is(err, ErrStalePlan) {
		t.Errorf("another config: %v", err)
	}
	f.cfg.Streams = []string{schema.Users}
	f.cfg.Accounts[0].AccessToken = "another-token-entirely"
	if err := p.Check(ctx, f.cfg, planNow); err != nil {
		t.Errorf("a rotated token does not make a plan stale: %v", err)
	}
	if o := p.Options(); len(o.Accounts) != 0 || o.Shards != 0 {
		t.Errorf("options %+v", o)
	}
}

// TestPlanLeaseAndMediaCount: a live lease is shown; without a media file
// in the state the media count comes from the users stream's media_count.
func TestPlanLeaseAndMediaCount(t *testing.T) {
	f := newPlanFixture(t, igfake.Options{Accounts: 1, Media: 130, Stories: 1, Seed: 1})
	f.apply(Options{Streams: []string{schema.Users}})
	lease, err := f.state().AcquireLease(context.Background(), "17841400000000001", "20261122T115000Z-cccccc", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release(context.Background())
	p := f.plan(Options{})
	a := p.Accounts[0]
	if a.Lease == nil || a.Lease.RunID != "20261122T115000Z-cccccc" || !strings.Contains(strings.Join(a.Warnings, "\n"), "apply will skip this account") {
		t.Errorf("lease %+v, warnings %v", a.Lease, a.Warnings)
	}
	media := streamPlan(t, p, "igfake_1", schema.Media)
	ins := streamPlan(t, p, "igfake_1", schema.MediaInsights)
	if media.Estimate.Calls != 2 || ins.Estimate.Calls != 130 || ins.Estimate.RoundTrips != 3 || !strings.Contains(media.Basis, "media_count") {
		t.Errorf("media %+v, media_insights %+v", media, ins)
	}
}

// TestPlanEqualsApplyAcrossDayBoundaries: plan's estimates are apply's
// requests, stream by stream, and its user_insights window ends where apply
// stops writing: at the account's last finished day, which is not UTC
// yesterday for a US Pacific account in the UTC morning nor for a UTC+9
// account in the UTC evening. The first run learns the account's day
// boundary; the second, at the same instant, is planned with it.
func TestPlanEqualsApplyAcrossDayBoundaries(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		loc  *time.Location
		at   time.Time
		last string // the account's last finished day at `at`
	}{
		{"US Pacific at 03:00 UTC", pacific(), time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC), "2026-11-20"},
		{"UTC+9 at 20:00 UTC", tokyo, time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC), "2026-11-22"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			at := tc.at
			f := newFixture(t, igfake.Options{Accounts: 2, Media: 120, Stories: 3, Seed: 11, Location: tc.loc,
				Now: func() time.Time { return at }})
			o := Options{Now: func() time.Time { return at }}
			ctx := context.Background()
			for run := 1; run <= 2; run++ {
				p, err := MakePlan(ctx, f.cfg, o)
				if err != nil {
					t.Fatal(err)
				}
				f.fake.ResetStats()
				sum := f.apply(o)
				if sum.ExitCode != 0 {
					t.Fatalf("run %d: exit %d: %+v", run, sum.ExitCode, sum.Accounts)
				}
				for _, a := range sum.Accounts {
					for _, s := range a.Streams {
						sp := streamPlan(t, p, a.AccountID, s.Stream)
						if run == 1 && sp.Estimate.LowerBound {
							continue // a first run does not know the media and stories
						}
						if sp.Estimate.LowerBound || sp.Estimate.Calls != s.Counters.Calls || sp.Estimate.RoundTrips != s.Counters.RoundTrips {
							t.Errorf("run %d: %s/%s: planned %d calls / %d round trips (lower bound %v), made %d / %d (%s)", run, a.Name, s.Stream,
								sp.Estimate.Calls, sp.Estimate.RoundTrips, sp.Estimate.LowerBound, s.Counters.Calls, s.Counters.RoundTrips, sp.Basis)
						}
						if s.Stream != schema.UserInsights {
							continue
						}
						// the newest day in the month files apply wrote, each
						// of which the plan names
						var written schema.Date
						for _, fi := range s.Files {
							k, err := sinks.ParseDataKey(fi.Key)
							if err != nil {
								t.Fatal(err)
							}
							for _, r := range readRows[schema.UserInsight](t, f.store(), k.Rel()) {
								written = max(written, r.Date)
							}
							if !slices.Contains(sp.Partitions.Keys, fi.Key) {
								t.Errorf("run %d: %s: apply wrote %s, the plan names %q", run, a.Name, fi.Key, sp.Partitions.Keys)
							}
						}
						if sp.Until == nil || *sp.Until != written {
							t.Errorf("run %d: %s: plan's window ends %v, apply wrote up to %s", run, a.Name, sp.Until, written)
						}
						if run == 2 && written.String() != tc.last {
							t.Errorf("%s: user_insights written up to %s, want the account's last finished day %s", a.Name, written, tc.last)
						}
					}
				}
				if st := f.fake.Stats(); run == 2 && (st.Calls != p.Totals.Calls || st.RoundTrips != p.Totals.RoundTrips) {
					t.Errorf("the emulator counted %d calls / %d round trips, the plan said %d / %d", st.Calls, st.RoundTrips, p.Totals.Calls, p.Totals.RoundTrips)
				}
			}
		})
	}
}

// TestJobValidateReportsEveryProblem: a bad selection is reported whole,
// every problem at once.
func TestJobValidateReportsEveryProblem(t *testing.T) {
	f := newPlanFixture(t, igfake.Options{Accounts: 1, Media: 1, Stories: 1, Seed: 1})
	from, to := schema.DateOf(planNow), schema.DateOf(planNow).AddDays(-3)
	err := ResolveJob(f.cfg, Options{Streams: []string{"reels"}, Accounts: []string{"nobody"}, From: &from, To: &to,
		Concurrency: -1, Shard: 5, Shards: 4}).Validate()
	for _, want := range []string{`-stream "reels": unknown stream`, `-account "nobody": no such account`,
		"is before -from", "-concurrency -1", "-shard 5/4"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to say %q", err, want)
		}
	}
	if err := ResolveJob(f.cfg, Options{Accounts: []string{"igfake_1"}}).Validate(); err != nil {
		t.Errorf("a good selection: %v", err)
	}
}

// TestResolveAccount: a name, a discovered username or an id, once.
func TestResolveAccount(t *testing.T) {
	v := &StateView{Names: map[string]string{"17841400000000001": "brand_a", "17841400000000002": "found_b"}}
	for _, tc := range []struct{ arg, want, err string }{
		{"brand_a", "17841400000000001", ""}, {"found_b", "17841400000000002", ""},
		{"17841400000000002", "17841400000000002", ""}, {"17841499999999999", "17841499999999999", ""},
		{"brand_z", "", "neither an account name"},
	} {
		got, err := v.ResolveAccount(tc.arg)
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ResolveAccount(%q) = %q, %v", tc.arg, got, err)
		}
	}
}

// TestPlanWarnsOfVersionExpiry: a pinned Graph API version expiring within
// 90 days is a plan warning (and an apply summary warning); one further
// off is not.
func TestPlanWarnsOfVersionExpiry(t *testing.T) {
	f := newPlanFixture(t, igfake.Options{Accounts: 1, Media: 2, Stories: 1, Seed: 1})
	f.cfg.Streams = []string{schema.Users}
	for _, tt := range []struct{ version, want string }{
		{"v21.0", "graph API v21.0 expires on 2027-01-21, in 59 days"},
		{"v23.0", ""},
	} {
		f.cfg.GraphAPIVersion = tt.version
		p := f.plan(Options{})
		got := strings.Join(p.Warnings, "\n")
		if tt.want == "" && strings.Contains(got, "expires on") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: plan warnings %q, want %q", tt.version, got, tt.want)
		}
	}
}
