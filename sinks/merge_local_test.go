package sinks

import (
	"context"
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
