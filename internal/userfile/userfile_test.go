//go:build unix

package userfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRead: regular files up to the limit are read; a FIFO (no writer, so
// reading it would block forever), /dev/zero (endless), a directory and a
// file over the limit are refused with a message saying what the path is.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Repeat("x", n)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		want       error  // nil: read
		msg        string // in the error
	}{
		{"small", write("small", 10), nil, ""},
		{"at the limit", write("exact", 1024), nil, ""},
		{"over the limit", write("big", 1025), ErrTooLarge, "larger than 1 KiB"},
		{"fifo", fifo, ErrNotRegular, "is a named pipe (FIFO), not a regular file"},
		{"dev zero", "/dev/zero", ErrNotRegular, "/dev/zero is a character device"},
		{"directory", dir, ErrNotRegular, "is a directory"},
		{"missing", filepath.Join(dir, "nope"), os.ErrNotExist, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan struct{})
			var b []byte
			var err error
			go func() { defer close(done); b, err = Read(tc.path, 1024) }()
			select {
			case <-done:
			case <-time.After(time.Minute): // a watchdog: Read answers at once or hangs
				t.Fatal("Read blocked")
			}
			switch {
			case tc.want == nil && (err != nil || len(b) == 0):
				t.Fatalf("Read = %d bytes, %v", len(b), err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("Read = %d bytes, %v; want %v", len(b), err, tc.want)
			case tc.want != nil && !strings.Contains(err.Error(), tc.msg):
				t.Errorf("error %q lacks %q", err, tc.msg)
			}
		})
	}
}
