package export

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/sourcegraph/conc/pool"

	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// Migration of a lake written by an older layout (SPEC §2): before
// schema_version 3, user_insights had one file per day (dt=); it has one
// per account and calendar month now. The next apply of an account whose
// state does not record the stream's partitioning lists the account's old
// files, folds their rows into the month files it commits (data first),
// and removes them only after its state is committed (accountRun.
// removeReplaced). A crash in between leaves both: the old state names
// the old files, which are still there, and the next run folds them again.

// migrationNeeded reports whether the stream's files may include some of
// an older layout: its state does not record its partitioning yet.
func (s *streamRun) migrationNeeded() bool {
	part := s.partition()
	if part == schema.Day {
		return false // no stream has ever had another layout than its dt= one
	}
	prev := s.a.prevStream(s.name())
	return prev == nil || prev.Partition != part
}

// foldLegacy adds the rows of the account's old-layout files of the
// stream to p, oldest first and before anything fetched (rows added later
// win), and returns the files' keys. A day whose row is in the month file
// already keeps that row: the month file was written later (a migration
// whose old files could not be removed, then newer fetches).
func foldLegacy[T schema.Row](ctx context.Context, s *streamRun, p *partitions[T]) ([]string, error) {
	data := s.a.r.data
	old, err := data.LegacyFiles(ctx, s.name(), s.a.t.ID)
	if err != nil || len(old) == 0 {
		return nil, err
	}
	byPart := map[schema.Date][]sinks.DataKeyParts{}
	for _, k := range old {
		start := p.part.Start(k.Date)
		byPart[start] = append(byPart[start], k)
	}
	var keys []string
	for _, start := range slices.Sorted(maps.Keys(byPart)) {
		have := map[string]bool{}
		current, err := sinks.ReadRows[T](ctx, data, sinks.PartitionKey(s.name(), p.part, start, s.a.t.ID))
		if err != nil && !sinks.IsNotFound(err) {
			return nil, fmt.Errorf("%s: folding the files of the old layout: %w", s.name(), err)
		}
		for _, r := range current {
			have[r.Key()] = true
		}
		// The month's day files are read in parallel (small objects: the
		// round trips are the cost), then added in day order.
		files := byPart[start]
		rows := make([][]T, len(files))
		readers := pool.New().WithContext(ctx).WithCancelOnError().WithFirstError().WithMaxGoroutines(commitParallel)
		for i, k := range files {
			readers.Go(func(ctx context.Context) error {
				r, err := sinks.ReadRows[T](ctx, data, k.Rel())
				if err != nil {
					return fmt.Errorf("%s: folding the files of the old layout: %w", s.name(), err)
				}
				rows[i] = r
				return nil
			})
		}
		if err := readers.Wait(); err != nil {
			return nil, err
		}
		for i, k := range files {
			day := slices.DeleteFunc(rows[i], func(r T) bool { return have[r.Key()] })
			// Each old file held the rows of its own day: they go to the
			// partition holding that day.
			if err := p.add(ctx, k.Date, day...); err != nil {
				return nil, err
			}
			keys = append(keys, k.Rel())
		}
	}
	s.note("folded %d file(s) of the layout before schema_version %s into %s= files; they are removed after the state commit",
		len(keys), schema.Version, p.part.Column())
	return keys, nil
}
