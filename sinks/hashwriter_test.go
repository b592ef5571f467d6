package sinks_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
	"github.com/igexport/igexport/sinks/sinktest"
)

// TestFileInfoDescribesObject: the size and SHA-256 of a committed file
// (taken while the file is written, not read back) are those of the object
// in the bucket, on each path of Commit: new rows only, duplicate keys (the
// file is rewritten without them), a merge with the object already there,
// and KeepUnchanged with some rows unchanged.
func TestFileInfoDescribesObject(t *testing.T) {
	ctx := context.Background()
	likes := func(n int64) *int64 { return &n }
	tests := []struct {
		name   string
		before []schema.MediaRow // committed first, when any
		rows   []schema.MediaRow
		keep   bool
		want   int64
	}{
		{name: "new rows", rows: []schema.MediaRow{sinktest.Media("1", likes(1), "a"), sinktest.Media("2", nil, "b")}, want: 2},
		{name: "duplicate keys", rows: []schema.MediaRow{sinktest.Media("1", likes(1), "a"), sinktest.Media("1", likes(2), "b"), sinktest.Media("3", nil, "c")}, want: 2},
		{name: "merge", before: []schema.MediaRow{sinktest.Media("1", likes(1), "a"), sinktest.Media("9", likes(9), "z")},
			rows: []schema.MediaRow{sinktest.Media("1", likes(5), "new")}, want: 2},
		{name: "keep unchanged, some changed", keep: true,
			before: []schema.MediaRow{sinktest.Media("1", likes(1), "a"), sinktest.Media("2", likes(2), "b")},
			rows:   []schema.MediaRow{sinktest.Media("1", likes(1), "a"), sinktest.Media("2", likes(3), "b")}, want: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openT(t, "mem://", "p")
			if tt.before != nil {
				sinktest.Commit(t, s, schema.Media, "run0", "k", tt.before...)
			}
			o := sinktest.Options(t, schema.Media, "run1")
			o.KeepUnchanged = tt.keep
			w, err := sinks.NewPartitionWriter[schema.MediaRow](o)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(tt.rows...); err != nil {
				t.Fatal(err)
			}
			fi, err := w.Commit(ctx, s, "k")
			if err != nil {
				t.Fatal(err)
			}
			raw, err := s.Bucket().ReadAll(ctx, fi.Key)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(raw)
			if fi.Bytes != int64(len(raw)) || fi.SHA256 != hex.EncodeToString(sum[:]) || fi.Kept {
				t.Errorf("FileInfo %+v does not describe the %d-byte object (sha256 %x)", fi, len(raw), sum)
			}
			if fi.Rows != tt.want || int64(len(sinktest.Read[schema.MediaRow](t, s, "k"))) != tt.want {
				t.Errorf("rows %d, want %d", fi.Rows, tt.want)
			}
		})
	}
}
