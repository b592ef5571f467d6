package export

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/igexport/igexport/internal/ddl"
	"github.com/igexport/igexport/internal/igfake"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/internal/testenv"
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

// TestMigrationFromDayLayout: a lake whose user_insights igexport wrote
// one file per day (the layout before schema_version 3) is migrated by the
// next apply: every row is in exactly one month file afterwards, none lost
// or duplicated, the rows outside the re-read window exactly as they were
// (fetched_at included: folded, not re-fetched); the day files are
// removed only after the state commit, so a crash before it leaves the old
// lake whole; the run after records the partitioning and rewrites nothing.
func TestMigrationFromDayLayout(t *testing.T) {
	day1 := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
	f, setNow := clockFixture(t, day1)
	start := schema.DateOf(day1).AddDays(-75) // three months and a bit
	f.cfg.Accounts[0].StartDate = &start
	acct := f.fake.Dataset().Accounts[0]
	s := f.store()
	ctx := context.Background()

	// The old lake: two nightly runs of the day layout.
	for _, at := range []time.Time{day1, day1.Add(24 * time.Hour)} {
		setNow(at)
		if sum := f.apply(Options{dayLayout: true}); sum.ExitCode != 0 {
			t.Fatalf("day-layout run: exit %d", sum.ExitCode)
		}
	}
	old := userInsightsLake(t, s)
	for _, lf := range old {
		if k, err := sinks.ParseDataKey(lf.key); err != nil || k.Partition != schema.Day || len(lf.rows) != 1 || lf.rows[0].Date != k.Date {
			t.Fatalf("old layout: %s with %d rows (%v)", lf.key, len(lf.rows), err)
		}
	}
	oldRows := byDate(t, old)
	if len(old) != 76 || len(oldRows) != 76 {
		t.Fatalf("old layout: %d files, %d days; want 76", len(old), len(oldRows))
	}
	users := sinks.DataKey(schema.Users, schema.DateOf(day1), acct.ID)
	st0, err := f.stateStore().LoadState(ctx, acct.ID)
	if err != nil || st0.Streams[schema.UserInsights].Partition != "" {
		t.Fatalf("old state: %+v %v", st0, err)
	}

	// The migrating run crashes before its state commit: the day files are
	// all there, the state still the old one.
	at := day1.Add(48 * time.Hour)
	setNow(at)
	crash := f.applyWithHook(Options{}, func(string) error { return fmt.Errorf("simulated crash") })
	if crash.ExitCode != 1 {
		t.Fatalf("crashed run: exit %d", crash.ExitCode)
	}
	if st, _ := f.stateStore().LoadState(ctx, acct.ID); st.Generation != st0.Generation {
		t.Fatalf("crashed run committed generation %d", st.Generation)
	}
	for _, lf := range old {
		if ok, err := s.Bucket().Exists(ctx, s.FullKey(lf.key)); !ok || err != nil {
			t.Errorf("crashed run: %s removed before any state named its rows (%v)", lf.key, err)
		}
	}

	// The migrating run.
	sum := f.apply(Options{})
	if sum.ExitCode != 0 {
		t.Fatalf("migrating run: exit %d", sum.ExitCode)
	}
	res := streamResult(t, sum, acct.ID, schema.UserInsights)
	if !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.HasPrefix(n, "folded 76 file(s)") }) {
		t.Errorf("migrating run notes %q, want the 76 folded files", res.Notes)
	}
	newLake := userInsightsLake(t, s)
	for _, lf := range newLake {
		if k, err := sinks.ParseDataKey(lf.key); err != nil || k.Partition != schema.Month {
			t.Errorf("after migration: %s is not a month file (%v)", lf.key, err)
		}
	}
	months := map[string]bool{}
	for d := range oldRows {
		months[schema.Month.Format(d)] = true
	}
	if len(newLake) != len(months) {
		t.Errorf("after migration: %d files, want one per month of the old rows (%d)", len(newLake), len(months))
	}
	newRows := byDate(t, newLake) // fails on a duplicate

	// The control: the same three runs on the same emulator data, all of
	// the day layout. The migrated lake has the same rows, fetched_at
	// included.
	cf, setControl := clockFixture(t, day1)
	cf.cfg.Accounts[0].StartDate = &start
	for _, at := range []time.Time{day1, day1.Add(24 * time.Hour), at} {
		setControl(at)
		if sum := cf.apply(Options{dayLayout: true}); sum.ExitCode != 0 {
			t.Fatalf("control run: exit %d", sum.ExitCode)
		}
	}
	control := byDate(t, userInsightsLake(t, cf.store()))
	for d, c := range control {
		n, ok := newRows[d]
		switch {
		case !ok:
			t.Errorf("after migration: no row of %s", d)
		case rowJSON(t, n, true) != rowJSON(t, c, true):
			t.Errorf("after migration: %s differs from the day layout's:\nday   %s\nmonth %s", d, rowJSON(t, c, true), rowJSON(t, n, true))
		}
	}
	if len(newRows) != len(control) || len(control) != len(oldRows)+1 {
		t.Errorf("after migration: %d rows, the day layout %d, want %d (the old days and the new last one)", len(newRows), len(control), len(oldRows)+1)
	}
	// Outside the re-read window the rows are the old ones: folded, not re-fetched.
	window := schema.DateOf(at).AddDays(-1 - defaultLookbackDays - 1)
	for d, o := range oldRows {
		if n, ok := newRows[d]; ok && d < window && rowJSON(t, n, true) != rowJSON(t, o, true) {
			t.Errorf("after migration: %s outside the re-read window changed:\nold %s\nnew %s", d, rowJSON(t, o, true), rowJSON(t, n, true))
		}
	}
	if ok, _ := s.Bucket().Exists(ctx, s.FullKey(users)); !ok {
		t.Errorf("migration removed %s: other streams keep dt=", users)
	}
	st1, _ := f.stateStore().LoadState(ctx, acct.ID)
	if st1.Streams[schema.UserInsights].Partition != "" {
		t.Errorf("migrating run recorded partition %q before its old files were gone", st1.Streams[schema.UserInsights].Partition)
	}

	// The next run finds no old file left, records the partitioning and
	// writes nothing (the same day).
	sum = f.apply(Options{})
	res = streamResult(t, sum, acct.ID, schema.UserInsights)
	if sum.ExitCode != 0 || res.Counters.Files != 0 {
		t.Errorf("run after the migration: exit %d, %d files written, want 0", sum.ExitCode, res.Counters.Files)
	}
	st2, _ := f.stateStore().LoadState(ctx, acct.ID)
	if st2.Streams[schema.UserInsights].Partition != schema.Month {
		t.Errorf("run after the migration: partition %q, want month", st2.Streams[schema.UserInsights].Partition)
	}
	if got := byDate(t, userInsightsLake(t, s)); len(got) != len(newRows) {
		t.Errorf("run after the migration: %d rows, want %d", len(got), len(newRows))
	}
}

// TestDuckDBMonthLayoutSameRows: DuckDB reads the month layout through the
// `igexport ddl -dialect duckdb` views, and a query filtered on date
// returns the same rows as the day layout gives for the same runs on the
// same emulator data.
func TestDuckDBMonthLayoutSameRows(t *testing.T) {
	duck := testenv.DuckDB(t)
	day1 := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
	start := schema.DateOf(day1).AddDays(-60)
	lakes := map[bool]string{} // day layout → lake root
	for _, dayLayout := range []bool{true, false} {
		f, setNow := clockFixture(t, day1)
		f.cfg.Accounts[0].StartDate = &start
		for _, at := range []time.Time{day1, day1.Add(24 * time.Hour), day1.Add(48 * time.Hour)} {
			setNow(at)
			if sum := f.apply(Options{dayLayout: dayLayout}); sum.ExitCode != 0 {
				t.Fatalf("day layout %v: exit %d", dayLayout, sum.ExitCode)
			}
		}
		lakes[dayLayout] = strings.TrimPrefix(f.cfg.Destination.URL, "file://")
	}
	views, err := ddl.Generate(ddl.Options{Dialect: "duckdb", Location: lakes[false], Streams: []string{schema.UserInsights}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(views, "/user_insights/month=*/account_id=*/") {
		t.Fatalf("the DDL does not read the month layout:\n%s", views)
	}
	const cols = `account_id, "date"::VARCHAR AS d, epoch_us(end_time) AS e, follower_count, reach, "views", accounts_engaged,
		total_interactions, likes, comments, shares, saves, replies, profile_links_taps, follows, unfollows, reposts,
		online_followers::VARCHAR AS o, epoch_us(fetched_at) AS f`
	const where = `"date" BETWEEN DATE '2026-10-25' AND DATE '2026-11-21'`
	dayView := fmt.Sprintf(`CREATE OR REPLACE VIEW day_layout AS SELECT * FROM read_parquet('%s/user_insights/dt=*/account_id=*/*.parquet',
		hive_partitioning = true, hive_types = {'dt': DATE, 'account_id': VARCHAR});`, lakes[true])
	rows := duck.Query(t, views+dayView+fmt.Sprintf(`
		SELECT (SELECT list(r ORDER BY r) FROM (SELECT to_json(x)::VARCHAR AS r FROM (SELECT %[1]s FROM user_insights WHERE %[2]s) x)) AS month_rows,
		       (SELECT list(r ORDER BY r) FROM (SELECT to_json(x)::VARCHAR AS r FROM (SELECT %[1]s FROM day_layout WHERE %[2]s) x)) AS day_rows,
		       (SELECT count(*) FROM user_insights WHERE month = '2026-11' AND %[2]s) AS pruned`, cols, where))
	if len(rows) != 1 {
		t.Fatalf("%d result rows", len(rows))
	}
	month, day := fmt.Sprint(rows[0]["month_rows"]), fmt.Sprint(rows[0]["day_rows"])
	if month != day {
		t.Errorf("filtered on date, the month layout gives\n%s\nthe day layout\n%s", month, day)
	}
	n, _ := rows[0]["month_rows"].([]any)
	if len(n) != 28 { // 2026-10-25 .. 2026-11-21
		t.Errorf("%d rows, want 28", len(n))
	}
	if fmt.Sprint(rows[0]["pruned"]) != "21" { // the November days
		t.Errorf("month = '2026-11' AND date in range: %v rows, want 21", rows[0]["pruned"])
	}
}

// TestMigrateDayLayoutFixture: testdata/daylayout is a lake igexport wrote
// before schema_version 3 (its binary, against igfake, on 2026-12-02:
// user_insights from 2026-11-12 to 2026-12-01, one file per day, and its
// state). The next apply folds every day into the month files, none lost or
// duplicated, the days outside its re-read window exactly as they were,
// and removes the day files.
func TestMigrateDayLayoutFixture(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/daylayout")); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 3, 10, 30, 0, 0, time.UTC)
	f, _ := clockFixture(t, at)
	f.cfg.Streams = []string{schema.UserInsights}
	f.cfg.Destination.URL = "file://" + filepath.ToSlash(dir)
	f.cfg.State.URL = f.cfg.Destination.URL
	start, _ := schema.ParseDate("2026-11-12")
	f.cfg.Accounts[0].StartDate = &start
	acct := f.fake.Dataset().Accounts[0]
	if acct.ID != "17841400000000001" {
		t.Fatalf("the emulator's account is %s, the fixture's 17841400000000001", acct.ID)
	}
	s := f.store()
	old := userInsightsLake(t, s)
	oldRows := byDate(t, old)
	if len(old) != 20 || len(oldRows) != 20 {
		t.Fatalf("fixture: %d files, %d days; want 20", len(old), len(oldRows))
	}

	sum := f.apply(Options{})
	if sum.ExitCode != 0 {
		t.Fatalf("exit %d: %+v", sum.ExitCode, sum.Accounts)
	}
	res := streamResult(t, sum, acct.ID, schema.UserInsights)
	if !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.HasPrefix(n, "folded 20 file(s)") }) {
		t.Errorf("notes %q, want the 20 folded files", res.Notes)
	}
	migrated := userInsightsLake(t, s)
	var keys []string
	for _, lf := range migrated {
		keys = append(keys, lf.key)
	}
	want := []string{sinks.DataKey(schema.UserInsights, start, acct.ID), sinks.DataKey(schema.UserInsights, schema.DateOf(at), acct.ID)}
	if !slices.Equal(keys, want) {
		t.Errorf("after migration: %q, want %q", keys, want)
	}
	rows := byDate(t, migrated)                                       // fails on a duplicate
	window := schema.DateOf(at).AddDays(-1 - defaultLookbackDays - 1) // cursor 2026-12-01 − lookback
	for d, o := range oldRows {
		n, ok := rows[d]
		switch {
		case !ok:
			t.Errorf("the row of %s is lost", d)
		case d < window && rowJSON(t, n, true) != rowJSON(t, o, true):
			t.Errorf("%s outside the re-read window changed:\nold %s\nnew %s", d, rowJSON(t, o, true), rowJSON(t, n, true))
		}
	}
	// the re-read window and the new day: the emulator's values (its data
	// is not the one the fixture was made from: outside the window the
	// fixture's rows stay, inside igexport re-fetched them)
	for d := window; d < schema.DateOf(at); d = d.AddDays(1) {
		r, ok := rows[d]
		v, served := f.fake.Dataset().UserInsight(acct.ID, "reach", d.Time())
		if !ok || served != (r.Reach != nil) || served && *r.Reach != v {
			t.Errorf("%s: reach %v, the emulator %d (served %v)", d, r.Reach, v, served)
		}
	}
	if len(rows) != len(oldRows)+1 {
		t.Errorf("%d rows, want the %d old days and the new one", len(rows), len(oldRows))
	}
	if _, err := os.Stat(filepath.Join(dir, "user_insights", "dt=2026-11-12")); !os.IsNotExist(err) {
		t.Errorf("the day layout's directories are still there (%v)", err)
	}
	st, err := f.stateStore().LoadState(context.Background(), acct.ID)
	if err != nil || st.Generation != 2 || len(st.Streams[schema.UserInsights].Files) != 2 {
		t.Errorf("state after migration: %+v %v", st, err)
	}
}

// TestMigrationOverAnEmptyMonthFile: a power loss right after a migrating
// run renamed a new month file into place (new files are synced with the
// state commit, which never came) can leave that file empty. The next run
// migrates again: the empty month file holds nothing (as a merge takes it,
// Store.download), it is no reason to fail the stream on every run.
func TestMigrationOverAnEmptyMonthFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/daylayout")); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 3, 10, 30, 0, 0, time.UTC)
	f, _ := clockFixture(t, at)
	f.cfg.Streams = []string{schema.UserInsights}
	f.cfg.Destination.URL = "file://" + filepath.ToSlash(dir)
	f.cfg.State.URL = f.cfg.Destination.URL
	start, _ := schema.ParseDate("2026-11-12")
	f.cfg.Accounts[0].StartDate = &start
	acct := f.fake.Dataset().Accounts[0]
	s := f.store()
	oldRows := byDate(t, userInsightsLake(t, s))
	empty := filepath.Join(dir, filepath.FromSlash(sinks.DataKey(schema.UserInsights, start, acct.ID)))
	if err := os.MkdirAll(filepath.Dir(empty), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	sum := f.apply(Options{})
	if sum.ExitCode != 0 {
		t.Fatalf("exit %d: %+v", sum.ExitCode, streamResult(t, sum, acct.ID, schema.UserInsights).Error)
	}
	rows := byDate(t, userInsightsLake(t, s)) // fails on a duplicate
	for d := range oldRows {
		if _, ok := rows[d]; !ok {
			t.Errorf("the row of %s is lost", d)
		}
	}
	if len(rows) != len(oldRows)+1 {
		t.Errorf("%d rows, want the %d old days and the new one", len(rows), len(oldRows))
	}
}

// TestMigrationRemovesDayFilesOnS3: the day files are removed right after
// the state commit on an object store too. The removal ran on the commit's
// context after it was cancelled, which a file:// lake does not check but
// an S3 client does: the files stayed, and every later run folded and
// tried to remove them again.
func TestMigrationRemovesDayFilesOnS3(t *testing.T) {
	url, root := testenv.StartVersityGW(t)
	lake := filepath.Join(root, testenv.Bucket)
	if err := os.CopyFS(lake, os.DirFS("testdata/daylayout")); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 3, 10, 30, 0, 0, time.UTC)
	f, _ := clockFixture(t, at)
	f.cfg.Streams = []string{schema.UserInsights}
	f.cfg.Destination.URL = url
	f.cfg.State.URL = url
	start, _ := schema.ParseDate("2026-11-12")
	f.cfg.Accounts[0].StartDate = &start
	oldRows := byDate(t, userInsightsLake(t, f.store()))
	if len(oldRows) != 20 {
		t.Fatalf("fixture: %d days, want 20", len(oldRows))
	}

	sum := f.apply(Options{})
	if sum.ExitCode != 0 {
		t.Fatalf("exit %d: %+v", sum.ExitCode, sum.Accounts)
	}
	var left []string
	for _, lf := range userInsightsLake(t, f.store()) {
		if k, err := sinks.ParseDataKey(lf.key); err != nil || k.Partition != schema.Month {
			left = append(left, lf.key)
		}
	}
	if len(left) > 0 {
		t.Errorf("after the migrating run's state commit, %d day file(s) are still there: %q", len(left), left)
	}
	rows := byDate(t, userInsightsLake(t, f.store())) // fails on a duplicate
	if len(rows) != len(oldRows)+1 {
		t.Errorf("%d rows, want the %d old days and the new one", len(rows), len(oldRows))
	}
}
