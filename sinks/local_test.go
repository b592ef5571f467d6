package sinks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
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
	l, err := newLocalBackend(blobBackend{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.renameFromTemp(ctx, path, body); err == nil {
		t.Fatal("a cancelled upload succeeded")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
	if err := l.renameFromTemp(context.Background(), path, body); err != nil {
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
		if err := st.PutRun(ctx, fmt.Sprintf("r%d", i), []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	dirty := s.be.(*localBackend).dirty
	// Two files, the two directories they are in, and the directories
	// those were created in: the root (lake), lake, lake/_igexport.
	if n := len(dirty.paths); n != 7 {
		t.Fatalf("%d paths waiting for a sync, want 7: %v", n, dirty.paths)
	}
	if err := sub.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(dirty.paths); n != 0 {
		t.Fatalf("%d paths still waiting after Sync", n)
	}
	mem, err := Open(ctx, "mem://", "")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if _, local := mem.be.(*localBackend); local || mem.Sync(ctx) != nil {
		t.Fatalf("mem:// has a local backend (%v) or its Sync fails", local)
	}
}

// Syncs are group commits: a caller whose writes a sync already covered
// (it started after them) does not sync again, whatever was written since
// by others; a caller with writes no sync covered does.
func TestStoreSyncGroupCommit(t *testing.T) {
	ctx := context.Background()
	s := openLocal(t, t.TempDir(), "lake")
	l := s.be.(*localBackend)
	put := func(name string) {
		t.Helper()
		if err := s.PutRun(ctx, name, []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	step := func(what string, sync func() error, wantSyncs int) {
		t.Helper()
		if err := sync(); err != nil {
			t.Fatal(err)
		}
		if l.dirty.syncs != wantSyncs {
			t.Fatalf("after %s: %d syncs, want %d", what, l.dirty.syncs, wantSyncs)
		}
	}
	put("a")
	waiter := l.dirty.generation() // a caller that wrote a, then waits for the sync lock
	put("b")
	step("a sync of a and b", func() error { return s.Sync(ctx) }, 1)
	step("the waiter, covered by it", func() error { return l.syncUpTo(ctx, waiter) }, 1)
	put("c")
	step("the waiter again, c is not its", func() error { return l.syncUpTo(ctx, waiter) }, 1)
	step("a sync of c", func() error { return s.Sync(ctx) }, 2)
	step("a sync with nothing written since", func() error { return s.Sync(ctx) }, 2)
	if n := len(l.dirty.paths); n != 0 {
		t.Fatalf("%d paths still waiting after Sync", n)
	}
}

// A failed sync is never followed by a "durable" answer: syncfs (and
// fsync) report a writeback error once, and the pages that failed are
// then clean in memory, not on disk; a later sync that succeeds says
// nothing about them. Every caller after the failure, whether its writes
// were in the failed sync or not, gets the error, so no state is committed
// over data that may be lost.
func TestStoreSyncErrorIsSticky(t *testing.T) {
	ctx := context.Background()
	s := openLocal(t, t.TempDir(), "lake")
	l := s.be.(*localBackend)
	var calls int
	ioErr := errors.New("syncfs: input/output error")
	l.syncFS = func(context.Context, *os.File, []string) error {
		calls++
		if calls == 1 {
			return ioErr // reported once, as the kernel does
		}
		return nil
	}
	put := func(name string) {
		t.Helper()
		if err := s.PutRun(ctx, name, []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	put("a")
	waiter := l.dirty.generation() // another account's writes, in the failed sync
	if err := s.Sync(ctx); !errors.Is(err, ioErr) {
		t.Fatalf("first sync: %v, want the I/O error", err)
	}
	if err := l.syncUpTo(ctx, waiter); !errors.Is(err, ioErr) {
		t.Fatalf("a waiter whose writes were in the failed sync: %v, want the I/O error", err)
	}
	put("b")
	if err := s.Sync(ctx); !errors.Is(err, ioErr) {
		t.Fatalf("a sync after the failure: %v, want the I/O error", err)
	}

	// A sync cut short by its context (non-Linux: one fsync per path) is
	// no writeback error: the next sync runs.
	s2 := openLocal(t, t.TempDir(), "lake")
	l2 := s2.be.(*localBackend)
	cctx, cancel := context.WithCancel(ctx)
	l2.syncFS = func(ctx context.Context, _ *os.File, _ []string) error {
		cancel()
		return ctx.Err()
	}
	if err := s2.PutRun(ctx, "c", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := s2.Sync(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled sync: %v", err)
	}
	l2.syncFS = func(context.Context, *os.File, []string) error { return nil }
	if err := s2.Sync(ctx); err != nil {
		t.Fatalf("a sync after a cancelled one: %v", err)
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
			w, err := NewPartitionWriter[schema.User](FileOptions{Stream: schema.Users, RunID: "run1", TempDir: tmp})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(schema.User{ID: "a"}, schema.User{ID: "b"}); err != nil {
				t.Fatal(err)
			}
			key := DataKey(schema.Users, testDay, "1")
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
			if rows, err := ReadRows[schema.User](ctx, s, key); err != nil || len(rows) != 2 || rows[1].ID != "b" {
				t.Errorf("rows %+v, %v", rows, err)
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
	full := s.FullKey(LockKey("1"))
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
			removed, err := s.be.deleteIf(ctx, full, []byte(tc.judged))
			if err != nil || removed != tc.removed {
				t.Fatalf("deleteIf = %v, %v; want %v", removed, err, tc.removed)
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

// A state is committed on file:// only once its directory entry is on
// disk: the run deletes the old copies of the data it names after the
// commit, so a commit a power loss could undo must fail instead (the fsync
// of the directory was best effort, its error ignored).
func TestCommitStateFailsWhenItsDirectoryIsNotSynced(t *testing.T) {
	ctx := context.Background()
	s := openLocal(t, t.TempDir(), "")
	l := s.be.(*localBackend)
	ioErr := errors.New("fsync: input/output error")
	l.syncDir = func(string) error { return ioErr }
	err := s.CommitState(ctx, &State{AccountID: "17841400000000001", Generation: 1, RunID: "r1"})
	if !errors.Is(err, ioErr) {
		t.Fatalf("commit with a failed directory sync: %v, want the I/O error", err)
	}
	l.syncDir = syncDir
	if err := s.CommitState(ctx, &State{AccountID: "17841400000000001", Generation: 2, RunID: "r1"}); err != nil {
		t.Fatal(err)
	}
}

// The directories opening a file:// store creates for its root are made
// durable by the first sync like any other new directory (where sync fsyncs
// each path: their entries were never synced, so a power loss could take
// the lake with the files a state in another store names).
func TestStoreSyncCoversCreatedRoot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openLocal(t, filepath.Join(dir, "new", "lake"), "")
	if err := s.PutRun(ctx, "r1", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	dirty := s.be.(*localBackend).dirty
	for _, d := range []string{dir, filepath.Join(dir, "new"), filepath.Join(dir, "new", "lake")} {
		if _, ok := dirty.paths[d]; !ok {
			t.Errorf("%s is not waiting for the sync: %v", d, dirty.paths)
		}
	}
}
