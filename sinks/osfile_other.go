//go:build !unix

package sinks

import (
	"io/fs"
	"os"
)

// openRead opens name for reading.
func openRead(name string) (*os.File, error) { return os.Open(name) }

// createExclusive creates name, which must not exist, for reading and
// writing with mode perm (before the umask).
func createExclusive(name string, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
}

// readSmall returns the content of the file at name; a directory is
// reported as not existing, as fileblob does.
func readSmall(name string) ([]byte, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		if st, serr := os.Stat(name); serr == nil && st.IsDir() {
			return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
		}
		return nil, err
	}
	return b, nil
}

// renameOverOpen: a file can be renamed, or replaced by a rename, while
// it is open (not on Windows).
const renameOverOpen = false

// rename is os.Rename.
func rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
