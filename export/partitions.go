package export

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/sourcegraph/conc/pool"

	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// partitions routes rows of one stream of one account to one Parquet file
// per dt, each written to a local temp file until commit.
type partitions[T schema.Row] struct {
	s *streamRun
	w map[schema.Date]*sinks.PartitionWriter[T]
}

func newPartitions[T schema.Row](s *streamRun) *partitions[T] {
	return &partitions[T]{s: s, w: map[schema.Date]*sinks.PartitionWriter[T]{}}
}

// open makes sure a (possibly empty) partition exists for dt: snapshot
// streams write their run-date file even with no rows, so "none" is recorded.
func (p *partitions[T]) open(dt schema.Date) (*sinks.PartitionWriter[T], error) {
	if w, ok := p.w[dt]; ok {
		return w, nil
	}
	w, err := sinks.NewPartitionWriter[T](p.s.fileOptions())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.s.name(), err)
	}
	p.w[dt] = w
	return w, nil
}

func (p *partitions[T]) add(dt schema.Date, rows ...T) error {
	w, err := p.open(dt)
	if err != nil {
		return err
	}
	if err := w.Write(rows...); err != nil {
		return fmt.Errorf("%s: writing dt=%s: %w", p.s.name(), dt, err)
	}
	return nil
}

// commitParallel bounds concurrent partition uploads of one stream (a
// first user_insights run writes one small file per day: 728 of them).
const commitParallel = 8

// commit uploads every partition (merging with what the bucket holds) and
// returns the files in date order. On any failure the rest are aborted.
func (p *partitions[T]) commit(ctx context.Context) ([]sinks.FileInfo, error) {
	dts := make([]schema.Date, 0, len(p.w))
	for dt := range p.w {
		dts = append(dts, dt)
	}
	slices.Sort(dts)
	files := make([]sinks.FileInfo, len(dts))
	workers := pool.New().WithContext(ctx).WithCancelOnError().WithFirstError().WithMaxGoroutines(commitParallel)
	for i, dt := range dts {
		w := p.w[dt]
		workers.Go(func(ctx context.Context) error {
			key := sinks.DataKey(p.s.name(), dt, p.s.a.t.ID)
			fi, err := w.Commit(ctx, p.s.a.r.data, key)
			if err != nil {
				return fmt.Errorf("%s: uploading %s: %w", p.s.name(), key, err)
			}
			files[i] = fi
			return nil
		})
	}
	err := workers.Wait()
	p.abort() // temp files of committed writers are gone already; this cleans the rest
	if err != nil {
		return nil, err
	}
	return files, nil
}

func (p *partitions[T]) abort() {
	for dt, w := range p.w {
		w.Abort()
		delete(p.w, dt)
	}
}

// fetchedAt is the receive time, at the microsecond resolution the files keep.
func fetchedAt() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// decode unmarshals an API payload, naming the endpoint on failure.
func decode(data []byte, v any, endpoint string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("malformed response from %s: %w", endpoint, err)
	}
	return nil
}

func marshalJSON(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }

// apiTime parses Graph timestamps ("2019-09-26T22:36:43+0000").
func apiTime(s *string) (*time.Time, error) {
	if s == nil || *s == "" {
		return nil, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05-0700", time.RFC3339} {
		if t, err := time.Parse(layout, *s); err == nil {
			t = t.UTC().Truncate(time.Microsecond)
			return &t, nil
		}
	}
	return nil, fmt.Errorf("timestamp %q is not in the Graph API format", *s)
}

// flexString accepts a JSON string or number (ig_id comes as either).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or number, got %s", b)
	}
	*f = flexString(n.String())
	return nil
}

func (f *flexString) ptr() *string {
	if f == nil {
		return nil
	}
	s := string(*f)
	return &s
}
