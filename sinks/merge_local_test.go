package sinks

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file:// upload is a rename from a dot-named temp file: a cancelled (or
// killed) upload leaves nothing a Hive-style reader would pick up.
func TestUploadLocalLeavesNoVisibleTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "media", "dt=2026-11-22", "account_id=1", "part-00000.parquet")
	body := io.NewSectionReader(strings.NewReader("PAR1 body PAR1"), 0, 14)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := uploadLocal(ctx, path, body); err == nil {
		t.Fatal("a cancelled upload succeeded")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
	if err := uploadLocal(context.Background(), path, body); err != nil {
		t.Fatal(err)
	}
	entries, _ = os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 || entries[0].Name() != "part-00000.parquet" {
		t.Fatalf("directory holds %v", entries)
	}
	if b, _ := os.ReadFile(path); string(b) != "PAR1 body PAR1" {
		t.Fatalf("content %q", b)
	}
}

// Uploads to a file:// store are made durable by Store.Sync, all at once:
// it must see every file written, through any copy of the store, and
// forget them once synced.
func TestStoreSyncCoversUploads(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "file://"+filepath.ToSlash(t.TempDir()), "lake")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sub, err := s.Sub("_igexport")
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range []*Store{s, sub} {
		body := io.NewSectionReader(strings.NewReader("PAR1"), 0, 4)
		if err := st.upload(ctx, st.FullKey(fmt.Sprintf("media/dt=2026-11-2%d/account_id=1/part-00000.parquet", i)), body, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.dirty.paths); n != 4 { // two files, two directories
		t.Fatalf("%d paths waiting for a sync, want 4: %v", n, s.dirty.paths)
	}
	if err := sub.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(s.dirty.paths); n != 0 {
		t.Fatalf("%d paths still waiting after Sync", n)
	}
	mem, err := Open(ctx, "mem://", "")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if err := mem.Sync(ctx); err != nil || mem.dirty != nil {
		t.Fatalf("mem:// Sync: %v (dirty %v)", err, mem.dirty)
	}
}
