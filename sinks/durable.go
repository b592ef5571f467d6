package sinks

import (
	"context"
	"fmt"
	"sync"
)

// Durability of file:// data files. A file that replaces another is synced
// before its rename (syncBeforeRename in merge.go), so a name a state
// vouches for never points at data that is not on disk. New files and every
// directory entry are made durable together by Store.Sync, before the state
// that names them is written (the state file itself is synced as it is
// created): an fsync of every file and its directory cost ~0.8 ms of CPU
// per file, and a run writes thousands of small partitions. Object stores
// need none of this: an object is durable when its PUT returns.

// unsynced lists the files and directories a file:// Store wrote since its
// last Sync. Copies of a Store (Sub, WithClock) share it.
type unsynced struct {
	syncing sync.Mutex // held through a whole Sync: see Store.Sync
	mu      sync.Mutex // guards paths
	paths   map[string]struct{}
}

func (u *unsynced) add(paths ...string) {
	if u == nil {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.paths == nil {
		u.paths = map[string]struct{}{}
	}
	for _, p := range paths {
		u.paths[p] = struct{}{}
	}
}

// take empties the list and returns what it held.
func (u *unsynced) take() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]string, 0, len(u.paths))
	for p := range u.paths {
		out = append(out, p)
	}
	u.paths = nil
	return out
}

// Sync makes every data file written through s (or a Store sharing its
// bucket) since the last Sync durable on disk: on Linux with one syncfs(2)
// of the file system holding the root, elsewhere with an fsync of each file
// and directory. Call it before committing a state that names those files.
// It does nothing for object stores. Syncs run one at a time: a Sync that
// finds another in progress (which took this caller's paths too) waits for
// its outcome instead of returning before those paths are durable.
func (s *Store) Sync(ctx context.Context) error {
	if s.localRoot == "" || s.dirty == nil {
		return nil
	}
	s.dirty.syncing.Lock()
	defer s.dirty.syncing.Unlock()
	paths := s.dirty.take()
	if len(paths) == 0 {
		return nil
	}
	if err := syncPaths(ctx, s.localRoot, paths); err != nil {
		s.dirty.add(paths...) // still not known to be durable
		return fmt.Errorf("sync %s: %w", s, err)
	}
	return nil
}
