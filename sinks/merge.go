package sinks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/parquet-go/parquet-go"

	"github.com/igexport/igexport/internal/schema"
)

// FileInfo describes one committed data file (it goes into the state).
type FileInfo struct {
	Key    string `json:"key"`    // full key in the bucket, prefix included
	Rows   int64  `json:"rows"`   // rows in the file
	Bytes  int64  `json:"bytes"`  // file size
	SHA256 string `json:"sha256"` // hex SHA-256 of the file
	// Kept: the file was already there with the same rows (FileOptions.
	// KeepUnchanged) and this run did not rewrite it.
	Kept bool `json:"kept,omitempty"`
}

// Commit finishes the partition and makes it visible at key (relative to s):
// rows of the file already at key whose Key() was not written here are
// appended after the new rows (new rows win, old-only rows are kept), so a
// re-run with the same rows gives the same file content. The file is
// uploaded whole (on object stores with up to three attempts: retrying) and
// replaces the old object in one PUT (on file://, one rename); a cancelled ctx leaves the previous object (or nothing) at key.
// The writer is spent afterwards, whether Commit succeeded or not, and its
// temp files are gone.
func (w *PartitionWriter[T]) Commit(ctx context.Context, s *Store, key string) (FileInfo, error) {
	return w.CommitGuarded(ctx, s, key, nil)
}

// CommitGuarded is Commit with guard called right before the file is
// written to key (after the merge, which reads the old object): an error
// from guard leaves key untouched and is returned. A run passes its lease
// check (Lease.Check), so a run that lost its lease uploads nothing more.
func (w *PartitionWriter[T]) CommitGuarded(ctx context.Context, s *Store, key string, guard func(context.Context) error) (fi FileInfo, err error) {
	if w.done {
		return FileInfo{}, errors.New("partition writer: commit after commit or abort")
	}
	full := s.FullKey(key)
	defer func() {
		if err != nil {
			err = fmt.Errorf("commit %s to %s: %w", full, s, err)
		}
	}()
	if w.err != nil {
		w.Abort()
		return FileInfo{}, w.err
	}
	if err := checkRel(key); err != nil {
		w.Abort()
		return FileInfo{}, err
	}
	w.done = true
	files := []*os.File{w.f.f} // temp files, removed at return
	defer func() {
		for _, f := range files {
			removeFile(f)
		}
		w.spent()
	}()
	if err := ctx.Err(); err != nil {
		_ = w.w.Close()
		return FileInfo{}, err
	}

	oldFile, oldTemp, oldSize, err := s.download(ctx, full, w.opts.tempDir())
	if err != nil {
		_ = w.w.Close()
		return FileInfo{}, err
	}
	var (
		old  oldObject       // what is read of the object at key, if any
		same map[rowKey]bool // KeepUnchanged: keys whose old row says what the new one says
	)
	if oldFile != nil {
		if oldTemp {
			files = append(files, oldFile)
		} else {
			defer oldFile.Close() // the object itself: read, never removed
		}
		if old, err = readOld(oldFile, oldSize); err != nil {
			_ = w.w.Close()
			return FileInfo{}, fmt.Errorf("read existing object: %w", err)
		}
		if !oldTemp && cutShort(old) {
			// The lake file (file://) is what a power loss left of a new
			// file not yet synced (see Store.download): no state names it.
			old = nil
		}
		if w.sums != nil && old != nil {
			if same, err = w.sameRows(old); err != nil {
				_ = w.w.Close()
				return FileInfo{}, fmt.Errorf("merge with the existing object (delete it to rewrite the partition from scratch): %w", err)
			}
			if len(same) == w.keys.keys() {
				// Every new row is there as it is: keep the object.
				_ = w.w.Close()
				size, sum, err := hashFile(old)
				if err != nil {
					return FileInfo{}, err
				}
				n, err := countRows(old)
				if err != nil {
					return FileInfo{}, err
				}
				return FileInfo{Key: full, Rows: n, Bytes: size, SHA256: sum, Kept: true}, nil
			}
		}
	}

	out, ow := w.f, w.w
	if w.n > int64(w.keys.keys()) || len(same) > 0 {
		// The same key was written more than once, or some new rows are
		// the old ones: keep each key's last row, and the old row where it
		// says the same (its fetched_at stays).
		if out, ow, err = w.dedupe(same); err != nil {
			return FileInfo{}, err
		}
		files = append(files, out.f)
	}

	rows := int64(w.keys.keys() - len(same))
	if old != nil {
		n, err := appendOldRows(old, ow, w.keys, same)
		if err != nil {
			_ = ow.Close()
			return FileInfo{}, fmt.Errorf("merge with the existing object (delete it to rewrite the partition from scratch): %w", err)
		}
		rows += n
	}
	if err := ow.Close(); err != nil {
		return FileInfo{}, err
	}
	size, sum := out.n, out.sum()
	if guard != nil {
		if err := guard(ctx); err != nil {
			return FileInfo{}, err
		}
	}
	moved, err := s.be.putFile(ctx, full, out.f, size, attrs{
		contentType: ContentTypeParquet,
		metadata:    map[string]string{"sha256": sum, "igexport-run-id": w.opts.RunID},
		replaces:    oldFile != nil,
	})
	if err != nil {
		return FileInfo{}, err
	}
	if moved {
		// Its temp name is the object's now: do not remove it.
		files = slices.DeleteFunc(files, func(f *os.File) bool { return f == out.f })
		_ = out.f.Close()
	}
	return FileInfo{Key: full, Rows: rows, Bytes: size, SHA256: sum}, nil
}

// dedupe closes the temp file of new rows and copies it to a new one,
// keeping only the last row written for each key, and none for the keys
// in same.
func (w *PartitionWriter[T]) dedupe(same map[rowKey]bool) (*tempOut, *parquet.GenericWriter[T], error) {
	if err := w.w.Close(); err != nil {
		return nil, nil, err
	}
	f, pw, err := w.newFile()
	if err != nil {
		return nil, nil, err
	}
	var i int64
	err = eachRow[T](w.f.f, func(batch []T) error {
		keep := batch[:0]
		for _, r := range batch {
			if w.keys.isLast(i) && !same[w.keys.rows[i]] {
				keep = append(keep, r)
			}
			i++
		}
		_, err := pw.Write(keep)
		return err
	})
	if err != nil {
		_ = pw.Close()
		removeFile(f.f)
		return nil, nil, err
	}
	return f, pw, nil
}

// appendOldRows copies the rows of the old file whose key is not in
// newKeys, or is in same.
func appendOldRows[T schema.Row](old io.ReaderAt, w *parquet.GenericWriter[T], newKeys *keyLog, same map[rowKey]bool) (int64, error) {
	var n int64
	err := eachRow[T](old, func(batch []T) error {
		keep := batch[:0]
		for _, r := range batch {
			k := newKeys.h.of(r.Key())
			if !newKeys.has(k) || same[k] {
				keep = append(keep, r)
			}
		}
		n += int64(len(keep))
		_, err := w.Write(keep)
		return err
	})
	return n, err
}

// sameRows returns the keys of the old file whose row has the digest of
// the last new row written with that key (FileOptions.KeepUnchanged).
func (w *PartitionWriter[T]) sameRows(old io.ReaderAt) (map[rowKey]bool, error) {
	same := map[rowKey]bool{}
	err := eachRow[T](old, func(batch []T) error {
		for i := range batch {
			k := w.keys.h.of(batch[i].Key())
			if sum, ok := w.sums[k]; ok && sum == w.dig.sum(&batch[i]) {
				same[k] = true
			}
		}
		return nil
	})
	return same, err
}

// countRows returns the number of rows of a Parquet file.
func countRows(f io.ReaderAt) (int64, error) {
	size, err := sizeOfReaderAt(f)
	if err != nil {
		return 0, err
	}
	pf, err := parquet.OpenFile(f, size)
	if err != nil {
		return 0, fmt.Errorf("not a readable Parquet file: %w", err)
	}
	return pf.NumRows(), nil
}

// eachRow streams the rows of a Parquet file in batches. The file's schema
// may differ from T's as long as parquet-go can convert it (additive schema
// evolution); fn must not keep the batch.
func eachRow[T any](r io.ReaderAt, fn func([]T) error) (err error) {
	size, err := sizeOfReaderAt(r)
	if err != nil {
		return err
	}
	pf, err := parquet.OpenFile(r, size)
	if err != nil {
		return fmt.Errorf("not a readable Parquet file: %w", err)
	}
	target := parquet.SchemaOf(*new(T))
	if !parquet.EqualNodes(target, pf.Schema()) {
		if _, err := parquet.Convert(target, pf.Schema()); err != nil {
			return fmt.Errorf("file schema does not convert to %s: %w", target.Name(), err)
		}
	}
	defer func() {
		// parquet-go panics on some malformed files; report them as errors.
		if p := recover(); p != nil {
			err = fmt.Errorf("reading Parquet rows: %v", p)
		}
	}()
	rd := parquet.NewGenericReader[T](pf)
	defer func() { _ = rd.Close() }()
	// Reads ask for no more rows than the footer says are left:
	// parquet-go tries every slot of the buffer past the last row again,
	// a page header decoded per column and slot (a one-row day file read
	// with a 1024-row buffer took ~20,000 allocations and 7 MB). The count
	// sizes the reads, it does not bound them: reading goes on to io.EOF.
	left := pf.NumRows()
	buf := make([]T, max(1, min(int64(readBatch), left)))
	for {
		want := buf[:max(1, min(int64(len(buf)), left))]
		clear(want)
		n, rerr := rd.Read(want)
		left -= int64(n)
		if n > 0 {
			if err := fn(want[:n]); err != nil {
				return err
			}
		}
		if errors.Is(rerr, io.EOF) {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

func sizeOfReaderAt(r io.ReaderAt) (int64, error) {
	switch v := r.(type) {
	case *os.File:
		st, err := v.Stat()
		if err != nil {
			return 0, err
		}
		return st.Size(), nil
	case interface{ Size() int64 }:
		return v.Size(), nil
	}
	return 0, errors.New("cannot tell the size of the Parquet input")
}

// ReadRows reads every row of the Parquet file at key (relative to s) into
// memory. For tests, `state show` and small files; Commit streams instead.
// An empty object has no rows: what a power loss can leave of a new file
// no committed state names (see Store.download).
func ReadRows[T schema.Row](ctx context.Context, s *Store, key string) ([]T, error) {
	full := s.FullKey(key)
	b, err := s.be.read(ctx, full)
	if err != nil {
		return nil, fmt.Errorf("read %s from %s: %w", full, s, err)
	}
	if len(b) == 0 {
		return nil, nil
	}
	var out []T
	err = eachRow[T](bytes.NewReader(b), func(batch []T) error {
		out = append(out, batch...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s from %s: %w", full, s, err)
	}
	return out, nil
}

// download returns the object at full key as a local file, or nil when
// there is none. On file:// (Unix) that is the object itself, opened for
// reading (temp is false: close it, never remove it; a rename over it
// leaves the open file as it was); elsewhere a temp file in dir holding a
// copy (temp is true).
func (s *Store) download(ctx context.Context, full, dir string) (f *os.File, temp bool, size int64, err error) {
	r, size, err := s.be.open(ctx, full)
	if isNotFound(err) {
		return nil, false, 0, nil
	}
	if err != nil {
		return nil, false, 0, fmt.Errorf("read existing object: %w", err)
	}
	if size == 0 {
		// Never a file igexport committed (each has at least a Parquet
		// footer): what a power loss can leave of a new file written just
		// before it, not yet synced nor named by any state. Nothing to keep.
		// (So is a prefix of a Parquet file on file://: Commit, cutShort.)
		_ = r.Close()
		return nil, false, 0, nil
	}
	if f, ok := r.(*os.File); ok {
		return f, false, size, nil
	}
	defer func() { _ = r.Close() }()
	f, err = createTemp(dir, "igexport-old-", ".parquet")
	if err != nil {
		return nil, false, 0, err
	}
	n, err := io.Copy(f, r)
	if err != nil {
		removeFile(f)
		return nil, false, 0, fmt.Errorf("read existing object: %w", err)
	}
	return f, true, n, nil
}

// mergeInMemory is the size up to which the object a commit merges with
// is read into memory with one read: Parquet readers read a file in many
// small pieces (footer, then each column chunk: ~20 reads for a small
// partition, twice with KeepUnchanged). Commits run under a bounded number
// of slots, so this bounds the memory it takes too.
const mergeInMemory = 256 << 10

// oldObject is the object a commit merges with: its file, or its bytes
// when it is small. Nil when there is none.
type oldObject interface {
	io.ReaderAt
	Size() int64
}

// readOld returns f of size bytes as an oldObject.
func readOld(f *os.File, size int64) (oldObject, error) {
	if size > mergeInMemory {
		return io.NewSectionReader(f, 0, size), nil
	}
	b := make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}

// cutShort reports whether o begins as a Parquet file does but does not
// end as one: a prefix of a Parquet file. A new file:// partition is renamed
// into place before the sync that precedes the state naming it, so a power
// loss can leave such a prefix (writeback had flushed part of it) as well
// as an empty file; anything else unreadable is not igexport's to replace.
func cutShort(o oldObject) bool {
	const magic = "PAR1"
	var head, tail [len(magic)]byte
	if o.Size() < 2*int64(len(magic)) {
		return false
	}
	if _, err := o.ReadAt(head[:], 0); err != nil || string(head[:]) != magic {
		return false
	}
	_, err := o.ReadAt(tail[:], o.Size()-int64(len(magic)))
	return err == nil && string(tail[:]) != magic
}

// hashFile returns the size and hex SHA-256 of f.
func hashFile(f io.ReaderAt) (int64, string, error) {
	h := sha256.New()
	n, err := io.Copy(h, io.NewSectionReader(f, 0, 1<<62))
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
