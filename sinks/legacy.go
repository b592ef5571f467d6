package sinks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/igexport/igexport/internal/schema"
)

// LegacyFiles returns the files of one account's stream that a layout older
// than the stream's partitioning wrote (user_insights/dt=…, before
// schema_version 3), oldest partition first. The caller folds their rows
// into the stream's own partitions and removes them with DeleteData once
// the state that names the new files is committed. The old layout puts
// the account under the date: this lists every account's files; a run
// migrating several accounts lists once with LegacyFilesByAccount.
func (s *Store) LegacyFiles(ctx context.Context, stream, accountID string) ([]DataKeyParts, error) {
	by, err := s.LegacyFilesByAccount(ctx, stream, func(id string) bool { return id == accountID })
	return by[accountID], err
}

// LegacyFilesByAccount is LegacyFiles of many accounts from one listing:
// the files of stream of a layout older than its own, by account, each
// account's oldest partition first. Only the accounts keep accepts are
// kept (nil keeps every account); what is kept is the keys' parts, the
// stream and account strings shared.
func (s *Store) LegacyFilesByAccount(ctx context.Context, stream string, keep func(accountID string) bool) (map[string][]DataKeyParts, error) {
	own := schema.PartitionOf(stream)
	out := map[string][]DataKeyParts{}
	for _, p := range []schema.Partition{schema.Day, schema.Month} {
		if p == own {
			continue
		}
		if err := s.partitionFiles(ctx, stream, p, keep, out); err != nil {
			return nil, fmt.Errorf("list %s files of the layout before schema_version %s in %s: %w", stream, schema.Version, s, err)
		}
	}
	for _, files := range out {
		slices.SortFunc(files, func(a, b DataKeyParts) int { return int(a.Date - b.Date) })
	}
	return out, nil
}

// AccountFiles returns the data files of one account's stream in the
// stream's own partitioning, oldest partition first.
func (s *Store) AccountFiles(ctx context.Context, stream, accountID string) ([]DataKeyParts, error) {
	out := map[string][]DataKeyParts{}
	if err := s.partitionFiles(ctx, stream, schema.PartitionOf(stream), func(id string) bool { return id == accountID }, out); err != nil {
		return nil, fmt.Errorf("list the %s files of account %s in %s: %w", stream, accountID, s, err)
	}
	files := out[accountID]
	slices.SortFunc(files, func(a, b DataKeyParts) int { return int(a.Date - b.Date) })
	return files, nil
}

// partitionFiles adds the files of stream partitioned by p of the accounts
// keep accepts (nil: all) to out, by account. The layout puts the account
// under the partition: one listing of every account's keys.
func (s *Store) partitionFiles(ctx context.Context, stream string, p schema.Partition, keep func(string) bool, out map[string][]DataKeyParts) error {
	return s.list(ctx, stream+"/"+p.Column()+"=", "", func(rel string, isDir bool) {
		k, err := ParseDataKey(rel)
		if isDir || err != nil || k.Stream != stream || k.Prefix != "" || k.Partition != p || keep != nil && !keep(k.AccountID) {
			return
		}
		// The parts, not the listed key: the strings are the caller's
		// stream and one account string per account.
		files := out[k.AccountID]
		if len(files) > 0 {
			k.AccountID = files[0].AccountID
		} else {
			k.AccountID = strings.Clone(k.AccountID)
		}
		k.Stream = stream
		out[k.AccountID] = append(files, k)
	})
}

// DeleteData removes data files (keys relative to s), deleteParallel at a
// time (a migrated account has hundreds of day files, each a round trip or
// two on an object store). A file that is gone already is no error; the
// error of the first key that failed is returned after every key was tried.
func (s *Store) DeleteData(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		if err := checkRel(k); err != nil {
			return err
		}
	}
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	slots := make(chan struct{}, deleteParallel)
	for i, k := range keys {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			if err := s.be.delete(ctx, s.FullKey(k)); err != nil {
				errs[i] = fmt.Errorf("delete %s from %s: %w", s.FullKey(k), s, err)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// deleteParallel bounds DeleteData's concurrent deletes.
const deleteParallel = 8

// IsNotFound reports whether err (from ReadRows, for one) says the object
// is not there.
func IsNotFound(err error) bool { return isNotFound(err) }
