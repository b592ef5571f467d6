package sinks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// The storage seam. A Store speaks to its bucket only through a backend,
// the handful of operations sinks needs (in the manner of restic's
// backend and go-cloud's driver.Bucket). Open picks the implementation by
// URL scheme:
//
//   - blobBackend: any gocloud.dev/blob bucket (s3://, gs://, azblob://,
//     mem://, …), wrapped in retrying;
//   - localBackend (local.go): file://, where the local file system gives
//     what fileblob does not: an atomic exclusive create, an exact
//     conditional delete, renames instead of copies, and durability batched
//     into one Sync.
//
// Keys given to a backend are full bucket keys.
type backend interface {
	// put replaces the object at key with body, whole: a reader sees the
	// old object or the new one, never a part of either.
	put(ctx context.Context, key string, body *io.SectionReader, a attrs) error
	// putFile is put for a finished local file f of size bytes. It reports
	// moved when f itself became the object: f's name is then the object's
	// and the caller must not remove it.
	putFile(ctx context.Context, key string, f *os.File, size int64, a attrs) (moved bool, err error)
	// create writes body at key only if no object is there; if one is, the
	// error matches errExists (isExists).
	create(ctx context.Context, key string, body []byte, contentType string) error
	// deleteIf deletes the object at key if it still holds want, and
	// reports whether it did (true too when nothing is there).
	deleteIf(ctx context.Context, key string, want []byte) (bool, error)
	// delete deletes the object at key; none there is not an error.
	delete(ctx context.Context, key string) error
	// read returns the object's content; a missing object is an error
	// isNotFound reports.
	read(ctx context.Context, key string) ([]byte, error)
	// open returns a reader of the object and its size; a missing object
	// is an error isNotFound reports.
	open(ctx context.Context, key string) (io.ReadCloser, int64, error)
	// list calls fn with every key under prefix in key order; with delim
	// "/", the keys below each next "/" come once, as a directory.
	list(ctx context.Context, prefix, delim string, fn func(key string, isDir bool) error) error
	// sync makes everything written so far durable.
	sync(ctx context.Context) error
	// bucket is the blob bucket the backend reads.
	bucket() *blob.Bucket
	close() error
}

// attrs are what a write records besides the bytes.
type attrs struct {
	contentType string
	metadata    map[string]string
	// replaces: the writer read an object at the key (a merge), so the
	// write most likely replaces it (file:// then syncs the file before
	// its rename without first trying a rename that refuses to replace).
	replaces bool
}

// bytesBody is body as put takes it.
func bytesBody(body []byte) *io.SectionReader {
	return io.NewSectionReader(bytes.NewReader(body), 0, int64(len(body)))
}

// blobBackend is a backend on a gocloud.dev/blob bucket. Conditional
// creates are the bucket's IfNotExist, checked by the server on S3, GCS and
// Azure (and under a lock by memblob).
type blobBackend struct{ b *blob.Bucket }

func (k blobBackend) bucket() *blob.Bucket { return k.b }
func (k blobBackend) close() error         { return k.b.Close() }

// sync does nothing: an object is durable when its write returns.
func (blobBackend) sync(context.Context) error { return nil }

func (k blobBackend) put(ctx context.Context, key string, body *io.SectionReader, a attrs) error {
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return k.b.Upload(ctx, key, body, &blob.WriterOptions{ContentType: a.contentType, Metadata: a.metadata})
}

func (k blobBackend) putFile(ctx context.Context, key string, f *os.File, size int64, a attrs) (bool, error) {
	return false, k.put(ctx, key, io.NewSectionReader(f, 0, size), a)
}

// create uses Upload, never a streaming Writer: azureblob's Writer panics
// when an IfNotExist write fails (reference/libraries.md §1.6).
func (k blobBackend) create(ctx context.Context, key string, body []byte, contentType string) error {
	err := k.b.Upload(ctx, key, bytes.NewReader(body), &blob.WriterOptions{ContentType: contentType, IfNotExist: true})
	if err != nil && isExists(err) {
		return fmt.Errorf("%w: %s", errExists, key)
	}
	return err
}

// deleteIf cannot check: object stores have no portable conditional
// delete, so the object is deleted as it is. Two runs racing to take over
// one expired lease may then both proceed; the create-only state
// generations still let only one of them commit.
func (k blobBackend) deleteIf(ctx context.Context, key string, _ []byte) (bool, error) {
	return true, k.delete(ctx, key)
}

func (k blobBackend) delete(ctx context.Context, key string) error {
	if err := k.b.Delete(ctx, key); err != nil && !isNotFound(err) {
		return err
	}
	return nil
}

func (k blobBackend) read(ctx context.Context, key string) ([]byte, error) {
	return k.b.ReadAll(ctx, key)
}

func (k blobBackend) open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	r, err := k.b.NewReader(ctx, key, nil)
	if err != nil {
		return nil, 0, err
	}
	return r, r.Size(), nil
}

func (k blobBackend) list(ctx context.Context, prefix, delim string, fn func(string, bool) error) error {
	it := k.b.List(&blob.ListOptions{Prefix: prefix, Delimiter: delim})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(obj.Key, obj.IsDir); err != nil {
			return err
		}
	}
}

// retrying is a backend whose replacing writes (put, putFile: data files,
// run summaries, lease renewals) are tried again after errors that another
// attempt may cure, waiting backoff, then
// four times as long, and so on. Only replacing writes: they are
// idempotent. A create is not retried (if its reply is lost, the retry
// would find its own object and report a concurrent run), nor are reads
// (the drivers' HTTP clients retry those themselves).
type retrying struct {
	backend
	attempts int
	backoff  time.Duration
	// sleep waits d or until ctx is done; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

// Upload retry of object stores: three attempts, 0.5 s then 2 s apart.
const (
	uploadAttempts = 3
	uploadBackoff  = 500 * time.Millisecond
)

func withRetry(be backend) *retrying {
	return &retrying{backend: be, attempts: uploadAttempts, backoff: uploadBackoff, sleep: sleepCtx}
}

func (r *retrying) put(ctx context.Context, key string, body *io.SectionReader, a attrs) error {
	return r.do(ctx, func() error { return r.backend.put(ctx, key, body, a) })
}

func (r *retrying) putFile(ctx context.Context, key string, f *os.File, size int64, a attrs) (moved bool, err error) {
	err = r.do(ctx, func() (err error) {
		moved, err = r.backend.putFile(ctx, key, f, size, a)
		return err
	})
	return moved, err
}

func (r *retrying) do(ctx context.Context, try func() error) error {
	delay := r.backoff
	for attempt := 1; ; attempt++ {
		err := try()
		if err == nil || attempt >= r.attempts || !retryable(ctx, err) {
			return err
		}
		if serr := r.sleep(ctx, delay); serr != nil {
			return errors.Join(err, serr)
		}
		delay *= 4
	}
}

// retryable reports whether another attempt may succeed.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	switch gcerrors.Code(err) {
	case gcerrors.InvalidArgument, gcerrors.PermissionDenied, gcerrors.FailedPrecondition,
		gcerrors.NotFound, gcerrors.Unimplemented, gcerrors.Canceled:
		return false
	}
	return true
}

// sleepCtx waits d, or returns ctx's error once it is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
