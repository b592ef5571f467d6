package export

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/igexport/igexport/internal/igfake"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

func TestInsightsPOSTsPerCall(t *testing.T) {
	tests := []struct {
		accounts, concurrency, want int
	}{
		{1, 16, 16},  // one account alone fills the limiter
		{2, 16, 8},   // two share it
		{100, 16, 4}, // many: insightsBatchesInFlight each, 16 accounts in flight
		{1, 1, 4},    // never fewer than insightsBatchesInFlight
		{0, 16, 16},  // no account: as one
	}
	for _, tt := range tests {
		if got := insightsPOSTsPerCall(tt.accounts, tt.concurrency); got != tt.want {
			t.Errorf("insightsPOSTsPerCall(%d accounts, concurrency %d) = %d, want %d", tt.accounts, tt.concurrency, got, tt.want)
		}
	}
}

// TestUserInsightsCallsInParts: a first run's two years of user_insights
// (~1,500 total_value operations an account) go out in Batch calls of the
// account's share of the limiter (insightsPOSTsPerCall), many at
// concurrency 1, few at 64: the same rows, the same calls and round trips
// (whole POSTs of 50 operations, as plan counts them) either way.
func TestUserInsightsCallsInParts(t *testing.T) {
	type outcome struct {
		calls, roundTrips int64
		rows              map[string][]schema.UserInsight // by account
	}
	run := func(concurrency int) outcome {
		f := newFixture(t, igfake.Options{Accounts: 2, Media: 1, Stories: -1, Seed: 7})
		for i := range f.cfg.Accounts {
			f.cfg.Accounts[i].StartDate = nil // the two-year default
		}
		o := Options{Streams: []string{schema.UserInsights}, Concurrency: concurrency, Now: func() time.Time { return f.now }}
		p, err := MakePlan(context.Background(), f.cfg, o)
		if err != nil {
			t.Fatal(err)
		}
		f.fake.ResetStats()
		sum := f.apply(o)
		if sum.ExitCode != 0 {
			t.Fatalf("concurrency %d: exit %d: %+v", concurrency, sum.ExitCode, sum.Accounts)
		}
		st := f.fake.Stats()
		if st.Calls != p.Totals.Calls || st.RoundTrips != p.Totals.RoundTrips {
			t.Errorf("concurrency %d: the emulator counted %d calls / %d round trips, the plan said %d / %d",
				concurrency, st.Calls, st.RoundTrips, p.Totals.Calls, p.Totals.RoundTrips)
		}
		out := outcome{calls: st.Calls, roundTrips: st.RoundTrips, rows: map[string][]schema.UserInsight{}}
		for _, a := range sum.Accounts {
			for _, fi := range streamResult(t, sum, a.Name, schema.UserInsights).Files {
				k, err := sinks.ParseDataKey(fi.Key)
				if err != nil {
					t.Fatal(err)
				}
				out.rows[a.Name] = append(out.rows[a.Name], readRows[schema.UserInsight](t, f.store(), k.Rel())...)
			}
			slices.SortFunc(out.rows[a.Name], func(x, y schema.UserInsight) int { return int(x.Date - y.Date) })
		}
		return out
	}
	parts, whole := run(1), run(64)
	// concurrency 1: calls of 4 POSTs (200 operations); 64 with 2 accounts:
	// of 32 (1,600, the whole window).
	if min := int64(2 * 700); parts.calls < min {
		t.Fatalf("%d calls: not the two-year window (want over %d)", parts.calls, min)
	}
	if parts.calls != whole.calls || parts.roundTrips != whole.roundTrips {
		t.Errorf("in parts: %d calls / %d round trips; in whole calls: %d / %d", parts.calls, parts.roundTrips, whole.calls, whole.roundTrips)
	}
	for name, rows := range whole.rows {
		if len(rows) < 700 {
			t.Errorf("%s: %d user_insights rows, want two years' worth", name, len(rows))
		}
		if !reflect.DeepEqual(parts.rows[name], rows) {
			t.Errorf("%s: the rows differ between calls in parts (%d rows) and whole (%d rows)", name, len(parts.rows[name]), len(rows))
		}
	}
}
