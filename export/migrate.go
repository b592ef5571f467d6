package export

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

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
//
// The old layout puts the account under the date (dt=…/account_id=…/):
// no listing reaches one account's files alone. The run lists the old
// files once, when the first account needs them, for all its accounts
// (legacyIndex), and each account takes its own. The listing may predate
// an account's lease: a file listed then removed since (by a run of the
// account that committed its rows first) is skipped; a day file an older
// igexport wrote for the account in between is not seen by this run.

// legacyIndex is the run's one listing of the old-layout files, by stream
// and account, made when an account first asks (take) and kept for the
// run's accounts only; an account's files are dropped once it took them.
type legacyIndex struct {
	accounts map[string]bool // the run's account IDs

	mu     sync.Mutex
	listed map[string]map[string][]sinks.DataKeyParts // stream → account → files not taken yet
	taken  map[string]bool                            // stream + "/" + account already served
}

func newLegacyIndex(accounts []Target) *legacyIndex {
	x := &legacyIndex{accounts: map[string]bool{}, listed: map[string]map[string][]sinks.DataKeyParts{}, taken: map[string]bool{}}
	for _, t := range accounts {
		x.accounts[t.ID] = true
	}
	return x
}

// take returns the old-layout files of the account's stream, oldest
// first, listing every account's once per run. A failed listing is not
// kept: the next account to ask lists again. An account asking twice
// (none does in one run) gets a listing of its own, not an empty answer.
func (x *legacyIndex) take(ctx context.Context, data *sinks.Store, stream, accountID string) ([]sinks.DataKeyParts, error) {
	if x == nil || !x.accounts[accountID] {
		return data.LegacyFiles(ctx, stream, accountID)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.taken[stream+"/"+accountID] {
		return data.LegacyFiles(ctx, stream, accountID)
	}
	by, ok := x.listed[stream]
	if !ok {
		var err error
		if by, err = data.LegacyFilesByAccount(ctx, stream, func(id string) bool { return x.accounts[id] }); err != nil {
			return nil, err
		}
		x.listed[stream] = by
	}
	files := by[accountID]
	delete(by, accountID)
	x.taken[stream+"/"+accountID] = true
	return files, nil
}

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
// already keeps the row fetched last (fetchedAt), the month file's on a
// tie: a migration whose old files could not be removed leaves older day
// rows; an older igexport run after the migration (a downgrade) leaves
// newer ones.
func foldLegacy[T schema.Row](ctx context.Context, s *streamRun, p *partitions[T], fetchedAt func(T) time.Time) ([]string, error) {
	data := s.a.r.data
	old, err := s.a.r.legacy.take(ctx, data, s.name(), s.a.t.ID)
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
		have := map[string]time.Time{} // the month file's rows: key → fetched_at
		current, err := sinks.ReadRows[T](ctx, data, sinks.PartitionKey(s.name(), p.part, start, s.a.t.ID))
		if err != nil && !sinks.IsNotFound(err) {
			return nil, fmt.Errorf("%s: folding the files of the old layout: %w", s.name(), err)
		}
		for _, r := range current {
			have[r.Key()] = fetchedAt(r)
		}
		// The month's day files are read in parallel (small objects: the
		// round trips are the cost), then added in day order.
		files := byPart[start]
		rows := make([][]T, len(files))
		gone := make([]bool, len(files))
		readers := pool.New().WithContext(ctx).WithCancelOnError().WithFirstError().WithMaxGoroutines(commitParallel)
		for i, k := range files {
			readers.Go(func(ctx context.Context) error {
				r, err := sinks.ReadRows[T](ctx, data, k.Rel())
				if sinks.IsNotFound(err) {
					// Listed for the run before the account's lease was
					// taken, then removed by a run of the account that
					// committed its rows first (removeReplaced): the month
					// file read above holds them.
					gone[i] = true
					return nil
				}
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
			if gone[i] {
				continue
			}
			day := slices.DeleteFunc(rows[i], func(r T) bool {
				kept, ok := have[r.Key()]
				return ok && !fetchedAt(r).After(kept)
			})
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
