package sinks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/s3blob"
	"gocloud.dev/gcerrors"
)

// fileDefaults are the query parameters OpenBucket adds to file:// URLs
// unless the URL already sets them: create the root directory, write no
// .attrs sidecars into the lake, and keep temp files next to their target so
// the final rename never crosses a file system.
var fileDefaults = [][2]string{
	{"create_dir", "1"},
	{"metadata", "skip"},
	{"no_tmp_dir", "1"},
}

// OpenBucket opens a gocloud.dev/blob bucket URL with the drivers the
// program registered (see Schemes). file:// URLs get create_dir=1,
// metadata=skip and no_tmp_dir=1 unless they set those parameters
// themselves; file URLs must be file:///absolute/dir or
// file://./relative/dir. Errors name the URL with secrets (password,
// token, key, signature… query values) redacted.
func OpenBucket(ctx context.Context, rawURL string) (*blob.Bucket, error) {
	be, err := openBackend(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	if l, ok := be.(*localBackend); ok {
		l.closeRoot() // only the bucket is kept
	}
	return be.bucket(), nil
}

// openBackend opens the backend of a bucket URL: a localBackend for
// file://, fileblob underneath (opened here, so file:// needs no driver
// registered), and a retrying blobBackend for every other scheme. s3://
// URLs are opened by sinks' own opener (s3.go), the others by the drivers
// the program registered.
func openBackend(ctx context.Context, rawURL string) (backend, error) {
	shown := RedactURL(rawURL)
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: not a valid URL", shown)
	}
	var (
		b    *blob.Bucket
		root string
		made []string
	)
	switch u.Scheme {
	case "":
		return nil, fmt.Errorf("open bucket %s: missing scheme (one of %s)", shown, strings.Join(Schemes(), ", "))
	case fileblob.Scheme:
		root, err = fileRoot(u)
		if err != nil {
			return nil, fmt.Errorf("open bucket %s: %w", shown, err)
		}
		q := u.Query()
		for _, kv := range fileDefaults {
			if _, ok := q[kv[0]]; !ok {
				q.Set(kv[0], kv[1])
			}
		}
		u.RawQuery = q.Encode()
		made = missingDirs(root)
		b, err = (&fileblob.URLOpener{}).OpenBucketURL(ctx, u)
	case s3blob.Scheme:
		var mux blob.URLMux // blob's prefix and key parameters, then s3Opener
		mux.RegisterBucket(s3blob.Scheme, s3Opener{})
		b, err = mux.OpenBucket(ctx, u.String())
	default:
		b, err = blob.OpenBucket(ctx, u.String())
	}
	if err != nil {
		msg := scrub(err.Error(), rawURL, u.String())
		if !strings.HasPrefix(msg, "open bucket ") {
			msg = "open bucket " + shown + ": " + msg
		}
		return nil, &redactedError{msg: msg, err: err}
	}
	if root != "" {
		l, err := newLocalBackend(blobBackend{b}, root)
		if err != nil {
			_ = b.Close()
			return nil, fmt.Errorf("open bucket %s: %w", shown, err)
		}
		l.made = made
		for _, d := range made {
			l.dirty.add(filepath.Dir(d)) // its entry, for the next sync
		}
		l.dirs.add(root, len(made) > 0) // opening it created it: empty
		return l, nil
	}
	return withRetry(blobBackend{b}), nil
}

// Schemes returns, sorted, the bucket URL schemes this program can open:
// file:// and s3://, which sinks handles itself (its fileblob and s3blob
// imports register the schemes), and those whose gocloud.dev/blob driver
// the program registered. Other drivers are registered by blank imports in
// the main package (cmd/igexport/drivers.go), not by this library.
func Schemes() []string { return blob.DefaultURLMux().BucketSchemes() }

// fileRoot returns the absolute directory fileblob will use for u, and
// rejects file://name/… URLs, which fileblob would silently map to the
// current directory.
func fileRoot(u *url.URL) (string, error) {
	p := u.Path
	switch u.Host {
	case "", "localhost":
	case ".":
		p = strings.TrimPrefix(p, "/")
	default:
		return "", fmt.Errorf("file URL host %q not supported: use file:///absolute/dir or file://./relative/dir", u.Host)
	}
	if p == "" {
		return "", errors.New("file URL has no directory: use file:///absolute/dir or file://./relative/dir")
	}
	return filepath.Abs(filepath.FromSlash(p))
}

// secretParam matches query parameter names whose values RedactURL hides.
var secretParam = regexp.MustCompile(`(?i)secret|token|key|sig|pass|credential|sas|auth|private`)

// RedactURL returns rawURL with any password and the values of secret-looking
// query parameters replaced by REDACTED, for error messages and logs.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "<unparsable URL>"
	}
	changed := false
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "REDACTED")
		changed = true
	}
	q := u.Query()
	for k := range q {
		if secretParam.MatchString(k) {
			q[k] = []string{"REDACTED"}
			changed = true
		}
	}
	if !changed {
		return rawURL
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// scrub removes the raw URLs, and every secret value they carry, from msg.
func scrub(msg string, raws ...string) string {
	for _, raw := range raws {
		if raw == "" {
			continue
		}
		msg = strings.ReplaceAll(msg, raw, RedactURL(raw))
		u, err := url.Parse(raw)
		if err != nil {
			continue
		}
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "REDACTED")
		}
		for k, vs := range u.Query() {
			if !secretParam.MatchString(k) {
				continue
			}
			for _, v := range vs {
				if v != "" {
					msg = strings.ReplaceAll(msg, v, "REDACTED")
					msg = strings.ReplaceAll(msg, url.QueryEscape(v), "REDACTED")
				}
			}
		}
	}
	return msg
}

// redactedError carries a scrubbed message but unwraps to the original error
// so gcerrors.Code and errors.Is keep working.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Store is a bucket plus a key prefix. Every key given to a Store method is
// relative to the prefix; FileInfo.Key is the full key in the bucket. A Store
// is safe for concurrent use.
type Store struct {
	be       backend // shared by copies (Sub, WithClock)
	prefix   string  // normalised: no leading or trailing slash, may be ""
	shownURL string  // redacted, for messages
	owner    bool    // Close closes the bucket
	now      func() time.Time
}

// Open opens the bucket at rawURL (see OpenBucket) and returns a Store that
// puts every key under prefix. The prefix is normalised: leading, trailing and
// doubled slashes are dropped; "." and ".." segments and control characters
// are rejected.
func Open(ctx context.Context, rawURL, prefix string) (*Store, error) {
	p, err := normPrefix(prefix)
	if err != nil {
		return nil, err
	}
	be, err := openBackend(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	return &Store{be: be, prefix: p, shownURL: RedactURL(rawURL), owner: true, now: time.Now}, nil
}

// NewStore wraps an already open bucket. Close does not close it. Exclusive
// creates use the bucket's IfNotExist, so do not use NewStore for a fileblob
// bucket shared by several writers: Open file:// URLs instead.
func NewStore(b *blob.Bucket, prefix string) (*Store, error) {
	p, err := normPrefix(prefix)
	if err != nil {
		return nil, err
	}
	return &Store{be: withRetry(blobBackend{b}), prefix: p, shownURL: "bucket", now: time.Now}, nil
}

// Sub returns a Store on the same bucket whose prefix is s's prefix joined
// with sub (for example the default state store, dest.Sub("_igexport")).
// Closing it does not close the bucket.
func (s *Store) Sub(sub string) (*Store, error) {
	p, err := normPrefix(joinKey(s.prefix, sub))
	if err != nil {
		return nil, err
	}
	c := *s
	c.prefix, c.owner = p, false
	return &c, nil
}

// WithClock returns a Store sharing s's bucket that reads the time from now
// (lease expiry, CommittedAt defaults). For tests. Closing it does not close
// the bucket.
func (s *Store) WithClock(now func() time.Time) *Store {
	c := *s
	c.now, c.owner = now, false
	return &c
}

// Close closes the bucket if the Store opened it.
func (s *Store) Close() error {
	if !s.owner {
		return nil
	}
	return s.be.close()
}

// Sync makes every data file written through s (or a Store sharing its
// bucket) since the last Sync durable. Call it before committing a state
// that names those files. It does nothing for object stores, where a write
// is durable when it returns; on file:// see localBackend.
func (s *Store) Sync(ctx context.Context) error {
	if err := s.be.sync(ctx); err != nil {
		return fmt.Errorf("sync %s: %w", s, err)
	}
	return nil
}

// Bucket returns the underlying bucket.
func (s *Store) Bucket() *blob.Bucket { return s.be.bucket() }

// Prefix returns the normalised key prefix ("" for none).
func (s *Store) Prefix() string { return s.prefix }

// String returns the redacted URL and the prefix, for messages.
func (s *Store) String() string {
	if s.prefix == "" {
		return s.shownURL
	}
	return s.shownURL + " prefix " + s.prefix
}

// FullKey returns the bucket key of a key relative to the Store's prefix.
func (s *Store) FullKey(rel string) string { return joinKey(s.prefix, rel) }

func joinKey(prefix, rel string) string {
	rel = strings.TrimLeft(rel, "/")
	switch {
	case prefix == "":
		return rel
	case rel == "":
		return prefix
	}
	return prefix + "/" + rel
}

// normPrefix normalises a key prefix.
func normPrefix(p string) (string, error) {
	var segs []string
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "":
			continue
		case ".", "..":
			return "", fmt.Errorf("key prefix %q: %q segments are not allowed", p, seg)
		}
		if strings.ContainsFunc(seg, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
			return "", fmt.Errorf("key prefix %q: control characters and backslashes are not allowed", p)
		}
		segs = append(segs, seg)
	}
	return strings.Join(segs, "/"), nil
}

// checkRel validates a key relative to the Store.
func checkRel(rel string) error {
	if rel == "" || strings.HasPrefix(rel, "/") || strings.HasSuffix(rel, "/") || strings.Contains(rel, "//") {
		return fmt.Errorf("invalid key %q", rel)
	}
	if _, err := normPrefix(rel); err != nil {
		return fmt.Errorf("invalid key %q", rel)
	}
	return nil
}

// isNotFound reports whether err is a blob "not found" (or, from the
// file:// backend's own reads, a missing file).
func isNotFound(err error) bool {
	return gcerrors.Code(err) == gcerrors.NotFound || errors.Is(err, fs.ErrNotExist)
}

// isExists reports whether err means a conditional create found the object
// already there (or, on S3, lost a concurrent conditional write: 409
// ConditionalRequestConflict).
func isExists(err error) bool {
	switch gcerrors.Code(err) {
	case gcerrors.FailedPrecondition, gcerrors.AlreadyExists:
		return true
	}
	return errors.Is(err, errExists) || strings.Contains(err.Error(), "ConditionalRequestConflict")
}

// errExists is matched by the error of backend.create when the key
// already exists.
var errExists = errors.New("object already exists")
