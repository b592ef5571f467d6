package sinks

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// PutRun writes (or overwrites) the run summary runs/<run_id>.json.
func (s *Store) PutRun(ctx context.Context, runID string, body []byte) error {
	if err := ValidateID(runID); err != nil {
		return fmt.Errorf("put run summary: %w", err)
	}
	full := s.FullKey(RunKey(runID))
	err := s.be.put(ctx, full, bytesBody(body), attrs{contentType: ContentTypeJSON})
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
	b, err := s.be.read(ctx, full)
	if err != nil {
		return nil, fmt.Errorf("read run summary %s from %s: %w", full, s, err)
	}
	return b, nil
}

// ListRuns returns the ids of the stored run summaries, sorted.
func (s *Store) ListRuns(ctx context.Context) ([]string, error) {
	var ids []string
	err := s.list(ctx, runsDir, "/", func(rel string, isDir bool) {
		name := strings.TrimPrefix(rel, runsDir)
		if id, ok := strings.CutSuffix(name, ".json"); ok && !isDir && ValidateID(id) == nil {
			ids = append(ids, id)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("list runs in %s: %w", s, err)
	}
	slices.Sort(ids)
	return ids, nil
}
