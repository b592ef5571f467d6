package sinks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// localBackend is the backend of file:// stores. It reads, lists and
// deletes through fileblob (the embedded blobBackend, opened on root with
// metadata=skip and no_tmp_dir), and writes on the local file system
// itself:
//
//   - create is exclusive: fileblob's IfNotExist is a stat-then-rename race
//     (reference/libraries.md §1.4), so the body goes to a synced temp file
//     next to the target and os.Link gives it its final name, which fails
//     with EEXIST if the name is taken (atomic on every POSIX file system
//     and on NTFS);
//   - put and putFile rename a dot-named temp file into place (Hive-style
//     readers skip dot files; fileblob's <key>.<hex>.tmp would be read by a
//     killed run's partition), or the finished temp file itself when it is
//     on the same file system: no second copy. Files are lakeFileMode;
//   - deleteIf is exact (the file is moved aside, compared, put back);
//   - durability is batched: a file that replaces another is synced before
//     its rename (a name a state vouches for never points at data that is
//     not on disk); new files and every directory entry are made durable
//     together by sync (Store.Sync), before the state that names them is
//     written. An fsync of every file and its directory cost ~0.8 ms of CPU
//     per file, and a run writes thousands of small partitions. If power is
//     lost before that sync, the empty file it can leave is taken as absent
//     by the next run's merge (Store.download).
type localBackend struct {
	blobBackend
	root  string    // absolute directory of the bucket
	dirty *unsynced // written since the last sync
	made  []string  // directories opening the bucket created, deepest first
	// syncFS makes paths durable: syncPaths, or a test's stand-in.
	syncFS func(ctx context.Context, root string, paths []string) error
}

// close closes the bucket and removes the directories opening it created
// when they are still empty (plan only reads: it leaves no lake behind).
func (l *localBackend) close() error {
	err := l.blobBackend.close()
	for _, d := range l.made {
		if os.Remove(d) != nil {
			break
		}
	}
	return err
}

// missingDirs returns dir and its ancestors that do not exist, deepest
// first.
func missingDirs(dir string) []string {
	var out []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); !os.IsNotExist(err) {
			return out
		}
		out = append(out, d)
		if filepath.Dir(d) == d {
			return out
		}
	}
}

// lakeFileMode is the mode of data files on file:// (temp files are
// created 0600; a lake is read by other users and services too).
const lakeFileMode = 0o644

func newLocalBackend(b blobBackend, root string) *localBackend {
	return &localBackend{blobBackend: b, root: root, dirty: &unsynced{}, syncFS: syncPaths}
}

// path is the file of a key.
func (l *localBackend) path(key string) string { return filepath.Join(l.root, filepath.FromSlash(key)) }

func (l *localBackend) put(ctx context.Context, key string, body *io.SectionReader, _ attrs) error {
	path := l.path(key)
	if err := renameFromTemp(ctx, path, body); err != nil {
		return err
	}
	l.dirty.add(path, filepath.Dir(path))
	return nil
}

// putFile renames f to the key's path when both are on one file system,
// and copies it (put) otherwise.
func (l *localBackend) putFile(ctx context.Context, key string, f *os.File, size int64, a attrs) (bool, error) {
	path := l.path(key)
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return false, err
	}
	if f.Chmod(lakeFileMode) == nil {
		if err := syncBeforeRename(f, path); err != nil {
			return false, err
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if os.Rename(f.Name(), path) == nil {
			l.dirty.add(path, dir)
			return true, nil
		}
		// Another file system (EXDEV), or Windows with f open: copy.
	}
	return false, l.put(ctx, key, io.NewSectionReader(f, 0, size), a)
}

// renameFromTemp puts body at path with a rename from a dot-named temp
// file in the same directory.
func renameFromTemp(ctx context.Context, path string, body *io.SectionReader) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = body.Seek(0, io.SeekStart); err == nil {
		_, err = io.Copy(tmp, body)
	}
	if err == nil {
		err = tmp.Chmod(lakeFileMode)
	}
	if err == nil {
		err = syncBeforeRename(tmp, path)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err = ctx.Err(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// syncBeforeRename syncs f's content when it is about to replace the file
// at path: that file may be one a committed state names. A new file is
// left to sync (see localBackend).
func syncBeforeRename(f *os.File, path string) error {
	if _, err := os.Lstat(path); err != nil {
		return nil // nothing there to replace
	}
	return f.Sync()
}

// create writes a synced temp file and links it to the key's path.
func (l *localBackend) create(ctx context.Context, key string, body []byte, _ string) (err error) {
	path := l.path(key)
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%w: %s", errExists, path)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if err := writeSynced(tmp, body); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err = os.Link(tmp.Name(), path)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%w: %s", errExists, path)
	default:
		// No hard links on this file system (some FUSE and network
		// mounts): fall back to O_EXCL on the final name. Still exclusive,
		// but a reader racing the write could see a short file.
		if err := createExcl(path, body); err != nil {
			return err
		}
	}
	syncDir(dir)
	return nil
}

func createExcl(path string, body []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %s", errExists, path)
	}
	if err != nil {
		return err
	}
	if err := writeSynced(f, body); err != nil {
		_ = os.Remove(path)
		return err
	}
	return nil
}

// writeSynced writes body to f, syncs and closes it.
func writeSynced(f *os.File, body []byte) error {
	_, err := f.Write(body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes a new directory entry durable (best effort).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// deleteIf moves the file aside (atomic), compares it, and puts it back
// when it is not want, so two runs taking over the same lease cannot
// delete each other's.
func (l *localBackend) deleteIf(_ context.Context, key string, want []byte) (bool, error) {
	path := l.path(key)
	aside := fmt.Sprintf("%s.takeover-%d-%x", path, os.Getpid(), rand.Uint64())
	if err := os.Rename(path, aside); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return true, nil // gone already: the create decides
		}
		return false, err
	}
	defer os.Remove(aside)
	if got, err := os.ReadFile(aside); err == nil && bytes.Equal(got, want) {
		return true, nil
	}
	// Another run's: put it back (unless an even newer one is there).
	if err := os.Link(aside, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return false, err
	}
	return false, nil
}

// sync makes every file and directory written before the call durable:
// on Linux with one syncfs(2) of the file system holding the root,
// elsewhere with an fsync of each path written since the last sync.
//
// Syncs are group commits. One runs at a time and covers every write made
// before it started; a caller that waited for it while it ran returns
// without syncing again when its own writes were among them (the
// generation it saw at its call is covered). A run of many accounts, each
// syncing before its state commit, thus issues about one syncfs per batch
// of accounts finishing together rather than one per account, each
// waiting for the previous one (100 accounts: 179 syncfs calls for 12 s
// in a row before).
//
// Durability: every data file is written to a temp file and renamed into
// place; the state that names it is written (create: synced file, synced
// directory) only after the sync covering that rename returned. A crash
// before it leaves at worst an empty or missing new file that no committed
// state names (Store.download treats an empty file as absent); a file that
// replaces one a committed state names is synced before its rename
// (syncBeforeRename), so that name never points at data not on disk.
// syncfs flushes the file system's dirty data of other processes too, so
// its duration grows with what they wrote (1.6 GB dirty by another
// process: 0.95 s instead of 0.03 s); an fsync of each of a 2-year run's
// 736 files and its directories instead costs 1.1 s (0.2 s with 8 in
// parallel, for 0.7 s of CPU) even on a quiet disk.
func (l *localBackend) sync(ctx context.Context) error {
	return l.syncUpTo(ctx, l.dirty.generation())
}

// syncUpTo makes the adds up to generation want durable.
func (l *localBackend) syncUpTo(ctx context.Context, want uint64) error {
	l.dirty.syncing.Lock()
	defer l.dirty.syncing.Unlock()
	if l.dirty.failed != nil {
		// A writeback error is reported once; the pages it lost are clean
		// in memory since, so no later sync can vouch for them.
		return l.dirty.failed
	}
	if l.dirty.covered(want) {
		return nil // a sync that started after our writes made them durable
	}
	paths, gen := l.dirty.take()
	if len(paths) == 0 {
		return nil
	}
	l.dirty.syncs++
	if err := l.syncFS(ctx, l.root, paths); err != nil {
		l.dirty.add(paths...) // still not known to be durable
		if ctx.Err() == nil { // a sync cut short is no writeback error
			l.dirty.failed = fmt.Errorf("an earlier sync of the lake failed, data written before it may not be on disk: %w", err)
		}
		return err
	}
	l.dirty.synced(gen)
	return nil
}

// unsynced lists the files and directories written since the last sync.
// Generations number the adds: a sync that took the list at generation g
// made every add up to g durable.
type unsynced struct {
	syncing sync.Mutex // held through a whole sync
	syncs   int        // syncs run (guarded by syncing)
	failed  error      // the first sync error: every later sync returns it (guarded by syncing)
	mu      sync.Mutex // guards the fields below
	paths   map[string]struct{}
	gen     uint64 // adds so far
	durable uint64 // adds made durable by a sync
}

func (u *unsynced) add(paths ...string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.paths == nil {
		u.paths = map[string]struct{}{}
	}
	for _, p := range paths {
		u.paths[p] = struct{}{}
	}
	u.gen++
}

// generation is the number of adds so far.
func (u *unsynced) generation() uint64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.gen
}

// covered reports whether the adds up to generation g are durable.
func (u *unsynced) covered(g uint64) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.durable >= g
}

// synced records that the adds up to generation g are durable.
func (u *unsynced) synced(g uint64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.durable = max(u.durable, g)
}

// take empties the list and returns what it held and the generation it
// was taken at.
func (u *unsynced) take() ([]string, uint64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]string, 0, len(u.paths))
	for p := range u.paths {
		out = append(out, p)
	}
	u.paths = nil
	return out, u.gen
}

// delete removes the file at key, then its directories up to the bucket
// root as long as they are empty (a lake whose old-layout files are gone
// keeps no empty dt= directories for globs to walk).
func (l *localBackend) delete(ctx context.Context, key string) error {
	if err := l.blobBackend.delete(ctx, key); err != nil {
		return err
	}
	for dir := filepath.Dir(l.path(key)); dir != l.root && strings.HasPrefix(dir, l.root+string(filepath.Separator)); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			break
		}
	}
	return nil
}
