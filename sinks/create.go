package sinks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"gocloud.dev/blob"
)

// createOnce writes body at the full key only if nothing is there yet, and
// returns an error matching errExists (isExists) if something is. Readers
// never see a partial object.
//
// On S3, GCS, Azure and mem:// this is the bucket's IfNotExist, checked by the
// server. fileblob's IfNotExist is a stat-then-rename race, so for file://
// buckets the local file system decides: the body goes to a synced temp file
// next to the target, then os.Link gives it its final name, which fails with
// EEXIST if the name is taken (link is atomic on every POSIX file system and
// on NTFS).
func (s *Store) createOnce(ctx context.Context, full string, body []byte, contentType string) error {
	if s.localRoot == "" {
		err := s.bucket.Upload(ctx, full, bytes.NewReader(body), &blob.WriterOptions{
			ContentType: contentType,
			IfNotExist:  true,
		})
		if err != nil && isExists(err) {
			return fmt.Errorf("%w: %s", errExists, full)
		}
		return err
	}
	return createLocal(ctx, filepath.Join(s.localRoot, filepath.FromSlash(full)), body)
}

// createLocal is the file:// side of createOnce.
func createLocal(ctx context.Context, path string, body []byte) (err error) {
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
	_, err = tmp.Write(body)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
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
		err = createExclDirect(path, body)
		if err != nil {
			return err
		}
	}
	syncDir(dir)
	return nil
}

func createExclDirect(path string, body []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %s", errExists, path)
	}
	if err != nil {
		return err
	}
	_, err = f.Write(body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
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
