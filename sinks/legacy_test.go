package sinks_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
	"github.com/igexport/igexport/sinks/sinktest"
)

// TestLegacyFiles: the day files of user_insights (the layout before
// schema_version 3) of one account are found, oldest first, and deleted
// without leaving empty directories on file://; month files, other
// accounts' files and other streams' dt= files are not old-layout files.
func TestLegacyFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openT(t, "file://"+filepath.ToSlash(dir), "ig")
	d := schema.Date(20_000) // 2024-10-04
	put := func(key string) {
		t.Helper()
		sinktest.Commit(t, s, schema.UserInsights, "r", key, schema.UserInsight{Date: d})
	}
	old := []string{
		sinks.PartitionKey(schema.UserInsights, schema.Day, d.AddDays(1), "17"),
		sinks.PartitionKey(schema.UserInsights, schema.Day, d, "17"),
	}
	for _, k := range old {
		put(k)
	}
	put(sinks.PartitionKey(schema.UserInsights, schema.Day, d, "18"))
	put(sinks.DataKey(schema.UserInsights, d, "17"))
	sinktest.Commit(t, s, schema.Users, "r", sinks.DataKey(schema.Users, d, "17"), schema.User{ID: "17"})

	got, err := s.LegacyFiles(ctx, schema.UserInsights, "17")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Rel() != old[1] || got[1].Rel() != old[0] || !got[0].Legacy() {
		t.Fatalf("legacy files %+v, want %q oldest first", got, old)
	}
	if none, err := s.LegacyFiles(ctx, schema.Users, "17"); err != nil || len(none) != 0 {
		t.Errorf("users: %+v %v, want none (dt= is its layout)", none, err)
	}
	if err := s.DeleteData(ctx, append(old, "user_insights/dt=2024-01-01/account_id=17/part-00000.parquet")...); err != nil {
		t.Fatalf("delete (one already gone): %v", err)
	}
	if after, _ := s.LegacyFiles(ctx, schema.UserInsights, "17"); len(after) != 0 {
		t.Errorf("after delete: %+v", after)
	}
	// the empty directories go, the one another account's file is in stays
	for _, p := range []string{filepath.Dir(old[0]), filepath.Dir(filepath.Dir(old[0])), filepath.Dir(old[1])} {
		if _, err := os.Stat(filepath.Join(dir, "ig", p)); !os.IsNotExist(err) {
			t.Errorf("directory %s is still there (%v)", p, err)
		}
	}
	for _, k := range []string{sinks.PartitionKey(schema.UserInsights, schema.Day, d, "18"), sinks.DataKey(schema.UserInsights, d, "17"), sinks.DataKey(schema.Users, d, "17")} {
		if ok, err := s.Bucket().Exists(ctx, s.FullKey(k)); !ok || err != nil {
			t.Errorf("%s was deleted (%v)", k, err)
		}
	}
}

// TestReadRowsSmallFileAllocs: reading a one-row file (a day file of the
// old layout; the migration reads hundreds per account) costs a few
// hundred allocations, and a file of readBatch+1 rows gives every row
// back. A read buffer longer than the rows left made parquet-go decode a
// page header per column and empty slot: ~20,000 allocations (7 MB) for
// one row.
func TestReadRowsSmallFileAllocs(t *testing.T) {
	ctx := context.Background()
	s := openT(t, "file://"+filepath.ToSlash(t.TempDir()), "")
	d := schema.Date(20_000)
	one := sinks.PartitionKey(schema.UserInsights, schema.Day, d, "17")
	sinktest.Commit(t, s, schema.UserInsights, "r", one, schema.UserInsight{Date: d, Reach: schema.Ptr(int64(5)),
		OnlineFollowers: []schema.HourFollowers{{Hour: 1, Followers: 2}}})
	allocs := testing.AllocsPerRun(20, func() {
		rows, err := sinks.ReadRows[schema.UserInsight](ctx, s, one)
		if err != nil || len(rows) != 1 || *rows[0].Reach != 5 || len(rows[0].OnlineFollowers) != 1 {
			t.Fatalf("%+v %v", rows, err)
		}
	})
	if allocs > 2000 {
		t.Errorf("reading a one-row file: %.0f allocations, want < 2000", allocs)
	}

	const n = 1025 // sinks' read batch is 1024
	var many []schema.UserInsight
	for i := range n {
		many = append(many, schema.UserInsight{Date: d.AddDays(i), Reach: schema.Ptr(int64(i))})
	}
	key := sinks.DataKey(schema.UserInsights, d, "18")
	sinktest.Commit(t, s, schema.UserInsights, "r", key, many...)
	rows, err := sinks.ReadRows[schema.UserInsight](ctx, s, key)
	if err != nil || len(rows) != n || rows[n-1].Date != many[n-1].Date || *rows[n-1].Reach != n-1 {
		t.Errorf("%d rows (%v), want %d", len(rows), err, n)
	}
}
