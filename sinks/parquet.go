package sinks

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math"
	"os"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"

	"github.com/igexport/igexport/internal/schema"
)

// Parquet settings of SPEC §3 that are not options.
const (
	// DefaultCompression is the codec used when FileOptions.Compression is "".
	DefaultCompression = "zstd"
	// DefaultRowGroupRows bounds row groups when FileOptions.RowGroupRows is 0.
	DefaultRowGroupRows = 2_000
	// ContentTypeParquet is the content type of every data file.
	ContentTypeParquet = "application/vnd.apache.parquet"

	pageBufferSize = 16 << 10
	// pageChunkSize is the allocation unit of the buffers that hold a
	// column's compressed pages until its row group is written out.
	// parquet-go's is 32 KB: every column of an open writer held at least
	// 32 KB, most of it empty (a row group's media_type or like_count
	// pages are a few hundred bytes), some 0.7 MB for a media writer.
	pageChunkSize = 4 << 10
	readBatch     = 1024
)

// Key/value metadata written to every file.
const (
	MetaStream        = "igexport.stream"
	MetaSchemaVersion = "igexport.schema_version"
	MetaRunID         = "igexport.run_id"
)

// Compressions lists the accepted FileOptions.Compression names.
func Compressions() []string { return []string{"zstd", "snappy", "gzip", "none"} }

// CheckCompression returns an error unless name is "" or one of Compressions.
func CheckCompression(name string) error {
	_, err := codecOf(name)
	return err
}

func codecOf(name string) (compress.Codec, error) {
	switch strings.ToLower(name) {
	case "", "zstd":
		return zstdFiles, nil
	case "snappy":
		return &parquet.Snappy, nil
	case "gzip":
		return &parquet.Gzip, nil
	case "none", "uncompressed":
		return &parquet.Uncompressed, nil
	}
	return nil, fmt.Errorf("unknown compression %q (want one of %s)", name, strings.Join(Compressions(), ", "))
}

// FileOptions configures a PartitionWriter.
type FileOptions struct {
	Stream       string // stream name (schema.Streams); must match the row type
	RunID        string // written as igexport.run_id
	Version      string // igexport version, written in created_by ("dev" when empty)
	Compression  string // zstd (default) | snappy | gzip | none
	RowGroupRows int    // rows per row group (default DefaultRowGroupRows)
	TempDir      string // local directory for temp files (default os.TempDir())
	// KeepUnchanged: a row that says what the row of the same key it
	// replaces says (all values but fetched_at, compared as Parquet
	// values) does not replace it, whether that row was written before or
	// is in the object at the key. When every row written is such a row,
	// Commit leaves the object as it is: nothing is uploaded and the
	// FileInfo says Kept. A re-read window that re-fetches what is
	// committed rewrites no file, and fetched_at tells when the values were
	// first seen.
	KeepUnchanged bool
}

// pageBuffers holds the compressed pages of the row groups being written,
// for every writer of the process (parquet-go's default pool, with
// pageChunkSize chunks).
var pageBuffers = parquet.NewChunkBufferPool(pageChunkSize)

// writerOptions returns the parquet-go options every igexport file is
// written with.
func (o FileOptions) writerOptions(codec compress.Codec) []parquet.WriterOption {
	version := o.Version
	if version == "" {
		version = "dev"
	}
	rg := o.RowGroupRows
	if rg <= 0 {
		rg = DefaultRowGroupRows
	}
	return []parquet.WriterOption{
		parquet.DataPageVersion(1),
		parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.Plain),
		parquet.Compression(codec),
		parquet.MaxRowsPerRowGroup(int64(rg)),
		parquet.PageBufferSize(pageBufferSize),
		parquet.ColumnPageBuffers(pageBuffers),
		parquet.CreatedBy("igexport", version, buildID()),
		parquet.KeyValueMetadata(MetaStream, o.Stream),
		parquet.KeyValueMetadata(MetaSchemaVersion, schema.Version),
		parquet.KeyValueMetadata(MetaRunID, o.RunID),
	}
}

func (o FileOptions) tempDir() string {
	if o.TempDir == "" {
		return os.TempDir()
	}
	return o.TempDir
}

// PartitionWriter collects the new rows of one partition file in a local
// temp file, as they come: memory holds only a digest of each key (rowKey)
// and the open row group. Commit merges them with the file already at the
// key and uploads the result. A PartitionWriter is not safe for concurrent
// use.
type PartitionWriter[T schema.Row] struct {
	opts  FileOptions
	codec compress.Codec
	f     *tempOut // the temp file of the rows written
	w     *parquet.GenericWriter[T]
	keys  *keyLog             // the key of each row written
	sums  map[rowKey][32]byte // KeepUnchanged: key → digest of its last row written
	dig   *digester[T]
	n     int64 // rows written, duplicates included
	err   error // sticky write error
	done  bool
}

// NewPartitionWriter starts a partition file for stream o.Stream, whose row
// type must be T.
func NewPartitionWriter[T schema.Row](o FileOptions) (*PartitionWriter[T], error) {
	info, ok := schema.Lookup(o.Stream)
	if !ok {
		return nil, fmt.Errorf("partition writer: unknown stream %q", o.Stream)
	}
	if want, got := reflect.TypeOf(info.Row), reflect.TypeFor[T](); want != got {
		return nil, fmt.Errorf("partition writer: stream %s has rows of type %v, not %v", o.Stream, want, got)
	}
	if o.RunID == "" {
		return nil, errors.New("partition writer: empty run id")
	}
	codec, err := codecOf(o.Compression)
	if err != nil {
		return nil, fmt.Errorf("partition writer: %w", err)
	}
	f, err := newTempOut(o)
	if err != nil {
		return nil, fmt.Errorf("partition writer: %w", err)
	}
	w := &PartitionWriter[T]{
		opts:  o,
		codec: codec,
		f:     f,
		w:     parquet.NewGenericWriter[T](f, o.writerOptions(codec)...),
		keys:  newKeyLog(),
	}
	if o.KeepUnchanged {
		w.sums, w.dig = make(map[rowKey][32]byte), newDigester[T]()
	}
	return w, nil
}

// Write appends rows. When a key is written twice, the later row wins.
func (w *PartitionWriter[T]) Write(rows ...T) error {
	switch {
	case w.done:
		return errors.New("partition writer: write after commit or abort")
	case w.err != nil:
		return w.err
	}
	if w.n+int64(len(rows)) > math.MaxInt32 {
		w.err = fmt.Errorf("partition writer: more than %d rows in one partition", math.MaxInt32)
		return w.err
	}
	if _, err := w.w.Write(rows); err != nil {
		w.err = fmt.Errorf("partition writer: %w", err)
		return w.err
	}
	for i, r := range rows {
		k := w.keys.add(r.Key())
		w.n++
		if w.sums != nil {
			// KeepUnchanged: a row that says what the one it replaces
			// says does not replace it (the first fetched_at stays).
			sum := w.dig.sum(&rows[i])
			if prev, ok := w.sums[k]; ok && prev == sum {
				w.keys.ignore()
				continue
			}
			w.sums[k] = sum
		}
	}
	return nil
}

// Len returns the number of distinct keys written so far.
func (w *PartitionWriter[T]) Len() int { return w.keys.keys() }

// Abort discards the rows and removes the temp file. It is a no-op after
// Commit or a previous Abort.
func (w *PartitionWriter[T]) Abort() {
	if w.done {
		return
	}
	w.done = true
	_ = w.w.Close()
	removeFile(w.f.f)
	w.spent()
}

// spent drops what a finished writer no longer needs (its parquet-go
// buffers, the keys), so that one still referenced holds no memory.
func (w *PartitionWriter[T]) spent() {
	w.w, w.f, w.keys, w.sums, w.dig = nil, nil, nil, nil, nil
}

// newFile starts another temp file with the same settings.
func (w *PartitionWriter[T]) newFile() (*tempOut, *parquet.GenericWriter[T], error) {
	f, err := newTempOut(w.opts)
	if err != nil {
		return nil, nil, err
	}
	return f, parquet.NewGenericWriter[T](f, w.opts.writerOptions(w.codec)...), nil
}

// tempOut is a temp file as the output of a Parquet writer: it counts and
// hashes the bytes written (parquet-go writes its output in order, once),
// so Commit knows the file's size and SHA-256 without reading it again.
type tempOut struct {
	f *os.File
	h hash.Hash
	n int64
}

// newTempOut creates a temp file for a partition of stream o.Stream.
func newTempOut(o FileOptions) (*tempOut, error) {
	f, err := createTemp(o.tempDir(), "igexport-"+o.Stream+"-", ".parquet")
	if err != nil {
		return nil, err
	}
	return &tempOut{f: f, h: sha256.New()}, nil
}

func (t *tempOut) Write(p []byte) (int, error) {
	n, err := t.f.Write(p)
	t.h.Write(p[:n])
	t.n += int64(n)
	return n, err
}

// sum returns the hex SHA-256 of the bytes written.
func (t *tempOut) sum() string { return hex.EncodeToString(t.h.Sum(nil)) }

func removeFile(f *os.File) {
	if f != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
	}
}

// buildID is the VCS revision the binary was built from (parquet-go writes
// created_by as "igexport version <v>(build <id>)"), or "unknown". It is
// read once: debug.ReadBuildInfo parses the whole build info on each call.
var buildID = sync.OnceValue(func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return s.Value[:12]
			}
		}
	}
	return "unknown"
})
