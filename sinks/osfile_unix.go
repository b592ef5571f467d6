//go:build unix

package sinks

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// The file opens of a commit, without the os package's poller checks:
// os.OpenFile (and os.CreateTemp, os.Open, os.ReadFile) try to register
// every file with the network poller, which costs four fcntl calls and an
// epoll_ctl that fails for regular files; os.NewFile of a descriptor from
// syscall.Open costs one fcntl. A run opens a few files per data file it
// writes (the partition's temp file, the lease it checks, the file it
// merges with), so that was a fifth of its syscalls.

// openRaw opens name with flags (O_CLOEXEC added) and perm.
func openRaw(name string, flags int, perm uint32) (*os.File, error) {
	for {
		fd, err := syscall.Open(name, flags|syscall.O_CLOEXEC, perm)
		if err == nil {
			return os.NewFile(uintptr(fd), name), nil
		}
		if err == syscall.EINTR {
			continue
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
}

// openRead opens name for reading.
func openRead(name string) (*os.File, error) { return openRaw(name, syscall.O_RDONLY, 0) }

// createExclusive creates name, which must not exist, for reading and
// writing with mode perm (before the umask).
func createExclusive(name string, perm os.FileMode) (*os.File, error) {
	return openRaw(name, syscall.O_RDWR|syscall.O_CREAT|syscall.O_EXCL, uint32(perm.Perm()))
}

// readSmall returns the content of the file at name: one open, reads
// into a buffer grown as needed (lease and state files are a few hundred
// bytes: two reads), one close. A directory is reported as not existing,
// as fileblob does.
func readSmall(name string) ([]byte, error) {
	f, err := openRead(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(f)
}

// readAll is io.ReadAll with a first buffer of 4 KiB and no fstat.
func readAll(f *os.File) ([]byte, error) {
	buf := make([]byte, 0, 4096)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case errors.Is(err, io.EOF):
			return buf, nil
		case errors.Is(err, syscall.EISDIR):
			return nil, &fs.PathError{Op: "read", Path: f.Name(), Err: fs.ErrNotExist}
		case err != nil:
			return nil, err
		}
	}
}

// renameOverOpen: a file can be renamed, or replaced by a rename, while
// it is open.
const renameOverOpen = true

// rename is os.Rename without its Lstat of newpath (it refuses to replace
// a directory; rename(2) does too, with EISDIR).
func rename(oldpath, newpath string) error {
	for {
		err := syscall.Rename(oldpath, newpath)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
		}
		return nil
	}
}
