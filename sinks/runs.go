package sinks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"gocloud.dev/blob"
)

// PutRun writes (or overwrites) the run summary runs/<run_id>.json.
func (s *Store) PutRun(ctx context.Context, runID string, body []byte) error {
	if err := ValidateID(runID); err != nil {
		return fmt.Errorf("put run summary: %w", err)
	}
	full := s.FullKey(RunKey(runID))
	err := s.upload(ctx, full, io.NewSectionReader(bytes.NewReader(body), 0, int64(len(body))),
		&blob.WriterOptions{ContentType: ContentTypeJSON})
	if err != nil {
		return fmt.Errorf("put run summary %s to %s: %w", full, s, err)
	}
	return nil
}

// GetRun reads the run summary of runID.
func (s *Store) GetRun(ctx context.Context, runID string) ([]byte, error) {
	if err := ValidateID(runID); err != nil {
		return nil, fmt.Errorf("get run summary: %w", err)
	}
	full := s.FullKey(RunKey(runID))
	b, err := s.bucket.ReadAll(ctx, full)
	if err != nil {
		return nil, fmt.Errorf("read run summary %s from %s: %w", full, s, err)
	}
	return b, nil
}

// ListRuns returns the ids of the stored run summaries, sorted.
func (s *Store) ListRuns(ctx context.Context) ([]string, error) {
	var ids []string
	it := s.bucket.List(&blob.ListOptions{Prefix: s.FullKey(runsDir), Delimiter: "/"})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("list runs in %s: %w", s, err)
		}
		name := strings.TrimPrefix(s.rel(obj.Key), runsDir)
		if id, ok := strings.CutSuffix(name, ".json"); ok && !obj.IsDir && ValidateID(id) == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}
