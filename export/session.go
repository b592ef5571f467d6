package export

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/igexport/igexport/internal/catalog"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// session is what plan and apply share: the job, the stores, the clock
// reading the run is made at and the snapshot date. It opens no network
// connection to the Graph API (apply adds that, see runner).
type session struct {
	job    *Job
	opts   Options
	data   *sinks.Store
	state  *sinks.Store
	now    time.Time
	snapDT schema.Date
	runID  string
}

// openSession opens the job's stores and reads the clock once.
func openSession(ctx context.Context, j *Job, o Options) (*session, error) {
	data, err := sinks.Open(ctx, j.Destination.URL, j.Destination.Prefix)
	if err != nil {
		return nil, fmt.Errorf("destination: %w", err)
	}
	state := data
	if j.State != j.Destination {
		state, err = sinks.Open(ctx, j.State.URL, j.State.Prefix)
		if err != nil {
			data.Close()
			return nil, fmt.Errorf("state: %w", err)
		}
	}
	now := o.now()
	if o.RunID == "" {
		o.RunID = NewRunID(now)
	}
	snap := schema.DateOf(now)
	if o.SnapshotDate != nil {
		snap = *o.SnapshotDate
	}
	return &session{job: j, opts: o, data: data, state: state, now: now, snapDT: snap, runID: o.RunID}, nil
}

func (s *session) close() {
	if s.state != s.data {
		s.state.Close()
	}
	s.data.Close()
}

func (s *session) selected(stream string) bool { return s.job.Selected(stream) }

// clock is the session's clock (Options.Now), for times after the start.
func (s *session) clock() time.Time { return s.opts.now() }

// fetchedAt is the receive time, at the microsecond resolution the files keep.
func (s *session) fetchedAt() time.Time { return s.clock().Truncate(time.Microsecond) }

// warnings lists a Graph API version expiring soon and the configured
// metrics whose deprecation date is near.
func (s *session) warnings() []string {
	var out []string
	if w, _ := catalog.CheckVersion(s.job.GraphAPIVersion, s.now); w != "" {
		out = append(out, w) // an expired version never loads: hcl rejects it
	}
	for _, st := range s.job.Streams {
		spec := s.job.Spec(st)
		for _, k := range catalog.StreamKinds(st) {
			for _, m := range spec.Metrics[k] {
				if w := s.job.Catalog.Warning(m.Name, s.now); w != "" && !slices.Contains(out, w) {
					out = append(out, w)
				}
			}
		}
	}
	return out
}
