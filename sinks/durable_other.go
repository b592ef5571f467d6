//go:build !linux

package sinks

import (
	"context"
	"errors"
	"os"
)

// syncPaths fsyncs each path (files and the directories they were renamed
// into). A directory that cannot be opened for syncing (Windows) is
// skipped, as syncDir does.
func syncPaths(ctx context.Context, _ *os.File, paths []string) error {
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			if os.IsNotExist(err) {
				continue // replaced or removed since
			}
			return err
		}
		st, serr := f.Stat()
		err = f.Sync()
		f.Close()
		if err != nil && (serr != nil || !st.IsDir()) {
			return err
		}
	}
	return nil
}

// syncDir makes the entries of dir durable, best effort: a directory may
// not open for syncing here (Windows).
func syncDir(dir string) error {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// openSyncRoot opens nothing: syncPaths syncs each path.
func openSyncRoot(string) (*os.File, error) { return nil, nil }

// renameNoReplace is not available here: the caller checks and renames.
func renameNoReplace(_, _ string) error { return errors.ErrUnsupported }
