package export

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/igexport/igexport/internal/igfake"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// clockFixture is a fixture of one account exporting user_insights only,
// whose emulator and runs share a clock the test moves.
func clockFixture(t *testing.T, start time.Time) (*fixture, func(time.Time)) {
	t.Helper()
	var now atomic.Int64
	now.Store(start.UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()).UTC() }
	f := newFixture(t, igfake.Options{Accounts: 1, Media: 3, Stories: -1, Seed: 11, Now: clock})
	f.cfg.Streams = []string{schema.UserInsights, schema.Users}
	set := func(t time.Time) { now.Store(t.UnixNano()); f.now = t }
	return f, set
}

// lakeFile is one user_insights object of the lake.
type lakeFile struct {
	key  string // relative to the destination store
	rows []schema.UserInsight
	mod  time.Time
}

// userInsightsLake lists and reads every user_insights object of the lake.
func userInsightsLake(t *testing.T, s *sinks.Store) []lakeFile {
	t.Helper()
	var out []lakeFile
	it := s.Bucket().List(nil)
	for {
		obj, err := it.Next(context.Background())
		if err != nil {
			break
		}
		rel := strings.TrimPrefix(obj.Key, s.Prefix())
		if !strings.HasPrefix(rel, schema.UserInsights+"/") {
			continue
		}
		out = append(out, lakeFile{key: rel, rows: readRows[schema.UserInsight](t, s, rel), mod: obj.ModTime})
	}
	return out
}

// byDate returns every row of the files by date, failing on a date found
// twice (in one file or in two).
func byDate(t *testing.T, files []lakeFile) map[schema.Date]schema.UserInsight {
	t.Helper()
	out := map[schema.Date]schema.UserInsight{}
	for _, f := range files {
		for _, r := range f.rows {
			if _, dup := out[r.Date]; dup {
				t.Errorf("date %s is in the lake twice (again in %s)", r.Date, f.key)
			}
			out[r.Date] = r
		}
	}
	return out
}

func rowsJSON(t *testing.T, rows []schema.UserInsight) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(rowJSON(t, r, true) + "\n")
	}
	return b.String()
}

func rowJSON(t *testing.T, r schema.UserInsight, withFetched bool) string {
	t.Helper()
	if !withFetched {
		r.FetchedAt = time.Time{}
	}
	if r.EndTime != nil {
		r.EndTime = schema.Ptr(r.EndTime.UTC())
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestUserInsightsMonthFiles: a two-year first run writes one file per
// calendar month; a second run the same day writes none; the next night
// writes the current and previous month's only, each month file holding
// one row per day of its month (SPEC §2).
func TestUserInsightsMonthFiles(t *testing.T) {
	day1 := time.Date(2026, 12, 1, 10, 30, 0, 0, time.UTC)
	f, setNow := clockFixture(t, day1)
	f.cfg.Accounts[0].StartDate = nil // the two-year default
	acct := f.fake.Dataset().Accounts[0]
	s := f.store()

	type run struct {
		name     string
		at       time.Time
		maxFiles int64
		minFiles int64
	}
	var prev []lakeFile
	for _, r := range []run{
		{"first run, two years", day1, 30, 24},
		{"second run the same day", day1, 0, 0},
		{"next night", day1.Add(24 * time.Hour), 2, 1},
	} {
		setNow(r.at)
		sum := f.apply(Options{})
		if sum.ExitCode != 0 {
			t.Fatalf("%s: exit %d: %+v", r.name, sum.ExitCode, sum.Accounts)
		}
		res := streamResult(t, sum, acct.ID, schema.UserInsights)
		if res.Counters.Files > r.maxFiles || res.Counters.Files < r.minFiles {
			t.Errorf("%s: wrote %d user_insights files, want %d..%d", r.name, res.Counters.Files, r.minFiles, r.maxFiles)
		}
		files := userInsightsLake(t, s)
		rows := byDate(t, files)
		for _, lf := range files {
			k, err := sinks.ParseDataKey(lf.key)
			if err != nil || k.Partition != schema.Month {
				t.Errorf("%s: %s is not a month file (%v)", r.name, lf.key, err)
				continue
			}
			for _, row := range lf.rows {
				if schema.Month.Start(row.Date) != k.Date {
					t.Errorf("%s: row of %s in %s", r.name, row.Date, lf.key)
				}
			}
		}
		// one row per day from two years back to the last finished day
		last := schema.DateOf(r.at).AddDays(-1)
		first := schema.DateOf(r.at).AddDays(-maxHistoryDays)
		if r.at != day1 {
			first = schema.DateOf(day1).AddDays(-maxHistoryDays)
		}
		for d := first; d <= last; d = d.AddDays(1) {
			if _, ok := rows[d]; !ok {
				t.Errorf("%s: no row for %s", r.name, d)
			}
		}
		if want := int(last-first) + 1; len(rows) != want {
			t.Errorf("%s: %d rows, want %d", r.name, len(rows), want)
		}
		if len(files) > 26 {
			t.Errorf("%s: %d user_insights objects in the lake, want one per month (≤ 26)", r.name, len(files))
		}
		// The files a run did not write are the same objects as before.
		written := map[string]bool{}
		for _, fi := range res.Files {
			if !fi.Kept {
				written[strings.TrimPrefix(fi.Key, s.Prefix())] = true
			}
		}
		if int64(len(written)) != res.Counters.Files {
			t.Errorf("%s: %d files not kept in the result, counters say %d", r.name, len(written), res.Counters.Files)
		}
		for _, p := range prev {
			i := slices.IndexFunc(files, func(lf lakeFile) bool { return lf.key == p.key })
			if i < 0 {
				t.Errorf("%s: %s is gone", r.name, p.key)
				continue
			}
			if !written[p.key] && (!files[i].mod.Equal(p.mod) || rowsJSON(t, files[i].rows) != rowsJSON(t, p.rows)) {
				t.Errorf("%s: %s changed though the run did not write it", r.name, p.key)
			}
		}
		prev = files
	}
	st, err := f.stateStore().LoadState(context.Background(), acct.ID)
	if err != nil || st == nil {
		t.Fatal(st, err)
	}
	if ui := st.Streams[schema.UserInsights]; ui.Partition != schema.Month || ui.Cursor == nil || *ui.Cursor != schema.DateOf(day1) {
		t.Errorf("state of user_insights: partition %q cursor %v, want month and %s", ui.Partition, ui.Cursor, schema.DateOf(day1))
	}
}
