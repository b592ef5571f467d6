package export

import (
	"testing"

	"github.com/igexport/igexport/internal/igfake"
	"github.com/igexport/igexport/internal/schema"
)

// The partition writers a run holds at once must not grow with the
// history it writes (a first run's user_insights spans two years by
// default) nor with its accounts: at most the run's commit slots, here
// where no partition is big enough to spill. The count is the run's own
// (writeBudget), so the bound holds whatever the scheduling.
func TestPartitionWritersDoNotGrowWithHistoryOrAccounts(t *testing.T) {
	tests := []struct {
		name     string
		accounts int
		days     int // of account insights; 0: the default, two years
	}{
		{"one account, 10 days", 1, 10},
		{"one account, two years", 1, 0},
		{"three accounts, two years", 3, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, igfake.Options{Accounts: tc.accounts, Media: 30, Stories: 2, Seed: 1})
			for i := range f.cfg.Accounts {
				f.cfg.Accounts[i].StartDate = nil
				if tc.days > 0 {
					start := schema.DateOf(f.now).AddDays(-tc.days)
					f.cfg.Accounts[i].StartDate = &start
				}
			}
			b := newWriteBudget()
			sum := f.apply(Options{budget: b})
			if sum.ExitCode != 0 {
				t.Fatalf("exit %d: %+v", sum.ExitCode, sum.Accounts)
			}
			var uiRows int64
			for _, a := range sum.Accounts {
				uiRows += streamResult(t, sum, a.Name, schema.UserInsights).Counters.Rows
			}
			// Two years of days per account: far more partitions than slots.
			if want := int64(tc.accounts * tc.days); tc.days > 0 && uiRows != want {
				t.Errorf("user_insights rows = %d, want %d", uiRows, want)
			}
			if want := int64(tc.accounts * 700); tc.days == 0 && uiRows < want {
				t.Errorf("user_insights rows = %d, want two years' (≥ %d)", uiRows, want)
			}
			writers, rows := b.peaks()
			t.Logf("%d files; at most %d partition writers and %d buffered rows at once", sum.Totals.Files, writers, rows)
			if writers > commitWriters {
				t.Errorf("%d partition writers alive at once, want at most the run's %d commit slots", writers, commitWriters)
			}
			if writers == 0 {
				t.Error("no partition writer counted: the budget is not in use")
			}
			if b.writers != 0 || b.buffered != 0 {
				t.Errorf("after the run %d writers and %d buffered rows are still counted, want 0", b.writers, b.buffered)
			}
		})
	}
}
