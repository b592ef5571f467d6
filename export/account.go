package export

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sourcegraph/conc/panics"
	"github.com/sourcegraph/conc/pool"

	"github.com/igexport/igexport/internal/graph"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// StateFormat is the format tag of state objects.
const StateFormat = "igexport.state/v1"

// commitTimeout bounds the state write (and the run summary write) that
// happen after the run's context may have been cancelled.
const commitTimeout = time.Minute

// accountRun is the work on one account in one run.
type accountRun struct {
	r      *runner
	t      target
	prev   *sinks.State
	cancel context.CancelCauseFunc
	runCtx context.Context // the run's context: done when a signal interrupts the run

	mu      sync.Mutex
	results map[string]*StreamResult
	updates map[string]*sinks.StreamState
	runs    []*streamRun
	stopErr *graph.Error // the token error that stopped the account
	advice  string       // what to do about the first token or permission error
}

// runAccount exports one account: lease, state, streams, commit.
func (r *runner) runAccount(ctx context.Context, t target) AccountResult {
	if ie := interruption(ctx); ie != nil {
		return notStarted(t, ie)
	}
	start := time.Now()
	log := r.opts.logger().With("account", t.Name, "account_id", t.ID)
	prog := r.opts.progress()
	prog.AccountStarted(t.Name)
	res := AccountResult{Name: t.Name, AccountID: t.ID, Status: StatusOK}
	finish := func() AccountResult {
		res.Duration = Duration(time.Since(start))
		prog.AccountFinished(t.Name, res)
		return res
	}

	ttl := r.opts.LeaseTTL
	if ttl <= 0 {
		ttl = 10 * time.Minute
	}
	lease, err := r.state.AcquireLease(ctx, t.ID, r.runID, ttl)
	if err != nil {
		if ie := interruption(ctx); ie != nil {
			res = notStarted(t, ie)
			return finish()
		}
		if errors.Is(err, sinks.ErrLeaseHeld) {
			res.Status = StatusSkipped
			res.Error = err.Error()
			log.Warn("account skipped: another run holds its lease", "err", err)
		} else {
			res.Status = StatusFailed
			res.Error = fmt.Sprintf("acquiring the lease: %v", err)
			log.Error("account failed", "err", err)
		}
		return finish()
	}
	if p := lease.Previous(); p != nil {
		why := "it had expired"
		if !p.Expired(r.opts.now()) {
			why = fmt.Sprintf("its process %d on this host is gone", p.PID)
		}
		log.Warn("took over the lease of an earlier run", "run", p.RunID, "reason", why)
	}
	leaseCtx, stopLease := context.WithCancel(context.WithoutCancel(ctx))
	go lease.KeepAlive(leaseCtx, ttl/3)
	defer func() {
		stopLease()
		if err := lease.Release(context.WithoutCancel(ctx)); err != nil {
			log.Warn("could not release the lease", "err", err)
		}
	}()

	prev, err := r.state.LoadState(ctx, t.ID)
	if err != nil {
		if ie := interruption(ctx); ie != nil {
			res = notStarted(t, ie)
			return finish()
		}
		res.Status = StatusFailed
		res.Error = fmt.Sprintf("reading state: %v", err)
		return finish()
	}
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	a := &accountRun{r: r, t: t, prev: prev, cancel: cancel, runCtx: ctx,
		results: map[string]*StreamResult{}, updates: map[string]*sinks.StreamState{}}
	a.runStreams(actx)
	for _, s := range a.runs {
		s.countCalls()
	}

	// Collect results in canonical stream order.
	for _, s := range schema.Names() {
		if sr, ok := a.results[s]; ok {
			res.Streams = append(res.Streams, *sr)
			res.Counters.Add(sr.Counters)
		}
	}
	if cause := context.Cause(actx); cause != nil && !errors.Is(cause, context.Canceled) && !isInterrupt(cause) {
		var ge *graph.Error
		if errors.As(cause, &ge) {
			res.Advice = ge.Advice()
		}
		res.Status = StatusFailed
		res.Error = describe(cause)
	}
	var failed []string
	for _, sr := range res.Streams {
		if sr.Status == StatusFailed {
			res.Status = StatusFailed
			failed = append(failed, sr.Stream)
		} else if sr.Status == StatusInterrupted && res.Status != StatusFailed {
			res.Status = StatusInterrupted
		} else if sr.Status == StatusDeferred && res.Status == StatusOK {
			res.Status = StatusDeferred
		}
	}
	if res.Status == StatusFailed && res.Error == "" {
		res.Error = fmt.Sprintf("%d stream(s) failed: %s", len(failed), strings.Join(failed, ", "))
	}
	if ie := interruption(ctx); ie != nil && res.Status == StatusInterrupted {
		res.Error = ie.Error() + ": the finished streams are committed, the next run does the rest"
	}
	if res.Advice == "" {
		res.Advice = a.advice
	}

	// Commit: data files are all uploaded; the state comes last. The run
	// being cancelled (Ctrl-C, a CI timeout) must not lose what finished.
	if len(a.updates) > 0 {
		cctx, cancelCommit := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
		gen, err := a.commitState(cctx)
		cancelCommit()
		if err != nil {
			res.Status = StatusFailed
			res.Error = fmt.Sprintf("committing state: %v", err)
			log.Error("state commit failed", "err", err)
		} else {
			res.Generation = gen
		}
	}
	if res.Status == StatusFailed {
		log.Error("account failed", "err", res.Error)
	}
	return finish()
}

func (a *accountRun) commitState(ctx context.Context) (int64, error) {
	if hook := a.r.opts.beforeStateCommit; hook != nil {
		if err := hook(a.t.ID); err != nil {
			return 0, err
		}
	}
	next := &sinks.State{Format: StateFormat, AccountID: a.t.ID, RunID: a.r.runID,
		Version: a.r.opts.version(), Streams: map[string]*sinks.StreamState{}}
	if a.prev != nil {
		next.Generation = a.prev.Generation
		for k, v := range a.prev.Streams {
			next.Streams[k] = v
		}
	}
	next.Generation++
	for k, v := range a.updates {
		next.Streams[k] = v
	}
	next.CommittedAt = a.r.opts.now()
	// The data files the state will name must be on disk first (file://).
	if err := a.r.data.Sync(ctx); err != nil {
		return 0, err
	}
	if err := a.r.state.CommitState(ctx, next); err != nil {
		return 0, err
	}
	return next.Generation, nil
}

// streamTask is one unit of work of an account: it fills the results of the
// streams it owns.
type streamTask struct {
	streams []string // streams this task can produce
	run     func(a *accountRun, ctx context.Context) error
}

func (a *accountRun) tasks() []streamTask {
	return []streamTask{
		{[]string{schema.Users}, (*accountRun).runUsers},
		{[]string{schema.Media, schema.MediaInsights}, (*accountRun).runMedia},
		{[]string{schema.Stories, schema.StoryInsights}, (*accountRun).runStories},
		{[]string{schema.UserInsights}, (*accountRun).runUserInsights},
		{[]string{schema.UserLifetimeInsights}, (*accountRun).runLifetime},
	}
}

func (a *accountRun) runStreams(ctx context.Context) {
	p := pool.New().WithContext(ctx)
	for _, task := range a.tasks() {
		wanted := false
		for _, s := range task.streams {
			wanted = wanted || a.r.selected(s)
		}
		if !wanted {
			continue
		}
		p.Go(func(ctx context.Context) error {
			var err error
			if rec := panics.Try(func() { err = task.run(a, ctx) }); rec != nil {
				err = fmt.Errorf("internal error: %v", rec.Value)
			}
			if err != nil {
				a.failTask(task.streams, err)
			}
			return nil
		})
	}
	_ = p.Wait()
}

// stream starts bookkeeping of one stream.
func (a *accountRun) stream(name string) *streamRun {
	a.r.opts.progress().StreamStarted(a.t.Name, name)
	sr := &StreamResult{Stream: name, Status: StatusOK}
	run := &streamRun{a: a, res: sr, start: time.Now(), client: a.r.client(a.t)}
	a.mu.Lock()
	a.results[name] = sr
	a.runs = append(a.runs, run)
	a.mu.Unlock()
	return run
}

// failTask marks the task's unfinished streams failed or deferred. A token
// error stops the whole account.
func (a *accountRun) failTask(streams []string, err error) {
	status := StatusFailed
	if errors.Is(err, graph.ErrDeferred) {
		status = StatusDeferred
	}
	if ie := interruption(a.runCtx); ie != nil {
		status, err = StatusInterrupted, ie
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var ge *graph.Error
	msg := describe(err)
	switch {
	case a.stopErr != nil && errors.Is(err, a.stopErr):
		msg = "stopped: the account's access token is not valid"
	case errors.As(err, &ge) && ge.TokenInvalid():
		a.stopErr = ge
		a.cancel(ge)
	}
	if ge != nil && (ge.TokenInvalid() || ge.Permission()) && a.advice == "" {
		a.advice = ge.Advice()
	}
	for _, s := range streams {
		if !a.r.selected(s) {
			continue
		}
		sr, ok := a.results[s]
		if !ok {
			sr = &StreamResult{Stream: s}
			a.results[s] = sr
		}
		if sr.Status == StatusOK && sr.finished {
			continue // this stream finished before the error
		}
		sr.Status = status
		sr.Error = msg
		delete(a.updates, s)
	}
	a.r.opts.logger().Warn("stream "+string(status), "account", a.t.Name, "streams", streams, "err", msg)
}

// describe renders an error for users: never a token (graph errors redact
// their URLs; this is the last line of defence).
func describe(err error) string {
	return graph.Redact(err.Error())
}

// streamRun is the bookkeeping of one stream of one account.
type streamRun struct {
	mu     sync.Mutex // guards res.Skipped and res.Notes (insights batches run in parallel)
	a      *accountRun
	res    *StreamResult
	start  time.Time
	client *graph.Client
}

func (s *streamRun) name() string { return s.res.Stream }

// skip counts something left out.
func (s *streamRun) skip(what, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.res.Skipped {
		if s.res.Skipped[i].What == what && s.res.Skipped[i].Reason == reason {
			s.res.Skipped[i].Count++
			return
		}
	}
	s.res.Skipped = append(s.res.Skipped, Skip{What: what, Reason: reason, Count: 1})
}

func (s *streamRun) note(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.res.Notes = append(s.res.Notes, fmt.Sprintf(format, args...))
}

// done records the stream's files and state update.
func (s *streamRun) done(files []sinks.FileInfo, update func(st *sinks.StreamState)) {
	st := &sinks.StreamState{}
	if prev := s.a.prevStream(s.name()); prev != nil {
		*st = *prev
	}
	st.Files = files
	st.UpdatedRunID = s.a.r.runID
	if update != nil {
		update(st)
	}
	for _, f := range files {
		s.res.Counters.Files++
		s.res.Counters.Rows += f.Rows
		s.res.Counters.Bytes += f.Bytes
	}
	s.res.Files = files
	s.countCalls()
	s.a.mu.Lock()
	s.res.finished = true
	s.a.updates[s.name()] = st
	s.a.mu.Unlock()
	s.a.r.opts.progress().StreamFinished(s.a.t.Name, s.name(), *s.res)
	s.a.r.opts.logger().Debug("stream done", "account", s.a.t.Name, "stream", s.name(),
		"rows", s.res.Counters.Rows, "files", s.res.Counters.Files, "calls", s.res.Counters.Calls)
}

// countCalls copies the stream client's figures into its result.
func (s *streamRun) countCalls() {
	cs := s.client.Stats()
	s.res.Counters.Calls = cs.Calls
	s.res.Counters.RoundTrips = cs.RoundTrips
	s.res.Counters.Retries = cs.Retries
	s.res.Counters.ThrottleWaits = cs.ThrottleWaits
	s.res.Counters.ThrottleWaited = Duration(cs.ThrottleWaited)
	s.res.Counters.PaceWaits = cs.PaceWaits
	s.res.Counters.PaceWaited = Duration(cs.PaceWaited)
	s.res.Counters.UsagePercent = cs.LastUsagePercent
	if !s.res.finished {
		s.res.Duration = Duration(time.Since(s.start))
	}
}

func (a *accountRun) prevStream(name string) *sinks.StreamState {
	if a.prev == nil {
		return nil
	}
	return a.prev.Streams[name]
}

func (s *streamRun) fileOptions() sinks.FileOptions {
	return sinks.FileOptions{
		Stream:      s.name(),
		RunID:       s.a.r.runID,
		Version:     s.a.r.opts.version(),
		Compression: s.a.r.cfg.Destination.Compression,
	}
}
