package export

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	lease  *sinks.Lease
	cancel context.CancelCauseFunc
	runCtx context.Context // the run's context: done when a signal interrupts the run

	mu      sync.Mutex
	results map[string]*StreamResult
	updates map[string]*sinks.StreamState
	// replaced are data files (relative keys) of an older layout whose rows
	// a stream folded into its new files: removed once the state naming
	// those is committed, for the streams that committed.
	replaced map[string][]string
	runs     []*streamRun
	stopErr  *graph.Error // the token error that stopped the account
	lostErr  error        // the lease was lost: the account stopped, nothing more is written
	advice   string       // what to do about the first token or permission error
}

// runAccount exports one account: lease, state, streams, commit.
func (r *runner) runAccount(ctx context.Context, t target) AccountResult {
	if ie := interruption(ctx); ie != nil {
		return notStarted(t, ie)
	}
	start := r.clock()
	log := r.opts.logger().With("account", t.Name, "account_id", t.ID)
	prog := r.opts.progress()
	prog.AccountStarted(t.Name)
	res := AccountResult{Name: t.Name, AccountID: t.ID, Status: StatusOK}
	finish := func() AccountResult {
		res.Duration = Duration(r.clock().Sub(start))
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
		if !p.Expired(r.clock()) {
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
	if prev != nil && prev.Generation >= sinks.MaxGeneration {
		// Refused before anything is written: no next generation exists.
		res.Status = StatusFailed
		res.Error = fmt.Sprintf("the state is at generation %d, the highest a state key can name: nothing can be committed; "+
			"start the account's state over by deleting its state-*.json objects", prev.Generation)
		return finish()
	}
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	a := &accountRun{r: r, t: t, prev: prev, lease: lease, cancel: cancel, runCtx: ctx,
		results: map[string]*StreamResult{}, updates: map[string]*sinks.StreamState{}, replaced: map[string][]string{}}
	// A lease found lost (by KeepAlive or a check) stops the account's work.
	go func() {
		select {
		case <-lease.Lost():
			a.leaseLost(lease.Check(actx))
		case <-actx.Done():
		}
	}()
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
	if cause := context.Cause(actx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, sinks.ErrLeaseLost) && !isInterrupt(cause) {
		var ge *graph.Error
		if errors.As(cause, &ge) {
			res.Advice = ge.AdviceFor(t.Login)
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
		switch {
		case errors.Is(err, sinks.ErrLeaseLost):
			a.leaseLost(err)
		case err != nil:
			res.Status = StatusFailed
			res.Error = fmt.Sprintf("committing state: %v", err)
			log.Error("state commit failed", "err", err)
		default:
			res.Generation = gen
			// Its own deadline, apart from the state commit's (on object
			// stores, deletes under a cancelled context all failed).
			rctx, cancelRemove := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
			a.removeReplaced(rctx, log)
			cancelRemove()
		}
		cancelCommit()
	}
	if err := a.lostLease(); err != nil {
		res.Status = StatusFailed
		res.Error = fmt.Sprintf("%s: this run stopped writing the account's files and committed no state; the run holding the lease now exports it",
			describe(err))
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
	next.CommittedAt = a.r.clock()
	// The data files the state will name must be on disk first (file://).
	if err := a.r.data.Sync(ctx); err != nil {
		return 0, err
	}
	// A run whose lease is gone (state unlock, a takeover) must not commit
	// over the run that holds it now.
	if err := a.lease.Check(ctx); err != nil {
		return 0, err
	}
	if err := a.r.state.CommitState(ctx, next); err != nil {
		return 0, err
	}
	return next.Generation, nil
}

// removeReplaced deletes the old-layout files whose rows the committed
// state's files hold now. A failure only warns: the files stay, the state
// records no partition for the stream, and the next run folds and removes
// them again.
func (a *accountRun) removeReplaced(ctx context.Context, log *slog.Logger) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for stream, keys := range a.replaced {
		if _, ok := a.updates[stream]; !ok || len(keys) == 0 {
			continue
		}
		if err := a.r.data.DeleteData(ctx, keys...); err != nil {
			log.Warn("could not remove the files of the old layout; the next run removes them", "stream", stream, "err", err)
			continue
		}
		log.Info("removed the files of the old layout, their rows are in the new files", "stream", stream, "files", len(keys))
	}
}

// checkLease is the guard of every upload of the account (CommitGuarded):
// nil while lock.json still holds this run's lease. A lost lease stops the
// account.
func (a *accountRun) checkLease(ctx context.Context) error {
	err := a.lease.Check(ctx)
	if errors.Is(err, sinks.ErrLeaseLost) {
		a.leaseLost(err)
	}
	return err
}

// leaseLost records that the account's lease is lost (the first reason
// wins) and stops its streams.
func (a *accountRun) leaseLost(err error) {
	if err == nil {
		return
	}
	a.mu.Lock()
	if a.lostErr == nil {
		a.lostErr = err
		a.r.opts.logger().Error("lost the account's lease: stopping without writing or committing more", "account", a.t.Name, "err", describe(err))
	}
	a.mu.Unlock()
	a.cancel(err)
}

func (a *accountRun) lostLease() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lostErr
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
		{[]string{schema.Media, schema.MediaInsights, schema.Comments}, (*accountRun).runMedia},
		{[]string{schema.Stories, schema.StoryInsights}, (*accountRun).runStories},
		{[]string{schema.UserInsights}, (*accountRun).runUserInsights},
		{[]string{schema.UserLifetimeInsights}, (*accountRun).runLifetime},
	}
}

func (a *accountRun) runStreams(ctx context.Context) {
	p := pool.New().WithContext(ctx).WithMaxGoroutines(streamTasks)
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
	run := &streamRun{a: a, res: sr, start: a.r.clock(), client: a.r.client(a.t.Name, a.t.Token, a.t.AppSecret, a.t.Login, a.t.pacer)}
	a.mu.Lock()
	a.results[name] = sr
	a.runs = append(a.runs, run)
	a.mu.Unlock()
	return run
}

// listStreams starts the bookkeeping of a list stream and of its insights
// stream, each when selected; list is the one whose client pages the list
// (the list stream's, else the insights stream's).
func (a *accountRun) listStreams(listName, insightsName string) (ls, is, list *streamRun) {
	if a.r.selected(listName) {
		ls = a.stream(listName)
	}
	if a.r.selected(insightsName) {
		is = a.stream(insightsName)
	}
	list = ls
	if list == nil {
		list = is
	}
	return ls, is, list
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
	case a.lostErr != nil:
		msg = "stopped: the run lost the account's lease"
	case a.stopErr != nil && errors.Is(err, a.stopErr):
		msg = "stopped: the account's access token is not valid"
	case errors.As(err, &ge) && ge.TokenInvalid():
		a.stopErr = ge
		a.cancel(ge)
	}
	if ge != nil && (ge.TokenInvalid() || ge.Permission()) && a.advice == "" {
		a.advice = ge.AdviceFor(a.t.Login)
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
		if f.Kept {
			continue // already there with the same rows: nothing written
		}
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

// snapshotTaken is the state update of a snapshot stream that wrote dt's
// partition: last_snapshot moves to dt, never backwards (a past
// -snapshot-date re-run rewrites that day but the newest day stays the last
// snapshot).
func snapshotTaken(dt schema.Date) func(st *sinks.StreamState) {
	return func(st *sinks.StreamState) {
		if st.LastSnapshot == nil || *st.LastSnapshot < dt {
			st.LastSnapshot = &dt
		}
	}
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
		s.res.Duration = Duration(s.a.r.clock().Sub(s.start))
	}
}

func (a *accountRun) prevStream(name string) *sinks.StreamState {
	if a.prev == nil {
		return nil
	}
	return a.prev.Streams[name]
}

func (s *streamRun) fileOptions() sinks.FileOptions {
	info, _ := schema.Lookup(s.name())
	return sinks.FileOptions{
		Stream:      s.name(),
		RunID:       s.a.r.runID,
		Version:     s.a.r.opts.version(),
		Compression: s.a.r.job.Compression,
		// The re-read window of an incremental stream re-fetches committed
		// days: a file whose rows come back the same is not rewritten.
		KeepUnchanged: info.Kind == schema.Incremental,
	}
}

// partition is how the stream's files are split in time: as the stream
// declares (schema.StreamInfo.Partition).
func (s *streamRun) partition() schema.Partition {
	if s.a.r.opts.dayLayout {
		return schema.Day
	}
	return schema.PartitionOf(s.name())
}
