package sinks

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
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
