package export

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/sourcegraph/conc/pool"

	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// partitions routes rows of one stream of one account to one Parquet file
// per partition: per dt, or per month for user_insights (the stream's
// schema.Partition; rows are keyed by the first day of their partition).
//
// An open sinks.PartitionWriter costs a few hundred KB (parquet-go column
// and page buffers), so a stream with many partitions (user_insights had one
// per day, up to two years on a first run; ~25 months now) must not hold one writer per partition.
// Rows are therefore kept in memory per dt until spillRows of them are
// there, and only then written to that dt's writer, which streams them to
// a local temp file. When more than maxBufferedRows are buffered across
// the stream's partitions (comments spread over hundreds of days), the
// partition with the most is committed early to its final key, like any
// commit (data before state; a later commit of the same dt merges with
// it), instead of getting a writer that would live until the end.
// commit creates, fills and commits the writers one dt at a time under the
// run's writeBudget, and releases each writer as soon as its file is
// committed. Memory is bounded by maxBufferedRows rows plus the writers of
// the large partitions (one for the snapshot streams) plus the run's
// commitWriters, whatever the size of the account or its history.
type partitions[T schema.Row] struct {
	s        *streamRun
	part     schema.Partition // the stream's partitioning: p is keyed by each partition's first day
	p        map[schema.Date]*partition[T]
	buffered int                            // rows held in memory across p
	early    map[schema.Date]sinks.FileInfo // partitions committed before commit (the last commit of each)
}

type partition[T schema.Row] struct {
	rows []T                       // rows not yet written to w
	w    *sinks.PartitionWriter[T] // nil until the partition spills or commits
}

const (
	// spillRows is the number of buffered rows at which a partition gets its
	// writer and streams to disk.
	spillRows = 1000
	// writeThroughRows: once a partition has its writer, its rows go to it
	// in batches of this size (a big account's media do not wait in memory
	// in thousands).
	writeThroughRows = 100
	// maxBufferedRows bounds the rows buffered across the partitions of one
	// stream: past it the largest buffer spills.
	maxBufferedRows = 4000
)

func newPartitions[T schema.Row](s *streamRun) *partitions[T] {
	return &partitions[T]{s: s, part: s.partition(), p: map[schema.Date]*partition[T]{}}
}

func (p *partitions[T]) budget() *writeBudget { return p.s.a.r.budget }

// open makes sure a (possibly empty) partition exists for dt: snapshot
// streams write their run-date file even with no rows, so "none" is
// recorded. It returns dt's writer, nil while its rows are still buffered.
func (p *partitions[T]) open(dt schema.Date) (*sinks.PartitionWriter[T], error) {
	return p.get(dt).w, nil
}

func (p *partitions[T]) get(dt schema.Date) *partition[T] {
	dt = p.part.Start(dt)
	pt, ok := p.p[dt]
	if !ok {
		pt = &partition[T]{}
		p.p[dt] = pt
	}
	return pt
}

func (p *partitions[T]) add(ctx context.Context, dt schema.Date, rows ...T) error {
	pt := p.get(dt)
	pt.rows = append(pt.rows, rows...)
	p.buffered += len(rows)
	p.budget().rowsBuffered(len(rows))
	if len(pt.rows) >= spillRows || pt.w != nil && len(pt.rows) >= writeThroughRows {
		if err := p.spill(p.part.Start(dt), pt); err != nil {
			return err
		}
	}
	for p.buffered > maxBufferedRows {
		var big *partition[T]
		var bigDT schema.Date
		for d, x := range p.p {
			if big == nil || len(x.rows) > len(big.rows) {
				big, bigDT = x, d
			}
		}
		// Committed now, not given a writer: many small partitions would
		// each keep one until commit.
		delete(p.p, bigDT)
		p.buffered -= len(big.rows)
		fi, err := p.commitOne(ctx, bigDT, big)
		if err != nil {
			return err
		}
		if p.early == nil {
			p.early = map[schema.Date]sinks.FileInfo{}
		}
		p.early[bigDT] = fi
	}
	return nil
}

// newWriter starts a partition writer, counted by the run's budget until
// release.
func (p *partitions[T]) newWriter() (*sinks.PartitionWriter[T], error) {
	w, err := sinks.NewPartitionWriter[T](p.s.fileOptions())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.s.name(), err)
	}
	p.budget().writerOpened()
	return w, nil
}

// release aborts w (a no-op once committed: its temp files are gone) and
// stops counting it.
func (p *partitions[T]) release(w *sinks.PartitionWriter[T]) {
	w.Abort()
	p.budget().writerReleased()
}

// spill writes dt's buffered rows to its writer, creating it if needed.
func (p *partitions[T]) spill(dt schema.Date, pt *partition[T]) error {
	if pt.w == nil {
		w, err := p.newWriter()
		if err != nil {
			return err
		}
		pt.w = w
	}
	n := len(pt.rows)
	err := pt.w.Write(pt.rows...)
	p.buffered -= n
	p.budget().rowsBuffered(-n)
	pt.rows = nil
	if err != nil {
		return fmt.Errorf("%s: writing %s=%s: %w", p.s.name(), p.part.Column(), p.part.Format(dt), err)
	}
	return nil
}

// commit uploads every partition (merging with what the bucket holds) and
// returns the files in date order, those committed early included. On any
// failure the rest are aborted. Each partition is handed to one upload
// (commitOne): at most commitParallel uploads of the stream, and
// commitWriters of the run, hold a writer at once, however many partitions
// there are.
func (p *partitions[T]) commit(ctx context.Context) ([]sinks.FileInfo, error) {
	dts := make([]schema.Date, 0, len(p.p))
	for dt := range p.p {
		dts = append(dts, dt)
	}
	slices.Sort(dts)
	files := make([]sinks.FileInfo, len(dts))
	workers := pool.New().WithContext(ctx).WithCancelOnError().WithFirstError().WithMaxGoroutines(commitParallel)
	for i, dt := range dts {
		pt := p.p[dt]
		delete(p.p, dt) // the upload owns it now
		p.buffered -= len(pt.rows)
		workers.Go(func(ctx context.Context) (err error) {
			files[i], err = p.commitOne(ctx, dt, pt)
			return err
		})
	}
	if err := workers.Wait(); err != nil {
		return nil, err
	}
	for dt, fi := range p.early {
		if _, again := slices.BinarySearch(dts, dt); !again {
			files = append(files, fi)
		}
	}
	p.early = nil
	slices.SortFunc(files, func(a, b sinks.FileInfo) int { return strings.Compare(a.Key, b.Key) })
	return files, nil
}

// commitOne uploads the partition of dt, which the caller took out of p.p
// (its rows still counted by the budget): it holds one of the run's commit
// slots while it creates its writer (when its rows were still buffered),
// fills and commits it, then releases the writer.
func (p *partitions[T]) commitOne(ctx context.Context, dt schema.Date, pt *partition[T]) (fi sinks.FileInfo, err error) {
	b := p.budget()
	w, rows := pt.w, pt.rows
	pt.w, pt.rows = nil, nil
	defer func() {
		b.rowsBuffered(-len(rows))
		if w != nil {
			p.release(w)
		}
	}()
	select {
	case b.slots <- struct{}{}:
		defer func() { <-b.slots }()
	case <-ctx.Done():
		return fi, ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return fi, err
	}
	if w == nil {
		if w, err = p.newWriter(); err != nil {
			return fi, err
		}
	}
	if err := w.Write(rows...); err != nil {
		return fi, fmt.Errorf("%s: writing %s=%s: %w", p.s.name(), p.part.Column(), p.part.Format(dt), err)
	}
	key := sinks.PartitionKey(p.s.name(), p.part, dt, p.s.a.t.ID)
	fi, err = w.CommitGuarded(ctx, p.s.a.r.data, key, p.s.a.checkLease)
	if err != nil {
		return fi, fmt.Errorf("%s: uploading %s: %w", p.s.name(), key, err)
	}
	return fi, nil
}

// abort discards the partitions not handed to commit.
func (p *partitions[T]) abort() {
	for dt, pt := range p.p {
		if pt.w != nil {
			p.release(pt.w)
		}
		p.budget().rowsBuffered(-len(pt.rows))
		delete(p.p, dt)
	}
	p.buffered = 0
}

func marshalJSON(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }
