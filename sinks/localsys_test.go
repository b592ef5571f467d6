package sinks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/igexport/igexport/internal/schema"
)

// The file:// backend creates each directory once per store and then
// trusts its cache. A directory removed behind the cache's back (another
// process pruning an empty partition directory) is created again by the
// next write into it, whichever kind of write it is; and a store opened
// later starts with an empty cache.
func TestLocalDirCacheRecreatesRemovedDir(t *testing.T) {
	ctx := context.Background()
	commit := func(t *testing.T, s *Store, key string) {
		w, err := NewPartitionWriter[schema.User](FileOptions{Stream: schema.Users, RunID: "run1", TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(schema.User{ID: "a"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Commit(ctx, s, key); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name  string
		write func(t *testing.T, s *Store, key string)
	}{
		{"partition commit (rename of the temp file)", commit},
		{"put (copy into a dot-named temp file)", func(t *testing.T, s *Store, key string) {
			if err := s.be.put(ctx, s.FullKey(key), bytesBody([]byte("{}")), attrs{}); err != nil {
				t.Fatal(err)
			}
		}},
		{"create (state, lease)", func(t *testing.T, s *Store, key string) {
			if err := s.be.create(ctx, s.FullKey(key), []byte("{}"), ContentTypeJSON); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			s := openLocal(t, root, "lake")
			l := s.be.(*localBackend)
			dir := filepath.Join(root, "lake", "users", "month=2026-11", "account_id=1")
			tc.write(t, s, "users/month=2026-11/account_id=1/a")
			if !l.dirs.has(dir) {
				t.Fatalf("%s not cached after a write into it", dir)
			}
			if err := os.RemoveAll(filepath.Join(root, "lake", "users")); err != nil {
				t.Fatal(err)
			}
			tc.write(t, s, "users/month=2026-11/account_id=1/b")
			ents, err := os.ReadDir(dir)
			if err != nil || len(ents) != 1 || ents[0].Name() != "b" {
				t.Fatalf("directory holds %v (%v), want just b", ents, err)
			}
			if again := openLocal(t, root, "lake"); again.be.(*localBackend).dirs.has(dir) {
				t.Errorf("a store opened later knows %s already", dir)
			}
		})
	}
}

// Lease.Check sees every change of lock.json after a check that found it
// ours (on Linux the later checks stat the pinned file instead of reading
// it), and keeps passing while it is unchanged or renewed by its holder.
func TestLeaseCheckSeesChangedLock(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, s *Store, path string)
		lost   string // "" when the lease is still ours
	}{
		{"unchanged", func(*testing.T, *Store, string) {}, ""},
		{"renewed by its holder", nil, ""},
		{"unlocked", func(t *testing.T, s *Store, _ string) {
			if err := s.Unlock(ctx, "1"); err != nil {
				t.Fatal(err)
			}
		}, "was deleted"},
		{"taken over after expiry", func(t *testing.T, s *Store, _ string) {
			later := s.WithClock(func() time.Time { return time.Now().Add(2 * time.Hour) })
			if _, err := later.AcquireLease(ctx, "1", "run2", time.Hour); err != nil {
				t.Fatal(err)
			}
		}, "held by run run2"},
		{"rewritten in place", func(t *testing.T, _ *Store, path string) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteString(`{"run_id":"someone else"}`); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}, "held by run someone else"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			s := openLocal(t, root, "")
			l, err := s.AcquireLease(ctx, "1", "run1", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Release(ctx)
			if err := l.Check(ctx); err != nil {
				t.Fatal(err)
			}
			if _, stamps := s.be.(stamper); stamps != (runtime.GOOS == "linux") || stamps && l.pin == nil {
				t.Fatalf("stamper %v, pinned %v on %s", stamps, l.pin != nil, runtime.GOOS)
			}
			if tc.change == nil {
				if err := l.Renew(ctx); err != nil {
					t.Fatal(err)
				}
			} else {
				tc.change(t, s, filepath.Join(root, filepath.FromSlash(LockKey("1"))))
			}
			for range 2 {
				err = l.Check(ctx)
				switch {
				case tc.lost == "" && err != nil:
					t.Fatalf("Check = %v, want nil", err)
				case tc.lost != "" && (!errors.Is(err, ErrLeaseLost) || !strings.Contains(err.Error(), tc.lost)):
					t.Fatalf("Check = %v, want ErrLeaseLost saying %q", err, tc.lost)
				}
			}
		})
	}
}

// A commit merges with the object at its key read into memory when it is
// small and straight from the file when it is not (mergeInMemory): both
// keep every old row a new one does not replace, and on file:// neither
// leaves a temp file behind nor removes the object it read.
func TestMergeSmallAndLargeObjects(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		rows int // old rows; unique 64-hex captions make ~40 bytes a row
	}{
		{"small object, read at once", 10},
		{"large object, read from the file", 20_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, tmp := t.TempDir(), t.TempDir()
			s := openLocal(t, root, "")
			key := DataKey(schema.Media, testDay, "1")
			commit := func(rows ...schema.MediaRow) FileInfo {
				t.Helper()
				w, err := NewPartitionWriter[schema.MediaRow](FileOptions{Stream: schema.Media, RunID: "run1", TempDir: tmp})
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
			old := make([]schema.MediaRow, tc.rows)
			for i := range old {
				sum := sha256.Sum256([]byte(strconv.Itoa(i)))
				old[i] = schema.MediaRow{ID: strconv.Itoa(i), Caption: schema.Ptr(hex.EncodeToString(sum[:]))}
			}
			first := commit(old...)
			if large := first.Bytes > mergeInMemory; large != (tc.rows > 10) {
				t.Fatalf("object of %d bytes: large %v, want %v (mergeInMemory %d)", first.Bytes, large, tc.rows > 10, mergeInMemory)
			}
			fi := commit(schema.MediaRow{ID: "0", Caption: schema.Ptr("new")}, schema.MediaRow{ID: "new"})
			if fi.Rows != int64(tc.rows)+1 {
				t.Fatalf("merged file has %d rows, want %d", fi.Rows, tc.rows+1)
			}
			got, err := ReadRows[schema.MediaRow](ctx, s, key)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.rows+1 || got[0].ID != "0" || *got[0].Caption != "new" || got[1].ID != "new" ||
				got[len(got)-1].ID != old[len(old)-1].ID || *got[len(got)-1].Caption != *old[len(old)-1].Caption {
				t.Fatalf("merged rows: %d, first %+v, last %+v", len(got), got[0], got[len(got)-1])
			}
			for _, d := range []string{tmp, filepath.Dir(filepath.Join(root, filepath.FromSlash(key)))} {
				ents, _ := os.ReadDir(d)
				for _, e := range ents {
					if e.Name() != "part-00000.parquet" {
						t.Errorf("left behind in %s: %s", d, e.Name())
					}
				}
			}
		})
	}
}

// On Linux a file:// store syncs through a descriptor of its root opened
// with the store, not one opened at each sync: syncfs reports the writeback
// errors since its descriptor was opened, and one opened at the sync missed
// an error another process's syncfs had already seen (another run on the
// same file system), so the state was committed over lost pages. Seen from
// outside: the sync still reaches the lake's file system after the root's
// path changed.
func TestStoreSyncThroughRootOpenedWithStore(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("syncfs is Linux's; elsewhere each path is synced")
	}
	ctx := context.Background()
	dir := t.TempDir()
	root := filepath.Join(dir, "lake")
	if err := os.Mkdir(root, 0o777); err != nil {
		t.Fatal(err)
	}
	s := openLocal(t, root, "")
	if err := s.PutRun(ctx, "r1", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(root, filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatalf("sync after the root was moved: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "moved", "runs", "r1.json")); err != nil {
		t.Fatal(err)
	}
}

// A new file:// partition is renamed into place before the sync that
// precedes the state naming it, so a power loss can leave a prefix of it
// under its name (writeback had flushed part of it), not only an empty
// file: no state names it, and the next run, which fetches its rows again,
// must write the partition rather than fail on the merge forever. A file
// that is no Parquet file at all is still refused (TestMergeCorruptExisting).
func TestCommitOverCutShortFile(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		rows    int
		cut     func(b []byte) []byte
		wantErr bool
	}{
		{"small file cut short", 10, func(b []byte) []byte { return b[:len(b)/2] }, false},
		{"large file cut short", 20_000, func(b []byte) []byte { return b[:len(b)-100] }, false},
		{"no Parquet file", 10, func([]byte) []byte { return []byte("not parquet") }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, tmp := t.TempDir(), t.TempDir()
			s := openLocal(t, root, "")
			key := DataKey(schema.Media, testDay, "1")
			path := filepath.Join(root, filepath.FromSlash(key))
			commit := func(rows ...schema.MediaRow) error {
				t.Helper()
				w, err := NewPartitionWriter[schema.MediaRow](FileOptions{Stream: schema.Media, RunID: "run1", TempDir: tmp})
				if err != nil {
					t.Fatal(err)
				}
				if err := w.Write(rows...); err != nil {
					t.Fatal(err)
				}
				_, err = w.Commit(ctx, s, key)
				return err
			}
			old := make([]schema.MediaRow, tc.rows)
			for i := range old {
				sum := sha256.Sum256([]byte(strconv.Itoa(i)))
				old[i] = schema.MediaRow{ID: strconv.Itoa(i), Caption: schema.Ptr(hex.EncodeToString(sum[:]))}
			}
			if err := commit(old...); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			left := tc.cut(b)
			if err := os.WriteFile(path, left, 0o644); err != nil {
				t.Fatal(err)
			}
			err = commit(schema.MediaRow{ID: "new"})
			if tc.wantErr {
				if err == nil {
					t.Fatal("a file that is no Parquet file was replaced")
				}
				if got, _ := os.ReadFile(path); string(got) != string(left) {
					t.Fatal("the file changed")
				}
				return
			}
			if err != nil {
				t.Fatalf("commit over a file cut short: %v", err)
			}
			got, err := ReadRows[schema.MediaRow](ctx, s, key)
			if err != nil || len(got) != 1 || got[0].ID != "new" {
				t.Fatalf("rows %+v (%v), want just the new one", got, err)
			}
		})
	}
}
