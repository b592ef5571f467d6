package sinks

import (
	"context"
	"fmt"
	"slices"

	"github.com/igexport/igexport/internal/schema"
)

// LegacyFiles returns the files of one account's stream that a layout older
// than the stream's partitioning wrote (user_insights/dt=…, before
// schema_version 3), oldest partition first. The caller folds their rows
// into the stream's own partitions and removes them with DeleteData once
// the state that names the new files is committed.
func (s *Store) LegacyFiles(ctx context.Context, stream, accountID string) ([]DataKeyParts, error) {
	own := schema.PartitionOf(stream)
	var out []DataKeyParts
	for _, p := range []schema.Partition{schema.Day, schema.Month} {
		if p == own {
			continue
		}
		keys, err := s.partitionFiles(ctx, stream, p, accountID)
		if err != nil {
			return nil, fmt.Errorf("list %s files of the layout before schema_version %s in %s: %w", stream, schema.Version, s, err)
		}
		out = append(out, keys...)
	}
	slices.SortFunc(out, func(a, b DataKeyParts) int { return int(a.Date - b.Date) })
	return out, nil
}

// AccountFiles returns the data files of one account's stream in the
// stream's own partitioning, oldest partition first.
func (s *Store) AccountFiles(ctx context.Context, stream, accountID string) ([]DataKeyParts, error) {
	out, err := s.partitionFiles(ctx, stream, schema.PartitionOf(stream), accountID)
	if err != nil {
		return nil, fmt.Errorf("list the %s files of account %s in %s: %w", stream, accountID, s, err)
	}
	slices.SortFunc(out, func(a, b DataKeyParts) int { return int(a.Date - b.Date) })
	return out, nil
}

// partitionFiles lists the files of stream partitioned by p that belong to
// accountID (the layout puts the account under the partition: every
// account's keys are listed).
func (s *Store) partitionFiles(ctx context.Context, stream string, p schema.Partition, accountID string) ([]DataKeyParts, error) {
	var out []DataKeyParts
	err := s.list(ctx, stream+"/"+p.Column()+"=", "", func(rel string, isDir bool) {
		k, err := ParseDataKey(rel)
		if isDir || err != nil || k.AccountID != accountID || k.Stream != stream || k.Prefix != "" || k.Partition != p {
			return
		}
		out = append(out, k)
	})
	return out, err
}

// DeleteData removes data files (keys relative to s). A file that is gone
// already is no error; the first other error is returned after every key
// was tried.
func (s *Store) DeleteData(ctx context.Context, keys ...string) error {
	var first error
	for _, k := range keys {
		if err := checkRel(k); err != nil {
			return err
		}
		if err := s.be.delete(ctx, s.FullKey(k)); err != nil && first == nil {
			first = fmt.Errorf("delete %s from %s: %w", s.FullKey(k), s, err)
		}
	}
	return first
}

// IsNotFound reports whether err (from ReadRows, for one) says the object
// is not there.
func IsNotFound(err error) bool { return isNotFound(err) }
