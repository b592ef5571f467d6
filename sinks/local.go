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

// localBackend is the backend of file:// stores. It lists and deletes
// through fileblob (the embedded blobBackend, opened on root with
// metadata=skip and no_tmp_dir), and reads and writes on the local file
// system itself:
//
//   - reads open the file with one open (readSmall; open returns the file
//     itself for a merge, on Unix), not fileblob's stat, .attrs probe and
//     poller checks;
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
//     lost before that sync, the empty file or Parquet prefix it can leave
//     is taken as absent by the next run's merge (Store.download, cutShort);
//   - system calls per file are few (a first run: ~10 per data file, of
//     which one open, write, fchmod, close of the temp file, one open of
//     the object to merge with (ENOENT), one mkdir of its new directory,
//     one renameat2, one stat of the lease): directories are created once
//     per run (dirCache, inDir), files opened without the os package's
//     poller checks (osfile_unix.go), renames are not preceded by a stat
//     (placeAt).
type localBackend struct {
	blobBackend
	root  string    // absolute directory of the bucket
	dirty *unsynced // written since the last sync
	dirs  *dirCache // directories known to exist
	made  []string  // directories opening the bucket created, deepest first
	// rootDir is the root, opened with the backend (Linux; nil elsewhere):
	// syncfs reports the writeback errors since its descriptor was opened,
	// so a descriptor opened at each sync missed an error that happened
	// before, once anyone had seen it (another run's syncfs on the file
	// system), and the state was committed over the lost pages.
	rootDir *os.File
	// syncFS makes paths durable: syncPaths, or a test's stand-in.
	syncFS func(ctx context.Context, root *os.File, paths []string) error
	// syncDir makes the entries of a directory durable: syncDir, or a
	// test's stand-in.
	syncDir func(dir string) error
}

// close closes the bucket and removes the directories opening it created
// when they are still empty (plan only reads: it leaves no lake behind).
func (l *localBackend) close() error {
	err := l.blobBackend.close()
	l.closeRoot()
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

func newLocalBackend(b blobBackend, root string) (*localBackend, error) {
	d, err := openSyncRoot(root)
	if err != nil {
		return nil, err
	}
	return &localBackend{blobBackend: b, root: root, dirty: &unsynced{}, dirs: &dirCache{}, rootDir: d, syncFS: syncPaths, syncDir: syncDir}, nil
}

// closeRoot closes rootDir.
func (l *localBackend) closeRoot() {
	if l.rootDir != nil {
		_ = l.rootDir.Close()
		l.rootDir = nil
	}
}

// path is the file of a key.
func (l *localBackend) path(key string) string { return filepath.Join(l.root, filepath.FromSlash(key)) }

// read reads the file of key with one open (readSmall), not through
// fileblob (a stat, an open of its .attrs sidecar, the poller checks): a
// run reads its lease before every data file it writes (Lease.Check).
func (l *localBackend) read(_ context.Context, key string) ([]byte, error) {
	return readSmall(l.path(key))
}

// open returns the file of key itself, opened for reading, where a rename
// over it leaves the open file intact (Unix); download then merges from it
// without copying it to a temp file. Elsewhere it reads through fileblob.
func (l *localBackend) open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	if !renameOverOpen {
		return l.blobBackend.open(ctx, key)
	}
	f, err := openRead(l.path(key))
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	switch {
	case err != nil:
		_ = f.Close()
		return nil, 0, err
	case st.IsDir():
		_ = f.Close()
		return nil, 0, &fs.PathError{Op: "open", Path: f.Name(), Err: fs.ErrNotExist}
	}
	return f, st.Size(), nil
}

func (l *localBackend) put(ctx context.Context, key string, body *io.SectionReader, _ attrs) error {
	path := l.path(key)
	if err := l.renameFromTemp(ctx, path, body); err != nil {
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
	if f.Chmod(lakeFileMode) == nil {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		err := l.inDir(dir, func() error { return placeAt(f, path, a.replaces) })
		if err == nil {
			l.dirty.add(path, dir)
			return true, nil
		}
		if _, rename := errors.AsType[*os.LinkError](err); !rename {
			return false, err
		}
		// Another file system (EXDEV), or Windows with f open: copy.
	}
	return false, l.put(ctx, key, io.NewSectionReader(f, 0, size), a)
}

// renameFromTemp puts body at path with a rename from a dot-named temp
// file in the same directory.
func (l *localBackend) renameFromTemp(ctx context.Context, path string, body *io.SectionReader) (err error) {
	tmp, err := l.createTempIn(filepath.Dir(path), "."+filepath.Base(path)+".", ".tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
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
		err = ctx.Err()
	}
	if err != nil {
		return err
	}
	if !renameOverOpen {
		// Windows renames no open file: sync if needed, close, rename.
		if err = syncBeforeRename(tmp, path); err == nil {
			err = tmp.Close()
		}
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
		return err
	}
	// The directory holds tmp: no one removes it as empty meanwhile.
	if err = placeAt(tmp, path, false); err != nil {
		return err
	}
	return tmp.Close()
}

// createTempIn is createTemp in a directory of the lake, created when
// missing (inDir).
func (l *localBackend) createTempIn(dir, prefix, suffix string) (f *os.File, err error) {
	err = l.inDir(dir, func() (err error) {
		f, err = createTemp(dir, prefix, suffix)
		return err
	})
	return f, err
}

// inDir runs write, which creates a file in dir, creating dir as needed
// with as few calls as it can: no stat, and no mkdir for a directory the
// cache knows or one that turns out to exist (write is tried first; only
// when it fails with ENOENT are the missing directories created, deepest
// first, and write tried again); mkdir at once, top down, for directories
// under one this backend created (they cannot exist yet). A first run
// thus pays about one mkdir per new directory, a re-run none.
func (l *localBackend) inDir(dir string, write func() error) error {
	if missing := l.dirs.under(dir); missing != nil {
		for i := len(missing) - 1; i >= 0; i-- {
			if err := l.mkdir(missing[i]); err != nil {
				break // the cache was wrong: write and the ENOENT path decide
			}
		}
	}
	err := write()
	if errors.Is(err, fs.ErrNotExist) {
		l.dirs.forget(dir)
		if err := l.ensureDir(dir); err != nil {
			return err
		}
		err = write()
	}
	if err == nil {
		l.dirs.add(dir, false)
	}
	return err
}

// placeAt renames the temp file f to path (f stays open). A file already
// at path may be one a committed state names, so f is synced before it
// replaces it; a new name is left to sync (see localBackend). On Linux one
// renameat2(RENAME_NOREPLACE) both checks and renames, unless replacing
// says a file is most likely there: then f is synced and renamed.
func placeAt(f *os.File, path string, replacing bool) error {
	if replacing {
		if err := f.Sync(); err != nil {
			return err
		}
		return rename(f.Name(), path)
	}
	err := renameNoReplace(f.Name(), path)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrExist):
		if err := f.Sync(); err != nil {
			return err
		}
	case errors.Is(err, errors.ErrUnsupported):
		if err := syncBeforeRename(f, path); err != nil {
			return err
		}
	default:
		return err
	}
	return rename(f.Name(), path)
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

// ensureDir creates dir and its missing ancestors, deepest first: mkdir
// dir, and on ENOENT its parent first (the cache is not trusted here: it
// runs when a write found dir missing).
func (l *localBackend) ensureDir(dir string) error {
	err := l.mkdir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		parent := filepath.Dir(dir)
		if parent == dir {
			return err
		}
		l.dirs.forget(parent) // gone, whatever the cache says
		if err := l.ensureDir(parent); err != nil {
			return err
		}
		err = l.mkdir(dir)
	}
	return err
}

// mkdir creates dir (an existing one is fine) and records it in the
// cache, and a new directory's entry in its parent for the next sync.
func (l *localBackend) mkdir(dir string) error {
	err := os.Mkdir(dir, 0o777)
	switch {
	case err == nil:
		l.dirty.add(filepath.Dir(dir))
		l.dirs.add(dir, true)
	case errors.Is(err, fs.ErrExist):
		l.dirs.add(dir, false)
	default:
		return err
	}
	return nil
}

// dirCache is the set of directories a localBackend created or found
// existing, each marked whether it created it. It lives as long as the
// backend (one Open: one run), so it cannot carry a directory over from
// another run; a directory removed during the run (another process
// pruning an empty partition directory) makes the next write into it fail
// with ENOENT, which forgets it and creates it again (inDir).
type dirCache struct {
	mu    sync.Mutex
	known map[string]bool // directory → created by this backend
}

func (c *dirCache) has(dir string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.known[dir]
	return ok
}

func (c *dirCache) add(dir string, made bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.known == nil {
		c.known = map[string]bool{}
	}
	c.known[dir] = c.known[dir] || made
}

// under returns dir and its ancestors below the nearest directory the
// cache knows, deepest first, when that directory is one the backend
// created (so none of them can exist yet); nil otherwise.
func (c *dirCache) under(dir string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var missing []string
	for d := dir; ; {
		if made, ok := c.known[d]; ok {
			if !made || len(missing) == 0 {
				return nil
			}
			return missing
		}
		missing = append(missing, d)
		p := filepath.Dir(d)
		if p == d {
			return nil
		}
		d = p
	}
}

// forget drops dir and every directory under it.
func (c *dirCache) forget(dir string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	under := dir + string(filepath.Separator)
	for d := range c.known {
		if d == dir || strings.HasPrefix(d, under) {
			delete(c.known, d)
		}
	}
}

// create writes a synced temp file and links it to the key's path.
func (l *localBackend) create(ctx context.Context, key string, body []byte, _ string) (err error) {
	path := l.path(key)
	dir := filepath.Dir(path)
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%w: %s", errExists, path)
	}
	// The directory holds tmp until the link: no one removes it as empty.
	tmp, err := l.createTempIn(dir, "."+filepath.Base(path)+".", ".tmp")
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
	// The state names data a run deletes the old copies of once it is
	// committed: an entry that may not be on disk is no commit.
	if err := l.syncDir(dir); err != nil {
		return fmt.Errorf("sync directory %s after creating %s: %w", dir, filepath.Base(path), err)
	}
	return nil
}

func createExcl(path string, body []byte) error {
	f, err := createExclusive(path, 0o666)
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
	if got, err := readSmall(aside); err == nil && bytes.Equal(got, want) {
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
// before it leaves at worst a missing, empty or cut short new file that no
// committed state names (the merge takes an empty file or a prefix of a
// Parquet file as absent: Store.download, cutShort); a file that
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
	if err := l.syncFS(ctx, l.rootDir, paths); err != nil {
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
		l.dirs.forget(dir)
	}
	return nil
}

// stamper is a backend that can tell cheaply whether a file is still the
// one it read (file:// on Linux): Lease.Check stats lock.json instead of
// reading it.
type stamper interface {
	// readPinned reads the file of key and returns it, still open, with
	// its stamp.
	readPinned(key string) ([]byte, *pinned, error)
	// stamp returns the stamp of the file of key.
	stamp(key string) (fileStamp, error)
}

// pinned is a file kept open, and its stamp when it was read. While it is
// open its inode cannot be reused: a stamp with its device and inode is
// this file.
type pinned struct {
	f     *os.File
	stamp fileStamp
}

// close closes the file; nil is allowed.
func (p *pinned) close() {
	if p != nil {
		_ = p.f.Close()
	}
}

// fileStamp identifies one version of a file: the device and inode (the
// file), its size and modification and change times (nanoseconds; a write
// changes them).
type fileStamp struct {
	dev, ino     uint64
	size         int64
	mtime, ctime int64
}
