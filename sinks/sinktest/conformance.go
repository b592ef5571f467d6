package sinktest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// Harness is one kind of bucket for RunConformance, as go-cloud's
// drivertest.Harness is one driver.
type Harness interface {
	// MakeStore returns a Store on an empty bucket, or on an empty part of
	// a shared one (a prefix no other sub-test uses). RunConformance calls
	// it once per sub-test and closes the Store when the sub-test ends.
	MakeStore(ctx context.Context, t *testing.T) (*sinks.Store, error)
	// KeepsContentType reports whether objects come back with the content
	// type they were written with (file:// with metadata=skip, igexport's
	// default, keeps none).
	KeepsContentType() bool
}

// URLHarness is a Harness on a bucket URL, opened with sinks.Open.
type URLHarness struct {
	// URL returns the bucket URL of one sub-test (a fresh bucket, such as
	// a mem:// or a file:// URL on t.TempDir), or, when Shared, the one
	// bucket of every sub-test (a server started once, before
	// RunConformance).
	URL func(t *testing.T) string
	// Prefix is the Stores' key prefix. A Shared bucket's sub-tests get
	// their own below it.
	Prefix string
	Shared bool
	// ContentTypes is KeepsContentType.
	ContentTypes bool
}

// MakeStore opens h.URL(t) with h.Prefix (and the sub-test's name, when
// the bucket is shared).
func (h URLHarness) MakeStore(ctx context.Context, t *testing.T) (*sinks.Store, error) {
	prefix := h.Prefix
	if h.Shared {
		prefix += "/" + strings.NewReplacer("/", "-", " ", "_").Replace(t.Name())
	}
	return sinks.Open(ctx, h.URL(t), prefix)
}

// KeepsContentType returns h.ContentTypes.
func (h URLHarness) KeepsContentType() bool { return h.ContentTypes }

// RunConformance checks the whole sinks contract (SPEC §2 and §4: data
// files, merges, state generations, leases, run summaries) against one
// kind of bucket, in the manner of go-cloud's drivertest.RunConformanceTests.
// Its sub-tests run one after another: harnesses may set environment
// variables with t.Setenv.
func RunConformance(t *testing.T, h Harness) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *sinks.Store)
	}{
		{"KeyLayout", testKeyLayout},
		{"RoundTrip", testRoundTrip},
		{"Lists", testLists},
		{"Overwrite", testOverwrite},
		{"MergeByKey", testMergeByKey},
		{"DuplicateKeysInOneRun", testDuplicateKeys},
		{"EmptyPartition", testEmptyPartition},
		{"EmptyObjectIsAbsent", testEmptyObjectIsAbsent},
		{"Cancelled", testCancelled},
		{"AbortLeavesNothing", testAbort},
		{"StateGenerations", testStateGenerations},
		{"StateCorrupt", testStateCorrupt},
		{"StatePrune", testStatePrune},
		{"StateRace", testStateRace},
		{"Lease", testLease},
		{"LeaseExpiredTakeover", testLeaseTakeover},
		{"LeaseOfGoneProcess", testLeaseOfGoneProcess},
		{"LeaseRace", testLeaseRace},
		{"LeaseTakeoverRace", testLeaseTakeoverRace},
		{"LeaseKeepAlive", testLeaseKeepAlive},
		{"Runs", func(t *testing.T, s *sinks.Store) { testRuns(t, s, h.KeepsContentType()) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := h.MakeStore(context.Background(), t)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			tc.fn(t, s)
		})
	}
}

var (
	day     = mustDate("2026-11-22")
	account = "17841400000000001"
)

func mustDate(s string) schema.Date {
	d, err := schema.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// LongCaption returns 2,200 characters of what captions really hold:
// quotes, emoji, CRLF, tabs, backslashes, accents and CJK.
func LongCaption() string {
	unit := "Line one \"quoted\" and 'single' 🎉🇫🇷 #tag @user\r\nsecond line\ttab, comma; back\\slash — ünïcødé 中文 "
	var b strings.Builder
	for b.Len() < 8000 {
		b.WriteString(unit)
	}
	r := []rune(b.String())[:2200]
	return string(r)
}

// Options returns the FileOptions of a test file of stream: version
// 1.2.3-test, temp files in a t.TempDir.
func Options(t testing.TB, stream, runID string) sinks.FileOptions {
	return sinks.FileOptions{Stream: stream, RunID: runID, Version: "1.2.3-test", TempDir: t.TempDir()}
}

// Media returns a media row with the given id, like count and caption.
func Media(id string, likes *int64, caption string) schema.MediaRow {
	ts := time.Date(2026, 11, 21, 23, 59, 58, 123456000, time.FixedZone("PST", -8*3600))
	return schema.MediaRow{
		ID:               id,
		Caption:          &caption,
		MediaType:        schema.Ptr("IMAGE"),
		MediaProductType: schema.Ptr("FEED"),
		Timestamp:        &ts,
		LikeCount:        likes,
		FetchedAt:        time.Date(2026, 11, 22, 1, 2, 3, 456789000, time.UTC),
	}
}

// Commit writes rows to a new partition writer of stream and commits it
// at key.
func Commit[T schema.Row](t testing.TB, s *sinks.Store, stream, runID, key string, rows ...T) sinks.FileInfo {
	t.Helper()
	w, err := sinks.NewPartitionWriter[T](Options(t, stream, runID))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rows...); err != nil {
		t.Fatal(err)
	}
	fi, err := w.Commit(context.Background(), s, key)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

// Read returns the rows of the file at key.
func Read[T schema.Row](t testing.TB, s *sinks.Store, key string) []T {
	t.Helper()
	rows, err := sinks.ReadRows[T](context.Background(), s, key)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// Keys returns the rows' keys joined by commas.
func Keys[T schema.Row](rows []T) string {
	var k []string
	for _, r := range rows {
		k = append(k, r.Key())
	}
	return strings.Join(k, ",")
}

func testKeyLayout(t *testing.T, s *sinks.Store) {
	ctx := context.Background()
	key := sinks.DataKey(schema.Media, day, account)
	if want := "media/dt=2026-11-22/account_id=17841400000000001/part-00000.parquet"; key != want {
		t.Fatalf("sinks.DataKey = %q, want %q", key, want)
	}
	fi := Commit(t, s, schema.Media, "run1", key, Media("1", nil, "x"))
	if fi.Key != s.FullKey(key) {
		t.Fatalf("sinks.FileInfo.Key = %q, want %q", fi.Key, s.FullKey(key))
	}
	if s.Prefix() != "" && !strings.HasPrefix(fi.Key, s.Prefix()+"/media/dt=") {
		t.Fatalf("sinks.FileInfo.Key %q misses the prefix %q", fi.Key, s.Prefix())
	}
	if ok, err := s.Bucket().Exists(ctx, fi.Key); err != nil || !ok {
		t.Fatalf("object %s: exists=%v err=%v", fi.Key, ok, err)
	}
	if got := sinks.StateKey(account, 7); got != "accounts/17841400000000001/state-0000000007.json" {
		t.Fatalf("sinks.StateKey = %q", got)
	}
	if got := sinks.LockKey(account); got != "accounts/17841400000000001/lock.json" {
		t.Fatalf("sinks.LockKey = %q", got)
	}
	if got := sinks.RunKey("r-1"); got != "runs/r-1.json" {
		t.Fatalf("sinks.RunKey = %q", got)
	}
	// Nothing but the data file exists (no sidecars, no temp files).
	keys := listAll(t, s)
	if len(keys) != 1 || keys[0] != fi.Key {
		t.Fatalf("bucket holds %q, want only %q", keys, fi.Key)
	}
}

// listAll returns the full keys of every object under s's prefix.
func listAll(t *testing.T, s *sinks.Store) []string {
	t.Helper()
	prefix := s.Prefix()
	if prefix != "" {
		prefix += "/"
	}
	var keys []string
	it := s.Bucket().List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return keys
		}
		if err != nil {
			t.Fatalf("list %s: %v", s, err)
		}
		keys = append(keys, obj.Key)
	}
}

func testRoundTrip(t *testing.T, s *sinks.Store) {
	ctx := context.Background()
	longCaption := LongCaption()
	key := sinks.DataKey(schema.Media, day, account)
	in := []schema.MediaRow{
		Media("1", schema.Ptr[int64](0), longCaption), // zero stays zero
		Media("2", nil, ""),                           // NULL stays NULL, "" stays ""
		Media("3", schema.Ptr[int64](1<<40), "a"),
	}
	in[1].Caption = schema.Ptr("")
	in[2].Caption = nil
	in[2].IsCommentEnabled = schema.Ptr(false)
	fi := Commit(t, s, schema.Media, "run1", key, in...)
	if fi.Rows != 3 {
		t.Fatalf("rows = %d", fi.Rows)
	}
	raw, err := s.Bucket().ReadAll(ctx, fi.Key)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if fi.Bytes != int64(len(raw)) || fi.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("sinks.FileInfo %+v does not describe the %d-byte object", fi, len(raw))
	}
	out := Read[schema.MediaRow](t, s, key)
	if len(out) != 3 {
		t.Fatalf("read %d rows", len(out))
	}
	if got := *out[0].Caption; got != longCaption {
		t.Fatalf("caption differs: %d runes back, %d in", len([]rune(got)), len([]rune(longCaption)))
	}
	if len([]rune(longCaption)) != 2200 {
		t.Fatalf("fixture has %d runes", len([]rune(longCaption)))
	}
	if out[0].LikeCount == nil || *out[0].LikeCount != 0 {
		t.Fatalf("like_count 0 came back as %v", out[0].LikeCount)
	}
	if out[1].LikeCount != nil {
		t.Fatalf("like_count NULL came back as %d", *out[1].LikeCount)
	}
	if out[1].Caption == nil || *out[1].Caption != "" {
		t.Fatalf(`caption "" came back as %v`, out[1].Caption)
	}
	if out[2].Caption != nil {
		t.Fatalf("caption NULL came back as %q", *out[2].Caption)
	}
	if out[2].IsCommentEnabled == nil || *out[2].IsCommentEnabled {
		t.Fatalf("is_comment_enabled false came back as %v", out[2].IsCommentEnabled)
	}
	if *out[2].LikeCount != 1<<40 {
		t.Fatalf("like_count = %d", *out[2].LikeCount)
	}
	wantTS := in[0].Timestamp.UTC()
	if got := *out[0].Timestamp; !got.Equal(wantTS) || got.Location() != time.UTC || got.Nanosecond() != 123456000 {
		t.Fatalf("timestamp %v, want %v (UTC, microseconds kept)", got, wantTS)
	}
	if got := out[0].FetchedAt; !got.Equal(in[0].FetchedAt) || got.Location() != time.UTC {
		t.Fatalf("fetched_at %v, want %v", got, in[0].FetchedAt)
	}
}

func testLists(t *testing.T, s *sinks.Store) {
	mkey := sinks.DataKey(schema.Media, day, account)
	carousel := Media("c", nil, "carousel")
	carousel.MediaType = schema.Ptr("CAROUSEL_ALBUM")
	carousel.Children = []schema.Child{
		{ID: "c1", MediaType: schema.Ptr("IMAGE"), MediaURL: schema.Ptr("https://x/1.jpg"), Timestamp: carousel.Timestamp},
		{ID: "c2", MediaType: schema.Ptr("VIDEO"), ThumbnailURL: schema.Ptr("https://x/2.jpg")},
	}
	plain := Media("p", nil, "single")
	Commit(t, s, schema.Media, "run1", mkey, carousel, plain)
	out := Read[schema.MediaRow](t, s, mkey)
	if len(out) != 2 || len(out[0].Children) != 2 {
		t.Fatalf("children: %+v", out)
	}
	c := out[0].Children
	if c[0].ID != "c1" || *c[0].MediaURL != "https://x/1.jpg" || !c[0].Timestamp.Equal(*carousel.Timestamp) ||
		c[1].ID != "c2" || c[1].MediaURL != nil || *c[1].ThumbnailURL != "https://x/2.jpg" || c[1].Timestamp != nil {
		t.Fatalf("children came back as %+v", c)
	}
	if out[1].Children != nil {
		t.Fatalf("NULL children came back as %+v", out[1].Children)
	}

	ukey := sinks.DataKey(schema.UserInsights, day, account)
	hours := make([]schema.HourFollowers, 24)
	for i := range hours {
		hours[i] = schema.HourFollowers{Hour: int32(i), Followers: int64(i * 100)}
	}
	end := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	rows := []schema.UserInsight{
		{Date: day, EndTime: &end, Reach: schema.Ptr[int64](0), OnlineFollowers: hours, FetchedAt: end},
		{Date: day.AddDays(-1), Follows: schema.Ptr[int64](3), FetchedAt: end},
	}
	Commit(t, s, schema.UserInsights, "run1", ukey, rows...)
	back := Read[schema.UserInsight](t, s, ukey)
	if !reflect.DeepEqual(back[0].OnlineFollowers, hours) || back[1].OnlineFollowers != nil {
		t.Fatalf("online_followers came back as %+v / %+v", back[0].OnlineFollowers, back[1].OnlineFollowers)
	}
	if back[0].Date != day || back[1].Date != day.AddDays(-1) || *back[0].Reach != 0 || back[0].Views != nil {
		t.Fatalf("user insights came back as %+v", back)
	}
}

func testOverwrite(t *testing.T, s *sinks.Store) {
	key := sinks.DataKey(schema.MediaInsights, day, account)
	mk := func(id string, views int64, run string) schema.MediaInsight {
		return schema.MediaInsight{ID: id, Views: &views, InsightsStatus: schema.StatusOK, FetchedAt: time.Unix(0, 0).UTC()}
	}
	Commit(t, s, schema.MediaInsights, "run1", key, mk("a", 1, "1"), mk("b", 2, "1"))
	// A re-run the same day with the same keys replaces the rows.
	fi := Commit(t, s, schema.MediaInsights, "run2", key, mk("a", 10, "2"), mk("b", 20, "2"))
	out := Read[schema.MediaInsight](t, s, key)
	if fi.Rows != 2 || Keys(out) != "a,b" || *out[0].Views != 10 || *out[1].Views != 20 {
		t.Fatalf("after re-run: rows=%d %+v", fi.Rows, out)
	}
	// And running it once more gives the same rows.
	Commit(t, s, schema.MediaInsights, "run3", key, mk("a", 10, "3"), mk("b", 20, "3"))
	again := Read[schema.MediaInsight](t, s, key)
	if !reflect.DeepEqual(again, out) {
		t.Fatalf("re-run changed rows: %+v vs %+v", again, out)
	}
}

func testMergeByKey(t *testing.T, s *sinks.Store) {
	key := sinks.DataKey(schema.Stories, day, account)
	st := func(id string, likes int64) schema.Story {
		return schema.Story{ID: id, LikeCount: &likes, Caption: schema.Ptr("story " + id), FetchedAt: time.Unix(int64(likes), 0).UTC()}
	}
	Commit(t, s, schema.Stories, "run1", key, st("a", 1), st("b", 1), st("c", 1))
	fi := Commit(t, s, schema.Stories, "run2", key, st("b", 2), st("d", 2))
	out := Read[schema.Story](t, s, key)
	// New rows first, in write order, then the old-only rows in file order.
	if Keys(out) != "b,d,a,c" || fi.Rows != 4 {
		t.Fatalf("merged = %s (rows %d)", Keys(out), fi.Rows)
	}
	if *out[0].LikeCount != 2 || *out[2].LikeCount != 1 || *out[3].Caption != "story c" {
		t.Fatalf("merged rows %+v", out)
	}
}

func testDuplicateKeys(t *testing.T, s *sinks.Store) {
	key := sinks.DataKey(schema.Media, day, account)
	Commit(t, s, schema.Media, "run0", key, Media("old", nil, "old"))
	w, err := sinks.NewPartitionWriter[schema.MediaRow](Options(t, schema.Media, "run1"))
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Write(Media("a", schema.Ptr[int64](1), "first"), Media("b", nil, "b"))
	_ = w.Write(Media("a", schema.Ptr[int64](2), "second"))
	if w.Len() != 2 {
		t.Fatalf("Len = %d, want 2", w.Len())
	}
	fi, err := w.Commit(context.Background(), s, key)
	if err != nil {
		t.Fatal(err)
	}
	out := Read[schema.MediaRow](t, s, key)
	if Keys(out) != "b,a,old" || fi.Rows != 3 || *out[1].Caption != "second" {
		t.Fatalf("got %s rows=%d", Keys(out), fi.Rows)
	}
}

func testEmptyPartition(t *testing.T, s *sinks.Store) {
	key := sinks.DataKey(schema.StoryInsights, day, account)
	w, err := sinks.NewPartitionWriter[schema.StoryInsight](Options(t, schema.StoryInsights, "run1"))
	if err != nil {
		t.Fatal(err)
	}
	if w.Len() != 0 {
		t.Fatal("Len of a new writer")
	}
	fi, err := w.Commit(context.Background(), s, key)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Rows != 0 || fi.Bytes == 0 {
		t.Fatalf("empty file info %+v", fi)
	}
	if out := Read[schema.StoryInsight](t, s, key); len(out) != 0 {
		t.Fatalf("read %d rows from an empty partition", len(out))
	}
}

// An empty object at a partition's key (what a power loss can leave of a
// new file on file:// that was never synced, so never committed) is taken
// as absent by the merge, not as a corrupt file to merge with.
func testEmptyObjectIsAbsent(t *testing.T, s *sinks.Store) {
	ctx := context.Background()
	key := sinks.DataKey(schema.Media, day, account)
	if err := s.Bucket().WriteAll(ctx, s.FullKey(key), nil, &blob.WriterOptions{ContentType: sinks.ContentTypeParquet}); err != nil {
		t.Fatal(err)
	}
	if fi := Commit(t, s, schema.Media, "run1", key, Media("a", nil, "x")); fi.Rows != 1 {
		t.Fatalf("commit over an empty object: %+v", fi)
	}
	if got := Keys(Read[schema.MediaRow](t, s, key)); got != "a" {
		t.Errorf("rows %s", got)
	}
}

func testCancelled(t *testing.T, s *sinks.Store) {
	key := sinks.DataKey(schema.Media, day, account)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w, _ := sinks.NewPartitionWriter[schema.MediaRow](Options(t, schema.Media, "run1"))
	_ = w.Write(Media("a", nil, "a"))
	if _, err := w.Commit(ctx, s, key); !errors.Is(err, context.Canceled) {
		t.Fatalf("commit with a cancelled ctx: %v", err)
	}
	if ok, _ := s.Bucket().Exists(context.Background(), s.FullKey(key)); ok {
		t.Fatal("a cancelled commit left an object")
	}
	// With a previous version there, it stays untouched.
	Commit(t, s, schema.Media, "run0", key, Media("old", nil, "old"))
	w, _ = sinks.NewPartitionWriter[schema.MediaRow](Options(t, schema.Media, "run2"))
	_ = w.Write(Media("new", nil, "new"))
	if _, err := w.Commit(ctx, s, key); err == nil {
		t.Fatal("commit with a cancelled ctx succeeded")
	}
	if got := Keys(Read[schema.MediaRow](t, s, key)); got != "old" {
		t.Fatalf("after a cancelled commit the partition holds %s", got)
	}
	if err := s.CommitState(ctx, &sinks.State{AccountID: account, Generation: 1}); err == nil {
		t.Fatal("CommitState with a cancelled ctx succeeded")
	}
	if st, err := s.LoadState(context.Background(), account); err != nil || st != nil {
		t.Fatalf("a cancelled CommitState left state %+v (err %v)", st, err)
	}
}

func testAbort(t *testing.T, s *sinks.Store) {
	tmp := t.TempDir()
	o := Options(t, schema.Media, "run1")
	o.TempDir = tmp
	w, err := sinks.NewPartitionWriter[schema.MediaRow](o)
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Write(Media("a", nil, "a"))
	w.Abort()
	w.Abort()
	if err := w.Write(Media("b", nil, "b")); err == nil {
		t.Fatal("write after abort succeeded")
	}
	if _, err := w.Commit(context.Background(), s, sinks.DataKey(schema.Media, day, account)); err == nil {
		t.Fatal("commit after abort succeeded")
	}
	// Commit cleans up too, duplicates and merge included.
	w, _ = sinks.NewPartitionWriter[schema.MediaRow](o)
	_ = w.Write(Media("a", nil, "a"), Media("a", nil, "a2"))
	if _, err := w.Commit(context.Background(), s, sinks.DataKey(schema.Media, day, account)); err != nil {
		t.Fatal(err)
	}
	w, _ = sinks.NewPartitionWriter[schema.MediaRow](o)
	_ = w.Write(Media("b", nil, "b"))
	if _, err := w.Commit(context.Background(), s, sinks.DataKey(schema.Media, day, account)); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Fatalf("temp files left: %v", ents)
	}
	if len(listAll(t, s)) != 1 {
		t.Fatalf("bucket holds %q", listAll(t, s))
	}
}

func newState(gen int64, run string) *sinks.State {
	c := day.AddDays(-1)
	return &sinks.State{
		AccountID:  account,
		Generation: gen,
		RunID:      run,
		Version:    "1.2.3",
		Streams: map[string]*sinks.StreamState{
			schema.UserInsights: {Cursor: &c, Files: []sinks.FileInfo{{Key: "k", Rows: 1, Bytes: 2, SHA256: "ab"}}, UpdatedRunID: run},
		},
	}
}

func testStateGenerations(t *testing.T, s *sinks.Store) {
	ctx := context.Background()
	if st, err := s.LoadState(ctx, account); err != nil || st != nil {
		t.Fatalf("LoadState of a new account = %v, %v", st, err)
	}
	if err := s.CommitState(ctx, newState(1, "r1")); err != nil {
		t.Fatal(err)
	}
	if err := s.CommitState(ctx, newState(2, "r2")); err != nil {
		t.Fatal(err)
	}
	st, err := s.LoadState(ctx, account)
	if err != nil {
		t.Fatal(err)
	}
	if st.Generation != 2 || st.RunID != "r2" || st.Format != sinks.StateFormat || st.CommittedAt.IsZero() ||
		*st.Streams[schema.UserInsights].Cursor != day.AddDays(-1) || st.Streams[schema.UserInsights].Files[0].SHA256 != "ab" {
		t.Fatalf("loaded %+v", st)
	}
	err = s.CommitState(ctx, newState(2, "r3"))
	if !errors.Is(err, sinks.ErrConcurrentRun) || !strings.Contains(err.Error(), "generation 2 of account "+account) {
		t.Fatalf("second generation 2: %v", err)
	}
	if st, _ := s.LoadState(ctx, account); st.RunID != "r2" {
		t.Fatalf("the losing commit overwrote the state: %+v", st)
	}
	// The JSON is lower snake_case.
	raw, err := s.Bucket().ReadAll(ctx, s.FullKey(sinks.StateKey(account, 2)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{`"format": "igexport.state/v1"`, `"account_id"`, `"committed_at"`, `"updated_run_id"`, `"cursor": "2026-11-21"`, `"sha256"`} {
		if !bytes.Contains(raw, []byte(f)) {
			t.Fatalf("state JSON lacks %s:\n%s", f, raw)
		}
	}
	accts, err := s.ListAccounts(ctx)
	if err != nil || len(accts) != 1 || accts[0] != account {
		t.Fatalf("ListAccounts = %v, %v", accts, err)
	}
	// An account with only a lease is not listed.
	if _, err := s.AcquireLease(ctx, "999", "r1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if accts, _ := s.ListAccounts(ctx); len(accts) != 1 {
		t.Fatalf("ListAccounts = %v", accts)
	}
	for _, k := range listAll(t, s) {
		if strings.HasSuffix(k, ".tmp") || strings.HasSuffix(k, ".attrs") {
			t.Fatalf("stray object %s", k)
		}
	}
}

func testStateCorrupt(t *testing.T, s *sinks.Store) {
	ctx := context.Background()
	if err := s.CommitState(ctx, newState(1, "r1")); err != nil {
		t.Fatal(err)
	}
	bad := s.FullKey(sinks.StateKey(account, 2))
	if err := s.Bucket().WriteAll(ctx, bad, []byte(`{"format": "igexport.state/v1", "account_id": `), nil); err != nil {
		t.Fatal(err)
	}
	_, err := s.LoadState(ctx, account)
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("corrupt newest state: %v", err)
	}
}

func testStatePrune(t *testing.T, s *sinks.Store) {
	ctx := context.Background()
	for g := int64(1); g <= sinks.KeepGenerations+5; g++ {
		if err := s.CommitState(ctx, newState(g, fmt.Sprintf("r%d", g))); err != nil {
			t.Fatal(err)
		}
	}
	gens, err := s.Generations(ctx, account)
	if err != nil {
		t.Fatal(err)
	}
	if len(gens) != sinks.KeepGenerations || gens[0] != 6 || gens[len(gens)-1] != sinks.KeepGenerations+5 {
		t.Fatalf("generations after prune: %v", gens)
	}
	st, err := s.LoadState(ctx, account)
	if err != nil || st.Generation != sinks.KeepGenerations+5 {
		t.Fatalf("LoadState = %+v, %v", st, err)
	}
}

// atOnce runs fn(0) … fn(n-1) in n goroutines released together, and
// waits for them all.
func atOnce(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

func testStateRace(t *testing.T, s *sinks.Store) {
	ctx := context.Background()
	const n = 16
	errs := make([]error, n)
	atOnce(n, func(i int) { errs[i] = s.CommitState(ctx, newState(1, fmt.Sprintf("r%d", i))) })
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("two winners: r%d and r%d", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, sinks.ErrConcurrentRun):
			t.Fatalf("r%d: %v", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no winner")
	}
	st, err := s.LoadState(ctx, account)
	if err != nil || st.RunID != fmt.Sprintf("r%d", winner) {
		t.Fatalf("state %+v, %v; winner r%d", st, err, winner)
	}
}

func testLease(t *testing.T, s *sinks.Store) {
	ctx := context.Background()
	if li, err := s.ReadLease(ctx, account); err != nil || li != nil {
		t.Fatalf("ReadLease of an unlocked account = %v, %v", li, err)
	}
	l, err := s.AcquireLease(ctx, account, "run1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.AcquireLease(ctx, account, "run2", time.Hour)
	var held *sinks.LeaseHeldError
	if !errors.Is(err, sinks.ErrLeaseHeld) || !errors.As(err, &held) || held.Holder.RunID != "run1" ||
		!strings.Contains(err.Error(), "run1") || !strings.Contains(err.Error(), "until") {
		t.Fatalf("second acquire: %v", err)
	}
	li, err := s.ReadLease(ctx, account)
	if err != nil || li.RunID != "run1" || li.Host == "" || li.ExpiresAt.Sub(li.AcquiredAt) != time.Hour {
		t.Fatalf("ReadLease = %+v, %v", li, err)
	}
	before := l.Info().ExpiresAt
	time.Sleep(5 * time.Millisecond)
	if err := l.Renew(ctx); err != nil {
		t.Fatal(err)
	}
	if li, _ := s.ReadLease(ctx, account); !li.ExpiresAt.After(before) || !li.AcquiredAt.Equal(l.Info().AcquiredAt) {
		t.Fatalf("renew did not move expires_at: %+v (was %v)", li, before)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatalf("second release: %v", err)
	}
	if err := l.Renew(ctx); !errors.Is(err, sinks.ErrLeaseLost) {
		t.Fatalf("renew after release: %v", err)
	}
	if li, _ := s.ReadLease(ctx, account); li != nil {
		t.Fatalf("lease left after release: %+v", li)
	}
	// Unlock forces; the old holder notices.
	l2, err := s.AcquireLease(ctx, account, "run2", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Unlock(ctx, account); err != nil {
		t.Fatal(err)
	}
	if err := s.Unlock(ctx, account); err != nil {
		t.Fatalf("unlock without a lease: %v", err)
	}
	if err := l2.Renew(ctx); !errors.Is(err, sinks.ErrLeaseLost) {
		t.Fatalf("renew after unlock: %v", err)
	}
	select {
	case <-l2.Lost():
	default:
		t.Fatal("Lost not closed")
	}
	l3, err := s.AcquireLease(ctx, account, "run3", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := l2.Release(ctx); !errors.Is(err, sinks.ErrLeaseLost) {
		t.Fatalf("release of a lost lease: %v", err)
	}
	if li, _ := s.ReadLease(ctx, account); li == nil || li.RunID != "run3" {
		t.Fatalf("a lost lease's release deleted the new one: %+v", li)
	}
	if err := l3.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

func testLeaseTakeover(t *testing.T, s *sinks.Store) {
	ctx := context.Background()
	now := time.Now()
	l1, err := s.AcquireLease(ctx, account, "run1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	later := s.WithClock(func() time.Time { return now.Add(2 * time.Minute) })
	l2, err := later.AcquireLease(ctx, account, "run2", time.Minute)
	if err != nil {
		t.Fatalf("takeover of an expired lease: %v", err)
	}
	if li, _ := s.ReadLease(ctx, account); li.RunID != "run2" {
		t.Fatalf("lease after takeover: %+v", li)
	}
	if err := l1.Renew(ctx); !errors.Is(err, sinks.ErrLeaseLost) || !strings.Contains(err.Error(), "run2") {
		t.Fatalf("renew by the old holder: %v", err)
	}
	// The new lease is live for the clock that took it.
	if _, err := later.AcquireLease(ctx, account, "run3", time.Minute); !errors.Is(err, sinks.ErrLeaseHeld) {
		t.Fatalf("acquire of a live lease: %v", err)
	}
	if err := l2.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

// A lease left by a killed run on this machine (same host, boot and PID
// namespace, no such process any more) is taken over before it expires; one
// whose process lives, or that was taken elsewhere, is not.
func testLeaseOfGoneProcess(t *testing.T, s *sinks.Store) {
	ctx := context.Background()
	probe, err := s.AcquireLease(ctx, account, "probe", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	scope := probe.Info().Scope
	if err := probe.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if scope == "" {
		t.Skip("no process scope on this OS: leases are only taken over once expired")
	}
	host, _ := os.Hostname()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	// A killed child not reaped yet: a zombie, which can do nothing more.
	zombie := exec.Command("sleep", "60")
	if err := zombie.Start(); err != nil {
		t.Skip("cannot run sleep:", err)
	}
	_ = zombie.Process.Kill()
	defer zombie.Wait()
	for i := 0; i < 100 && !isZombie(zombie.Process.Pid); i++ {
		time.Sleep(10 * time.Millisecond) // until the kernel marks it Z
	}
	now := time.Now().UTC()
	for _, tc := range []struct {
		name     string
		pid      int
		host     string
		scope    string
		takeover bool
	}{
		{"process gone", dead.Process.Pid, host, scope, true},
		{"process killed, not reaped yet", zombie.Process.Pid, host, scope, true},
		{"process alive", os.Getppid(), host, scope, false},
		{"other host", dead.Process.Pid, host + "-other", scope, false},
		{"other PID namespace", dead.Process.Pid, host, scope + "-other", false},
		{"no scope recorded", dead.Process.Pid, host, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			held := sinks.LeaseInfo{RunID: "killed", Host: tc.host, PID: tc.pid, Scope: tc.scope,
				AcquiredAt: now, ExpiresAt: now.Add(time.Hour)}
			b, _ := json.Marshal(&held)
			if err := s.Bucket().WriteAll(ctx, s.FullKey(sinks.LockKey(account)), b, nil); err != nil {
				t.Fatal(err)
			}
			defer s.Unlock(ctx, account)
			l, err := s.AcquireLease(ctx, account, "next", time.Minute)
			if !tc.takeover {
				if !errors.Is(err, sinks.ErrLeaseHeld) || !strings.Contains(err.Error(), "killed") {
					t.Fatalf("AcquireLease = %v, want the lease held by run killed", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("takeover of an orphaned lease: %v", err)
			}
			if p := l.Previous(); p == nil || p.RunID != "killed" || p.PID != tc.pid {
				t.Errorf("Previous() = %+v", p)
			}
			if li, _ := s.ReadLease(ctx, account); li.RunID != "next" || li.Scope != scope {
				t.Errorf("lease after takeover: %+v", li)
			}
			if err := l.Release(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// isZombie reports whether /proc says the process is a zombie.
func isZombie(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	i := bytes.LastIndexByte(stat, ')') // comm may hold spaces and parentheses
	return err == nil && i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

func testLeaseRace(t *testing.T, s *sinks.Store) {
	ctx := context.Background()
	const n = 8
	errs := make([]error, n)
	atOnce(n, func(i int) { _, errs[i] = s.AcquireLease(ctx, account, fmt.Sprintf("r%d", i), time.Hour) })
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, sinks.ErrLeaseHeld):
			t.Fatalf("r%d: %v", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d winners", wins)
	}
}

// testLeaseTakeoverRace races takers of one expired lease. Takeover is
// delete-then-create, so in a rare interleaving two takers may both see
// success; what must hold is that exactly one of them still owns the lease
// at its first renewal.
func testLeaseTakeoverRace(t *testing.T, s *sinks.Store) {
	ctx := context.Background()
	if _, err := s.AcquireLease(ctx, account, "old", time.Minute); err != nil {
		t.Fatal(err)
	}
	later := s.WithClock(func() time.Time { return time.Now().Add(time.Hour) })
	const n = 8
	leases := make([]*sinks.Lease, n)
	errs := make([]error, n)
	atOnce(n, func(i int) { leases[i], errs[i] = later.AcquireLease(ctx, account, fmt.Sprintf("r%d", i), time.Minute) })
	owners := 0
	for i := range n {
		if errs[i] != nil {
			if !errors.Is(errs[i], sinks.ErrLeaseHeld) {
				t.Fatalf("r%d: %v", i, errs[i])
			}
			continue
		}
		if leases[i].Renew(ctx) == nil {
			owners++
		}
	}
	if owners != 1 {
		t.Fatalf("%d owners after the takeover race", owners)
	}
}

func testLeaseKeepAlive(t *testing.T, s *sinks.Store) {
	ctx := context.Background()
	l, err := s.AcquireLease(ctx, account, "run1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	first := l.Info().ExpiresAt
	kctx, cancel := context.WithCancel(ctx)
	defer cancel()
	l.KeepAlive(kctx, 20*time.Millisecond)
	l.KeepAlive(kctx, 20*time.Millisecond) // no second goroutine
	deadline := time.Now().Add(10 * time.Second)
	for {
		li, err := s.ReadLease(ctx, account)
		if err != nil {
			t.Fatal(err)
		}
		if li.ExpiresAt.After(first) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("KeepAlive did not renew")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond) // a renewal after Release would recreate the lock
	if li, _ := s.ReadLease(ctx, account); li != nil {
		t.Fatalf("lock.json back after release: %+v", li)
	}
	if l.Err() != nil {
		t.Fatalf("Err = %v", l.Err())
	}
}

func testRuns(t *testing.T, s *sinks.Store, keepsContentType bool) {
	ctx := context.Background()
	if err := s.PutRun(ctx, "20261122T010203Z-a1", []byte(`{"ok":true}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRun(ctx, "20261121T010203Z-b2", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	b, err := s.GetRun(ctx, "20261122T010203Z-a1")
	if err != nil || string(b) != `{"ok":true}` {
		t.Fatalf("GetRun = %s, %v", b, err)
	}
	runs, err := s.ListRuns(ctx)
	if err != nil || strings.Join(runs, ",") != "20261121T010203Z-b2,20261122T010203Z-a1" {
		t.Fatalf("ListRuns = %v, %v", runs, err)
	}
	if err := s.PutRun(ctx, "../x", nil); err == nil {
		t.Fatal("PutRun accepted a bad run id")
	}
	attrs, err := s.Bucket().Attributes(ctx, s.FullKey(sinks.RunKey("20261122T010203Z-a1")))
	if err != nil {
		t.Fatal(err)
	}
	if keepsContentType && attrs.ContentType != sinks.ContentTypeJSON {
		t.Fatalf("content type %q", attrs.ContentType)
	}
}
