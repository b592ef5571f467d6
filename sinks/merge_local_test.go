package sinks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/igexport/igexport/internal/schema"
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
	s := openLocal(t, t.TempDir(), "lake")
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

// A file:// commit renames the temp file into the lake when both are on the
// same file system, and copies it otherwise (a tmpfs /tmp): either way the
// partition holds the rows, is readable by others (0644), matches the
// FileInfo's hash and size, and no temp file is left anywhere.
func TestLocalCommitMovesOrCopies(t *testing.T) {
	dirs := map[string]string{"same file system": t.TempDir()}
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if shm, err := os.MkdirTemp("/dev/shm", "igexport-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(shm) })
			dirs["other file system"] = shm
		}
	}
	for name, tmp := range dirs {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			root := t.TempDir()
			s := openLocal(t, root, "")
			o := opts(t, schema.Media, "run1")
			o.TempDir = tmp
			w, err := NewPartitionWriter[schema.MediaRow](o)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(media("a", nil, "x"), media("b", nil, "y")); err != nil {
				t.Fatal(err)
			}
			key := DataKey(schema.Media, day, account)
			fi, err := w.Commit(ctx, s, key)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(root, filepath.FromSlash(key))
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != lakeFileMode || st.Size() != fi.Bytes {
				t.Errorf("mode %v size %d, want %v and %d", st.Mode().Perm(), st.Size(), os.FileMode(lakeFileMode), fi.Bytes)
			}
			b, _ := os.ReadFile(path)
			if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != fi.SHA256 {
				t.Errorf("file hash differs from FileInfo.SHA256")
			}
			if got := ids(readRows[schema.MediaRow](t, s, key)); got != "a,b" {
				t.Errorf("rows %s", got)
			}
			for _, d := range []string{tmp, filepath.Dir(path)} {
				ents, _ := os.ReadDir(d)
				for _, e := range ents {
					if e.Name() != filepath.Base(path) {
						t.Errorf("left behind in %s: %s", d, e.Name())
					}
				}
			}
		})
	}
}

// On file://, taking over a lease deletes lock.json only if it still holds
// the lease that was judged expired: another run's newer lease is put back.
func TestDeleteLeaseIfLocal(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := openLocal(t, root, "")
	full := s.FullKey(LockKey(account))
	path := filepath.Join(root, filepath.FromSlash(full))
	for _, tc := range []struct {
		name, on, judged string
		removed          bool
	}{
		{"the lease judged", `{"run_id":"old"}`, `{"run_id":"old"}`, true},
		{"a newer lease", `{"run_id":"new"}`, `{"run_id":"old"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tc.on), 0o644); err != nil {
				t.Fatal(err)
			}
			removed, err := s.deleteLeaseIf(ctx, full, []byte(tc.judged))
			if err != nil || removed != tc.removed {
				t.Fatalf("deleteLeaseIf = %v, %v; want %v", removed, err, tc.removed)
			}
			b, err := os.ReadFile(path)
			switch {
			case tc.removed && err == nil:
				t.Errorf("lock.json still there: %s", b)
			case !tc.removed && string(b) != tc.on:
				t.Errorf("lock.json = %q (err %v), want the newer lease back", b, err)
			}
			ents, _ := os.ReadDir(filepath.Dir(path))
			for _, e := range ents {
				if e.Name() != "lock.json" {
					t.Errorf("left behind: %s", e.Name())
				}
			}
			_ = os.Remove(path)
		})
	}
}

// An empty object at a partition's key (what a power loss can leave of a
// new file that was never synced, so never committed) is taken as absent,
// not as a corrupt file to merge with.
func TestCommitOverEmptyObject(t *testing.T) {
	ctx := context.Background()
	s := openLocal(t, t.TempDir(), "")
	key := DataKey(schema.Media, day, account)
	if err := s.bucket.WriteAll(ctx, s.FullKey(key), nil, nil); err != nil {
		t.Fatal(err)
	}
	w, err := NewPartitionWriter[schema.MediaRow](opts(t, schema.Media, "run1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(media("a", nil, "x")); err != nil {
		t.Fatal(err)
	}
	if fi, err := w.Commit(ctx, s, key); err != nil || fi.Rows != 1 {
		t.Fatalf("commit over an empty object: %+v, %v", fi, err)
	}
	if got := ids(readRows[schema.MediaRow](t, s, key)); got != "a" {
		t.Errorf("rows %s", got)
	}
}

// openLocal opens a file:// store on root with prefix, closed with the test.
func openLocal(t *testing.T, root, prefix string) *Store {
	t.Helper()
	s, err := Open(context.Background(), "file://"+filepath.ToSlash(root), prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
