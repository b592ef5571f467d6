package sinks_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"
	"weak"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
	"github.com/igexport/igexport/sinks/sinktest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestSchemasGolden pins the Parquet schema of the seven row types: a diff
// here is a schema change, which must be additive (SPEC §3).
func TestSchemasGolden(t *testing.T) {
	var b strings.Builder
	for _, s := range schema.Streams {
		fmt.Fprintf(&b, "# %s\n%s\n\n", s.Name, parquet.SchemaOf(s.Row).String())
	}
	for _, bad := range []string{",false)", "NANOS", "MILLIS", "isAdjustedToUTC=false", "account_id", " dt "} {
		if strings.Contains(b.String(), bad) {
			t.Errorf("a row schema contains %q (unsigned int, non-MICROS/UTC timestamp or a partition column)", bad)
		}
	}
	golden := filepath.Join("testdata", "schemas.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./sinks -run SchemasGolden -update)", err)
	}
	if b.String() != string(want) {
		t.Fatalf("schemas differ from %s (run with -update if intended):\n%s", golden, b.String())
	}
}

// fileOf commits rows and returns the parsed file and its bytes.
func fileOf[T schema.Row](t *testing.T, o sinks.FileOptions, rows ...T) (*parquet.File, []byte) {
	t.Helper()
	ctx := context.Background()
	s := openT(t, "mem://", "")
	w, err := sinks.NewPartitionWriter[T](o)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rows...); err != nil {
		t.Fatal(err)
	}
	fi, err := w.Commit(ctx, s, "x/"+sinks.PartFile)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := s.Bucket().ReadAll(ctx, fi.Key)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	return f, raw
}

// dictColumns returns the top-level and nested column names tagged dict.
func dictColumns(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for f := range t.Fields() {
		tag := strings.Split(f.Tag.Get("parquet"), ",")
		if slicesContain(tag[1:], "dict") {
			out[tag[0]] = true
		}
		ft := f.Type
		if ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Time]() {
			for k := range dictColumns(ft) {
				out[k] = true
			}
		}
	}
	return out
}

func slicesContain(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// pageHeaders decodes every page header of a column chunk.
func pageHeaders(t *testing.T, raw []byte, md *format.ColumnMetaData) []format.PageHeader {
	t.Helper()
	off := md.DataPageOffset
	if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < off {
		off = md.DictionaryPageOffset
	}
	end := off + md.TotalCompressedSize
	var out []format.PageHeader
	for off < end {
		r := bytes.NewReader(raw[off:end])
		var h format.PageHeader
		compact := thrift.CompactProtocol{}
		if err := thrift.NewDecoder(compact.NewReader(r)).Decode(&h); err != nil {
			t.Fatalf("page header at %d: %v", off, err)
		}
		hdr := int64(len(raw[off:end]) - r.Len())
		out = append(out, h)
		off += hdr + int64(h.CompressedPageSize)
	}
	return out
}

func TestParquetFileSettings(t *testing.T) {
	rows := make([]schema.MediaRow, 25)
	for i := range rows {
		rows[i] = sinktest.Media(fmt.Sprint(i), schema.Ptr(int64(i)), sinktest.LongCaption())
		rows[i].Children = []schema.Child{{ID: "c", MediaType: schema.Ptr("IMAGE")}}
	}
	o := sinktest.Options(t, schema.Media, "run-42")
	o.RowGroupRows = 10
	f, raw := fileOf(t, o, rows...)
	md := f.Metadata()

	if !strings.Contains(md.CreatedBy, "igexport") || !strings.Contains(md.CreatedBy, "1.2.3-test") {
		t.Errorf("created_by = %q", md.CreatedBy)
	}
	kv := map[string]string{}
	for _, e := range md.KeyValueMetadata {
		kv[e.Key] = e.Value
	}
	if kv[sinks.MetaStream] != schema.Media || kv[sinks.MetaSchemaVersion] != schema.Version || kv[sinks.MetaRunID] != "run-42" {
		t.Errorf("key/value metadata = %v", kv)
	}
	if len(md.RowGroups) != 3 {
		t.Errorf("%d row groups for 25 rows at 10 per group", len(md.RowGroups))
	}

	// Schema: signed ints only, timestamps MICROS UTC, lists 3-level.
	var timestamps, lists int
	for _, el := range md.Schema {
		if el.ConvertedType.Valid {
			switch el.ConvertedType.V {
			case deprecated.Uint8, deprecated.Uint16, deprecated.Uint32, deprecated.Uint64:
				t.Errorf("%s is unsigned", el.Name)
			}
		}
		switch lt := el.LogicalType.Value.(type) {
		case *format.IntType:
			if !lt.IsSigned {
				t.Errorf("%s is %s", el.Name, lt)
			}
		case *format.TimestampType:
			timestamps++
			if _, ok := lt.Unit.Value.(*format.MicroSeconds); !ok || !lt.IsAdjustedToUTC {
				t.Errorf("%s is %s, want TIMESTAMP(MICROS, UTC)", el.Name, lt)
			}
		case *format.ListType:
			lists++
		}
	}
	if timestamps != 3 || lists != 1 {
		t.Errorf("%d timestamps, %d lists in the media schema", timestamps, lists)
	}
	if !strings.Contains(f.Schema().String(), "repeated group list {") {
		t.Errorf("children is not a 3-level LIST:\n%s", f.Schema())
	}

	dict := dictColumns(reflect.TypeFor[schema.MediaRow]())
	var sawPlain, sawDict bool
	for _, rg := range md.RowGroups {
		for _, cc := range rg.Columns {
			cm := &cc.MetaData
			col := cm.PathInSchema[len(cm.PathInSchema)-1]
			if cm.Codec != format.Zstd {
				t.Errorf("%s: codec %s", col, cm.Codec)
			}
			for _, e := range cm.Encoding {
				if e == format.DeltaLengthByteArray || e == format.DeltaByteArray || e == format.DeltaBinaryPacked {
					t.Errorf("%s uses %s", col, e)
				}
			}
			for _, h := range pageHeaders(t, raw, cm) {
				switch h.Type {
				case format.DataPage:
					enc := h.DataPageHeader.V.Encoding
					isDict := enc == format.RLEDictionary || enc == format.PlainDictionary
					if dict[col] != isDict {
						t.Errorf("%s: data page encoding %s (dict tag: %v)", col, enc, dict[col])
					}
					sawPlain = sawPlain || enc == format.Plain
					sawDict = sawDict || isDict
				case format.DictionaryPage:
				default:
					t.Errorf("%s: page type %s, want V1 data pages", col, h.Type)
				}
			}
		}
	}
	if !sawPlain || !sawDict {
		t.Errorf("plain pages %v, dictionary pages %v", sawPlain, sawDict)
	}
}

func TestCompressionNames(t *testing.T) {
	want := map[string]format.CompressionCodec{
		"": format.Zstd, "zstd": format.Zstd, "snappy": format.Snappy, "gzip": format.Gzip, "none": format.Uncompressed,
	}
	for name, codec := range want {
		o := sinktest.Options(t, schema.Users, "r")
		o.Compression = name
		f, _ := fileOf(t, o, schema.User{ID: "1", Username: schema.Ptr("brand")})
		for _, cc := range f.Metadata().RowGroups[0].Columns {
			if cc.MetaData.Codec != codec {
				t.Errorf("compression %q wrote %s", name, cc.MetaData.Codec)
			}
		}
	}
	if err := sinks.CheckCompression("lz4"); err == nil {
		t.Error("lz4 accepted")
	}
	if _, err := sinks.NewPartitionWriter[schema.User](sinks.FileOptions{Stream: schema.Users, RunID: "r", Compression: "brotli"}); err == nil {
		t.Error("brotli accepted")
	}
}

func TestPartitionWriterChecks(t *testing.T) {
	if _, err := sinks.NewPartitionWriter[schema.User](sinks.FileOptions{Stream: "nope", RunID: "r"}); err == nil {
		t.Error("unknown stream accepted")
	}
	if _, err := sinks.NewPartitionWriter[schema.User](sinks.FileOptions{Stream: schema.Media, RunID: "r"}); err == nil {
		t.Error("User rows accepted for the media stream")
	}
	if _, err := sinks.NewPartitionWriter[schema.User](sinks.FileOptions{Stream: schema.Users}); err == nil {
		t.Error("empty run id accepted")
	}
	w, err := sinks.NewPartitionWriter[schema.User](sinktest.Options(t, schema.Users, "r"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for _, key := range []string{"", "/a", "a/", "a/../b", "a//b"} {
		s := openT(t, "mem://", "")
		w, _ := sinks.NewPartitionWriter[schema.User](sinktest.Options(t, schema.Users, "r"))
		if _, err := w.Commit(context.Background(), s, key); err == nil {
			t.Errorf("key %q accepted", key)
		}
	}
}

// TestAllStreamsRoundTrip writes and merges one row of each stream.
func TestAllStreamsRoundTrip(t *testing.T) {
	s := openT(t, "mem://", "p")
	now := time.Date(2026, 11, 22, 3, 4, 5, 6000, time.UTC)
	check := func(t *testing.T, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v\nwant %+v", got, want)
		}
	}
	t.Run("users", func(t *testing.T) {
		in := []schema.User{{ID: "1", IGID: schema.Ptr[int64](7), FollowersCount: schema.Ptr[int64](0), FetchedAt: now}}
		sinktest.Commit(t, s, schema.Users, "r", "u", in...)
		check(t, sinktest.Read[schema.User](t, s, "u"), in)
	})
	t.Run("media_insights", func(t *testing.T) {
		in := []schema.MediaInsight{{ID: "1", Views: schema.Ptr[int64](0), InsightsStatus: schema.StatusNotEnoughViewers, FetchedAt: now}}
		sinktest.Commit(t, s, schema.MediaInsights, "r", "mi", in...)
		check(t, sinktest.Read[schema.MediaInsight](t, s, "mi"), in)
	})
	t.Run("story_insights", func(t *testing.T) {
		in := []schema.StoryInsight{{ID: "1", TapBack: schema.Ptr[int64](3), InsightsStatus: schema.StatusOK, FetchedAt: now}}
		sinktest.Commit(t, s, schema.StoryInsights, "r", "si", in...)
		check(t, sinktest.Read[schema.StoryInsight](t, s, "si"), in)
	})
	t.Run("user_lifetime_insights", func(t *testing.T) {
		// age,gender buckets F/M/U stay apart; NULL and "" dimensions too.
		mk := func(g *string, v int64) schema.LifetimeInsight {
			return schema.LifetimeInsight{Metric: "follower_demographics", Timeframe: "this_month", Breakdown: "age,gender",
				Age: schema.Ptr("25-34"), Gender: g, Value: v, FetchedAt: now}
		}
		in := []schema.LifetimeInsight{mk(schema.Ptr("F"), 1), mk(schema.Ptr("M"), 2), mk(schema.Ptr("U"), 3), mk(nil, 4), mk(schema.Ptr(""), 5)}
		sinktest.Commit(t, s, schema.UserLifetimeInsights, "r", "li", in...)
		fi := sinktest.Commit(t, s, schema.UserLifetimeInsights, "r2", "li", mk(schema.Ptr("M"), 20))
		if fi.Rows != 5 {
			t.Fatalf("rows %d", fi.Rows)
		}
		got := sinktest.Read[schema.LifetimeInsight](t, s, "li")
		check(t, got, []schema.LifetimeInsight{mk(schema.Ptr("M"), 20), in[0], in[2], in[3], in[4]})
	})
}

// TestMergeOlderSchema merges into a file written with fewer columns (an
// older, additive schema version): the missing columns come back NULL.
func TestMergeOlderSchema(t *testing.T) {
	type oldStory struct {
		ID        string    `parquet:"id"`
		Caption   *string   `parquet:"caption,optional"`
		FetchedAt time.Time `parquet:"fetched_at,timestamp(microsecond)"`
	}
	ctx := context.Background()
	s := openT(t, "mem://", "")
	var buf bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := parquet.Write(&buf, []oldStory{{ID: "a", Caption: schema.Ptr("old a"), FetchedAt: now}, {ID: "b", FetchedAt: now}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Bucket().WriteAll(ctx, "k", buf.Bytes(), nil); err != nil {
		t.Fatal(err)
	}
	sinktest.Commit(t, s, schema.Stories, "r", "k", schema.Story{ID: "b", LikeCount: schema.Ptr[int64](1), FetchedAt: now})
	got := sinktest.Read[schema.Story](t, s, "k")
	if sinktest.Keys(got) != "b,a" || *got[1].Caption != "old a" || got[1].LikeCount != nil || *got[0].LikeCount != 1 {
		t.Fatalf("merged %+v", got)
	}
}

// TestMergeCorruptExisting refuses to replace an object it cannot read.
func TestMergeCorruptExisting(t *testing.T) {
	ctx := context.Background()
	s := openT(t, "mem://", "")
	_ = s.Bucket().WriteAll(ctx, "k", []byte("not parquet"), nil)
	w, _ := sinks.NewPartitionWriter[schema.Story](sinktest.Options(t, schema.Stories, "r"))
	_ = w.Write(schema.Story{ID: "a"})
	_, err := w.Commit(ctx, s, "k")
	if err == nil || !strings.Contains(err.Error(), "k") {
		t.Fatalf("commit over a corrupt object: %v", err)
	}
	if b, _ := s.Bucket().ReadAll(ctx, "k"); string(b) != "not parquet" {
		t.Fatal("corrupt object replaced")
	}
}

// TestBigPartitionStreams writes more rows than one row group and merges a
// big existing file, as a smoke test of the streaming paths.
func TestBigPartitionStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	s := openT(t, "mem://", "")
	const n = 20_000
	o := sinktest.Options(t, schema.Media, "r1")
	o.RowGroupRows = 3000
	w, _ := sinks.NewPartitionWriter[schema.MediaRow](o)
	for i := range n {
		if err := w.Write(sinktest.Media(fmt.Sprint(i), schema.Ptr(int64(i)), "caption")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Commit(context.Background(), s, "m"); err != nil {
		t.Fatal(err)
	}
	w, _ = sinks.NewPartitionWriter[schema.MediaRow](o)
	for i := n - 100; i < n+100; i++ {
		_ = w.Write(sinktest.Media(fmt.Sprint(i), schema.Ptr(int64(-i)), "new"))
	}
	fi, err := w.Commit(context.Background(), s, "m")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Rows != n+100 {
		t.Fatalf("rows %d", fi.Rows)
	}
	got := sinktest.Read[schema.MediaRow](t, s, "m")
	if len(got) != n+100 || got[0].ID != fmt.Sprint(n-100) || *got[0].LikeCount != -(n-100) || got[200].ID != "0" {
		t.Fatalf("%d rows, first %s", len(got), got[0].ID)
	}
}

// openT opens a Store closed with the test.
func openT(t *testing.T, url, prefix string) *sinks.Store {
	t.Helper()
	s, err := sinks.Open(context.Background(), url, prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestPartitionWriterKeepsNoKeys: what a partition writer remembers of the
// rows written (to keep each key's last row and merge with the object at
// the key) does not keep their keys alive. An account's media partition
// has a row per media; a map of the key strings kept every id of the
// account in memory until the commit (about 65 bytes a row, four times
// the 128-bit digest logged now). The rows still merge by key.
func TestPartitionWriterKeepsNoKeys(t *testing.T) {
	s := openT(t, "mem://", "")
	const n = 2000
	o := sinktest.Options(t, schema.Media, "r1")
	w, err := sinks.NewPartitionWriter[schema.MediaRow](o)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]weak.Pointer[byte], n)
	for i := range n {
		// A heap string of its own per row, as a parsed response gives.
		id := fmt.Sprintf("17900000000%09d", i)
		ids[i] = weak.Make(unsafe.StringData(id))
		if err := w.Write(sinktest.Media(id, schema.Ptr(int64(i)), "caption")); err != nil {
			t.Fatal(err)
		}
	}
	// Written twice: the later row wins.
	if err := w.Write(sinktest.Media(fmt.Sprintf("17900000000%09d", 7), schema.Ptr(int64(-7)), "again")); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	kept := 0
	for _, p := range ids {
		if p.Value() != nil {
			kept++
		}
	}
	if kept > 0 {
		t.Errorf("%d of %d keys written are still in memory", kept, n)
	}
	if w.Len() != n {
		t.Errorf("Len %d, want %d", w.Len(), n)
	}
	if _, err := w.Commit(context.Background(), s, "m"); err != nil {
		t.Fatal(err)
	}
	// A second commit merges with the first: its keys replace theirs.
	w, _ = sinks.NewPartitionWriter[schema.MediaRow](o)
	for i := n - 10; i < n+10; i++ {
		_ = w.Write(sinktest.Media(fmt.Sprintf("17900000000%09d", i), schema.Ptr(int64(-i)), "new"))
	}
	fi, err := w.Commit(context.Background(), s, "m")
	if err != nil {
		t.Fatal(err)
	}
	got := sinktest.Read[schema.MediaRow](t, s, "m")
	if fi.Rows != n+10 || len(got) != n+10 {
		t.Fatalf("rows %d, read %d, want %d", fi.Rows, len(got), n+10)
	}
	likes := map[string]int64{}
	for _, r := range got {
		likes[r.ID] = *r.LikeCount
	}
	for i, want := range map[int]int64{0: 0, 7: -7, n - 11: n - 11, n - 10: -(n - 10), n + 9: -(n + 9)} {
		if got := likes[fmt.Sprintf("17900000000%09d", i)]; got != want {
			t.Errorf("row %d: like_count %d, want %d", i, got, want)
		}
	}
}
