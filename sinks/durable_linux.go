package sinks

import (
	"context"
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// openSyncRoot opens root for syncPaths, once per backend: syncfs reports
// the file system's writeback errors since the descriptor was opened.
func openSyncRoot(root string) (*os.File, error) { return openRead(root) }

// syncPaths flushes the whole file system that holds root: one call, for
// any number of paths (all of them are under root).
func syncPaths(_ context.Context, root *os.File, _ []string) error {
	return unix.Syncfs(int(root.Fd()))
}

// syncDir makes the entries of dir durable: an fsync of the directory.
func syncDir(dir string) error {
	d, err := openRead(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// renameNoReplace renames oldpath to newpath unless newpath exists
// (an error matching fs.ErrExist), in one renameat2(RENAME_NOREPLACE). A
// file system without the flag gives errors.ErrUnsupported.
func renameNoReplace(oldpath, newpath string) error {
	for {
		err := unix.Renameat2(unix.AT_FDCWD, oldpath, unix.AT_FDCWD, newpath, unix.RENAME_NOREPLACE)
		switch err {
		case nil:
			return nil
		case unix.EINTR:
			continue
		case unix.EINVAL, unix.ENOSYS:
			return errors.ErrUnsupported
		}
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
}

// stamp implements stamper: one stat.
func (l *localBackend) stamp(key string) (fileStamp, error) {
	var st unix.Stat_t
	if err := unix.Stat(l.path(key), &st); err != nil {
		return fileStamp{}, err
	}
	return stampOf(&st), nil
}

// readPinned implements stamper: the file is read and fstat'ed through
// one descriptor, left open.
func (l *localBackend) readPinned(key string) ([]byte, *pinned, error) {
	f, err := openRead(l.path(key))
	if err != nil {
		return nil, nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	b, err := readAll(f)
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	return b, &pinned{f: f, stamp: stampOf(&st)}, nil
}

func stampOf(st *unix.Stat_t) fileStamp {
	return fileStamp{dev: st.Dev, ino: st.Ino, size: st.Size, mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano()}
}
