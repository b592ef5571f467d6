package export

import (
	"testing"

	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/internal/igfake"
	"github.com/igexport/igexport/internal/schema"
)

// TestSpillDoesNotHoldAWriterPerPartition: a stream whose rows spread over
// many small partitions (comments, partitioned by their own dates) and
// outnumber maxBufferedRows must not end up holding a partition writer for
// each partition it spilled: the writers alive at once stay bounded by
// the run's commit slots, not by the comments' days (266 before).
func TestSpillDoesNotHoldAWriterPerPartition(t *testing.T) {
	f := newFixture(t, igfake.Options{Accounts: 1, Media: 400, Stories: -1, Seed: 5})
	f.cfg.Streams = []string{schema.Comments}
	f.cfg.StreamSettings[schema.Comments] = hcl.StreamConfig{Name: schema.Comments, RefreshDays: 3, Usernames: hcl.UsernamesKeep}
	b := newWriteBudget()
	sum := f.apply(Options{budget: b})
	if sum.ExitCode != 0 {
		t.Fatalf("exit %d: %+v", sum.ExitCode, sum.Accounts)
	}
	res := streamResult(t, sum, f.fake.Dataset().Accounts[0].ID, schema.Comments)
	if res.Counters.Rows <= maxBufferedRows || res.Counters.Files < 2*commitWriters {
		t.Fatalf("%d comments in %d files: the test needs more than %d rows over more than %d partitions",
			res.Counters.Rows, res.Counters.Files, maxBufferedRows, 2*commitWriters)
	}
	writers, rows := b.peaks()
	t.Logf("%d comments in %d files; at most %d partition writers and %d buffered rows at once", res.Counters.Rows, res.Counters.Files, writers, rows)
	if writers > commitWriters {
		t.Errorf("%d partition writers alive at once, want at most the run's %d commit slots", writers, commitWriters)
	}
	// Partitions committed early and again at the end lose no comment
	// and hold none twice; the result names each file once.
	if n := checkLakeComments(t, f); int64(n) != res.Counters.Rows {
		t.Errorf("%d comments in the lake, the run counted %d rows", n, res.Counters.Rows)
	}
	keys := map[string]bool{}
	for _, fi := range res.Files {
		if keys[fi.Key] {
			t.Errorf("%s twice in the result", fi.Key)
		}
		keys[fi.Key] = true
	}
}
