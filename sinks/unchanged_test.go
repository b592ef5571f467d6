package sinks_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
	"github.com/igexport/igexport/sinks/sinktest"
)

// TestKeepUnchanged: with FileOptions.KeepUnchanged a month file whose
// re-fetched rows say the same is left as it is (not uploaded, Kept); when
// some row changed, the file is rewritten with the changed and new rows,
// and the rows that say the same keep their old fetched_at. The merge by
// date keeps every other row (no row lost, none twice).
func TestKeepUnchanged(t *testing.T) {
	ctx := context.Background()
	s := openT(t, "mem://", "")
	key := sinks.DataKey(schema.UserInsights, schema.Date(20_000), "17")
	t1 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	t2 := t1.Add(24 * time.Hour)
	day := func(d int, reach int64, at time.Time) schema.UserInsight {
		// an end_time in another zone: rows compare by instant
		end := schema.Date(20_000 + d).AddDays(1).Time().Add(8 * time.Hour).In(time.FixedZone("PST", -8*3600))
		return schema.UserInsight{Date: schema.Date(20_000 + d), EndTime: &end, Reach: schema.Ptr(reach), FetchedAt: at}
	}
	commit := func(rows ...schema.UserInsight) sinks.FileInfo {
		t.Helper()
		o := sinktest.Options(t, schema.UserInsights, "r")
		o.KeepUnchanged = true
		w, err := sinks.NewPartitionWriter[schema.UserInsight](o)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rows...); err != nil {
			t.Fatal(err)
		}
		fi, err := w.Commit(ctx, s, key)
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	read := func() map[schema.Date]schema.UserInsight {
		t.Helper()
		out := map[schema.Date]schema.UserInsight{}
		for _, r := range sinktest.Read[schema.UserInsight](t, s, key) {
			if _, dup := out[r.Date]; dup {
				t.Fatalf("date %s twice", r.Date)
			}
			out[r.Date] = r
		}
		return out
	}

	first := commit(day(0, 5, t1), day(1, 6, t1), day(2, 7, t1))
	if first.Kept || first.Rows != 3 {
		t.Fatalf("first commit: %+v", first)
	}
	attrs, _ := s.Bucket().Attributes(ctx, key)

	// The same values fetched again (a re-read window): nothing written.
	again := commit(day(1, 6, t2), day(2, 7, t2))
	if !again.Kept || again.Rows != 3 || again.SHA256 != first.SHA256 || again.Bytes != first.Bytes {
		t.Fatalf("unchanged re-fetch: %+v, want the first file kept (%+v)", again, first)
	}
	if a, _ := s.Bucket().Attributes(ctx, key); !a.ModTime.Equal(attrs.ModTime) || a.ETag != attrs.ETag {
		t.Errorf("the object was rewritten: %+v, before %+v", a, attrs)
	}

	// One day changed, one new: rewritten; the day that says the same
	// keeps its first fetched_at, the same row written twice counts once.
	third := commit(day(1, 6, t2), day(2, 70, t2), day(3, 8, t2), day(3, 8, t2))
	if third.Kept || third.Rows != 4 {
		t.Fatalf("changed commit: %+v", third)
	}
	got := read()
	want := map[int]struct {
		reach int64
		at    time.Time
	}{0: {5, t1}, 1: {6, t1}, 2: {70, t2}, 3: {8, t2}}
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for d, w := range want {
		r := got[schema.Date(20_000+d)]
		if r.Reach == nil || *r.Reach != w.reach || !r.FetchedAt.Equal(w.at) {
			t.Errorf("day %d: reach %v fetched %s, want %d at %s", d, r.Reach, r.FetchedAt, w.reach, w.at)
		}
	}

	// NULL is not 0: a value that disappears is a change.
	nulled := day(0, 0, t2)
	nulled.Reach = nil
	if fi := commit(nulled); fi.Kept {
		t.Errorf("a NULL replacing 5 was taken as unchanged: %+v", fi)
	}
	if r := read()[schema.Date(20_000)]; r.Reach != nil {
		t.Errorf("day 0 reach %v, want NULL", *r.Reach)
	}

	// Without the option every commit writes (the other streams).
	o := sinktest.Options(t, schema.UserInsights, "r")
	w, _ := sinks.NewPartitionWriter[schema.UserInsight](o)
	_ = w.Write(day(1, 6, t2))
	if fi, err := w.Commit(ctx, s, key); err != nil || fi.Kept {
		t.Errorf("commit without KeepUnchanged: %+v %v", fi, err)
	}
	if r := read()[schema.Date(20_001)]; !r.FetchedAt.Equal(t2) {
		t.Errorf("without KeepUnchanged the new row wins: fetched %s", r.FetchedAt)
	}
}

// TestKeepUnchangedSeesEveryChange: KeepUnchanged keeps the old row only
// when the new one says the same; any change of a value (NULL to a value,
// a value to NULL, one hour of the online_followers list, a list that gets
// longer or shorter, end_time) rewrites the file with the new row.
func TestKeepUnchangedSeesEveryChange(t *testing.T) {
	ctx := context.Background()
	t1 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	t2 := t1.Add(24 * time.Hour)
	end := schema.Date(20_001).Time().Add(8 * time.Hour)
	base := func() schema.UserInsight {
		return schema.UserInsight{Date: schema.Date(20_000), EndTime: schema.Ptr(end), Reach: schema.Ptr(int64(5)),
			OnlineFollowers: []schema.HourFollowers{{Hour: 0, Followers: 10}, {Hour: 1, Followers: 11}}}
	}
	for _, c := range []struct {
		name   string
		change func(r *schema.UserInsight)
		kept   bool
	}{
		{"same values", func(*schema.UserInsight) {}, true},
		{"NULL to a value", func(r *schema.UserInsight) { r.Views = schema.Ptr(int64(0)) }, false},
		{"a value to NULL", func(r *schema.UserInsight) { r.Reach = nil }, false},
		{"a value changed", func(r *schema.UserInsight) { r.Reach = schema.Ptr(int64(6)) }, false},
		{"an hour's followers changed", func(r *schema.UserInsight) { r.OnlineFollowers[1].Followers = 12 }, false},
		{"an hour added", func(r *schema.UserInsight) {
			r.OnlineFollowers = append(r.OnlineFollowers, schema.HourFollowers{Hour: 2, Followers: 1})
		}, false},
		{"an hour dropped", func(r *schema.UserInsight) { r.OnlineFollowers = r.OnlineFollowers[:1] }, false},
		{"the list to NULL", func(r *schema.UserInsight) { r.OnlineFollowers = nil }, false},
		{"end_time moved", func(r *schema.UserInsight) { r.EndTime = schema.Ptr(end.Add(time.Hour)) }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := openT(t, "mem://", "")
			key := sinks.DataKey(schema.UserInsights, schema.Date(20_000), "17")
			commit := func(r schema.UserInsight) sinks.FileInfo {
				t.Helper()
				o := sinktest.Options(t, schema.UserInsights, "r")
				o.KeepUnchanged = true
				w, err := sinks.NewPartitionWriter[schema.UserInsight](o)
				if err != nil {
					t.Fatal(err)
				}
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
				fi, err := w.Commit(ctx, s, key)
				if err != nil {
					t.Fatal(err)
				}
				return fi
			}
			old := base()
			old.FetchedAt = t1
			commit(old)
			next := base()
			c.change(&next)
			next.FetchedAt = t2
			if fi := commit(next); fi.Kept != c.kept {
				t.Errorf("kept %v, want %v", fi.Kept, c.kept)
			}
			rows := sinktest.Read[schema.UserInsight](t, s, key)
			if len(rows) != 1 {
				t.Fatalf("%d rows, want 1", len(rows))
			}
			want := next
			if c.kept {
				want = old
			}
			got := rows[0]
			got.EndTime = schema.Ptr(got.EndTime.UTC())
			if len(got.OnlineFollowers) == 0 && len(want.OnlineFollowers) == 0 {
				got.OnlineFollowers, want.OnlineFollowers = nil, nil // NULL and [] read back alike
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("row\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}
