package sinks

import (
	"context"
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// syncPaths flushes the whole file system that holds root: one call, for
// any number of paths (all of them are under root).
func syncPaths(_ context.Context, root string, _ []string) error {
	d, err := os.Open(root)
	if err != nil {
		return err
	}
	defer d.Close()
	return unix.Syncfs(int(d.Fd()))
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
