package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/internal/catalog"
	"github.com/igexport/igexport/internal/graph"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// PlanFormat is the format tag of saved plans (`igexport plan -out`).
const PlanFormat = "igexport.plan/v1"

// ErrStalePlan is wrapped by Plan.Check when the world moved since the plan
// was made: a state generation changed, the config changed, or the day did.
var ErrStalePlan = errors.New("stale plan")

// Plan is what `igexport plan` shows and `-out` saves: per account and
// stream, what apply would fetch, the partitions it would write and the API
// calls it would need. It is made from the config and the state alone:
// MakePlan never calls the Graph API. A plan holds no token, app secret or
// variable value.
type Plan struct {
	Format    string    `json:"format"` // igexport.plan/v1
	Version   string    `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	// Today is the UTC day the plan was made on: apply refuses the plan on
	// another day, since its windows and partitions would differ.
	Today schema.Date `json:"today"`
	// SnapshotDate is the dt of the snapshot streams' partitions.
	SnapshotDate schema.Date `json:"snapshot_date"`
	// Config is the config file the plan was made from, and ConfigDigest a
	// SHA-256 of what in it shapes a run (secrets excluded).
	Config          string `json:"config"`
	ConfigDigest    string `json:"config_digest"`
	GraphAPIVersion string `json:"graph_api_version"`
	// Destination and State locate the lake and the state (URL secrets
	// redacted).
	Destination Location `json:"destination"`
	State       Location `json:"state"`
	// Streams are the streams the run covers, in schema order.
	Streams []string `json:"streams"`
	// Selection is the selectors the plan was made with; apply PLAN reuses
	// them.
	Selection Selection     `json:"selection"`
	Accounts  []AccountPlan `json:"accounts"`
	// Discover lists the discover blocks: their accounts are known at
	// apply time only (discovery is a Graph API call).
	Discover []DiscoverPlan `json:"discover,omitempty"`
	Warnings []string       `json:"warnings,omitempty"`
	// Totals add up the accounts' estimates plus discovery.
	Totals Estimate `json:"totals"`
}

// Location is a bucket URL and a key prefix.
type Location struct {
	URL    string `json:"url"`
	Prefix string `json:"prefix"`
}

// Selection is the part of Options a saved plan keeps.
type Selection struct {
	Accounts     []string     `json:"accounts,omitempty"`
	Streams      []string     `json:"streams,omitempty"`
	Shard        int          `json:"shard,omitempty"`
	Shards       int          `json:"shards,omitempty"`
	From         *schema.Date `json:"from,omitempty"`
	To           *schema.Date `json:"to,omitempty"`
	SnapshotDate *schema.Date `json:"snapshot_date,omitempty"`
	Concurrency  int          `json:"concurrency,omitempty"`
}

// AccountPlan is the plan of one account.
type AccountPlan struct {
	Name      string `json:"name"`
	AccountID string `json:"account_id"`
	// Source is "account" for an account block, "state" for an account a
	// discover block found in an earlier run (known from the state; apply
	// exports it only if discovery still finds it).
	Source string `json:"source"`
	// Generation is the state generation the plan was made against (0:
	// the account has no state yet, a first run).
	Generation      int64      `json:"generation"`
	LastRunID       string     `json:"last_run_id,omitempty"`
	LastCommittedAt *time.Time `json:"last_committed_at,omitempty"`
	// Lease is a live lease of another run: apply would skip the account.
	Lease    *sinks.LeaseInfo `json:"lease,omitempty"`
	Streams  []StreamPlan     `json:"streams"`
	Estimate Estimate         `json:"estimate"`
	// Budget is what the usage headers of the recent runs say about the
	// account's rate-limit budget, when the run summaries tell (see Budget).
	Budget   *Budget  `json:"budget,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	// Error is why the account could not be planned (its state could not
	// be read), with Advice on how to recover; the other accounts are
	// planned all the same.
	Error  string `json:"error,omitempty"`
	Advice string `json:"advice,omitempty"`
}

// StreamPlan is the plan of one stream of one account.
type StreamPlan struct {
	Stream string      `json:"stream"`
	Kind   schema.Kind `json:"kind"`
	// Fetch says what is fetched: "snapshot" (the account as of the run),
	// "live" (stories live now), "window" (user_insights from the cursor),
	// "backfill" (-from/-to), or "none" (up to date).
	Fetch string `json:"fetch"`
	// Since and Until bound the days a window or backfill covers.
	Since *schema.Date `json:"since,omitempty"`
	Until *schema.Date `json:"until,omitempty"`
	// TooOld is the part of the requested range older than the API serves:
	// not recoverable, not requested.
	TooOld     *DateRange `json:"too_old,omitempty"`
	Partitions Partitions `json:"partitions"`
	Estimate   Estimate   `json:"estimate"`
	// Basis says what the estimate rests on ("120 media (last media file)").
	Basis string   `json:"basis,omitempty"`
	Notes []string `json:"notes,omitempty"`
}

// DateRange is an inclusive range of days.
type DateRange struct {
	From schema.Date `json:"from"`
	To   schema.Date `json:"to"`
}

// Partitions are the partition files a stream would write (keys relative to
// the destination bucket, prefix included): Keys when there are few, else
// Pattern with dt ranging over From..To.
type Partitions struct {
	Keys    []string     `json:"keys,omitempty"`
	Pattern string       `json:"pattern,omitempty"`
	From    *schema.Date `json:"from,omitempty"`
	To      *schema.Date `json:"to,omitempty"`
	// Count is how many partitions at most.
	Count int `json:"count"`
}

// Estimate is a count of counted API calls (one per object operation, each
// batch operation included) and round trips (HTTP requests).
type Estimate struct {
	Calls      int64 `json:"api_calls"`
	RoundTrips int64 `json:"round_trips"`
	// LowerBound is set when something is unknown before apply (media of
	// an account never exported, accounts of a discover block): the real
	// figures are at least these.
	LowerBound bool `json:"lower_bound,omitempty"`
}

// Add adds o to e.
func (e *Estimate) Add(o Estimate) {
	e.Calls += o.Calls
	e.RoundTrips += o.RoundTrips
	e.LowerBound = e.LowerBound || o.LowerBound
}

// Budget is an account's rate-limit budget as the run summaries suggest
// it. The usage percentage a response reports covers every call of the
// rolling 24 h before it, so the newest run that saw a usage header (RunID,
// ending at UsagePercent) is read together with the runs that finished in
// the 24 h before it: WindowRuns runs made WindowCalls calls, the whole
// budget is about WindowCalls × 100 / UsagePercent calls (Total), and Left
// is Total minus RecentCalls, the calls of the runs of the last 24 h. Calls
// made by other tools with the same app are not in the summaries: the
// figures are then too high.
type Budget struct {
	RunID        string    `json:"run_id"`
	FinishedAt   time.Time `json:"finished_at"`
	Calls        int64     `json:"api_calls"` // the calls of run RunID
	UsagePercent int       `json:"usage_percent"`
	WindowRuns   int       `json:"window_runs"`
	WindowCalls  int64     `json:"window_calls"`
	RecentCalls  int64     `json:"recent_calls"`
	Total        int64     `json:"total"`
	Left         int64     `json:"left"`
}

// DiscoverPlan is one discover block.
type DiscoverPlan struct {
	Name    string   `json:"name"`
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
	// Known are the accounts of this block known from the state (they
	// appear in Accounts with source "state").
	Known []string `json:"known,omitempty"`
	// Estimate is the discovery itself: GET /me/accounts, one call per
	// page of 100 Pages (at least one).
	Estimate Estimate `json:"estimate"`
}

// Options returns the run options that replay the plan's selection.
func (p *Plan) Options() Options {
	s := p.Selection
	return Options{Accounts: slices.Clone(s.Accounts), Streams: slices.Clone(s.Streams), Shard: s.Shard,
		Shards: s.Shards, From: s.From, To: s.To, SnapshotDate: s.SnapshotDate, Concurrency: s.Concurrency}
}

// Estimate formulas (SPEC §1.1; what the stream code sends, retries and
// throttling not included). N is the account's media count: the rows of the
// last committed media file in the state, else the users stream's
// media_count (read from its last file), else unknown (a lower bound, 0).
const (
	pageSize = 100 // list pages: media, stories, /me/accounts
	// storyLiveDays: a story is live 24 h, so live stories fall on the run
	// day and the day before.
	storyLiveDays = 2
	// pastRunsRead bounds how many recent run summaries plan reads for
	// account names and usage.
	pastRunsRead = 60 // hourly runs: more than a day of them
	budgetWindow = 24 * time.Hour
)

func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

// batchRoundTrips is the HTTP requests of n batch operations (≤ 50 a POST).
func batchRoundTrips(n int64) int64 { return ceilDiv(n, graph.MaxBatchOps) }

// MakePlan computes what Apply would do with cfg and o, reading the state
// (generations, cursors, files, leases, run summaries) and nothing from
// Instagram: discover blocks are shown as discovered at apply time, plus
// the accounts an earlier run discovered (known from the state).
func MakePlan(ctx context.Context, cfg *hcl.Config, o Options) (*Plan, error) {
	r, err := newRunner(ctx, cfg, o)
	if err != nil {
		return nil, err
	}
	defer r.close()
	p := &Plan{
		Format: PlanFormat, Version: o.version(), CreatedAt: r.now, Today: schema.DateOf(r.now),
		SnapshotDate: r.snapDT, Config: cfg.Path, ConfigDigest: ConfigDigest(cfg),
		GraphAPIVersion: cfg.GraphAPIVersion,
		Destination:     Location{URL: sinks.RedactURL(cfg.Destination.URL), Prefix: cfg.Destination.Prefix},
		State:           Location{URL: sinks.RedactURL(cfg.State.URL), Prefix: cfg.State.Prefix},
		Selection: Selection{Accounts: o.Accounts, Streams: o.Streams, Shard: o.Shard, Shards: o.Shards,
			From: o.From, To: o.To, SnapshotDate: o.SnapshotDate, Concurrency: o.Concurrency},
		Warnings: r.warnings(),
	}
	for _, s := range schema.Names() {
		if r.selected(s) {
			p.Streams = append(p.Streams, s)
		}
	}

	past, err := r.pastRuns(ctx)
	if err != nil {
		p.Warnings = append(p.Warnings, fmt.Sprintf("run summaries not read: %v", err))
	}

	// Accounts: the account blocks, plus, with discover blocks, the
	// accounts of the state that no account block names.
	var targets []target
	explicit := map[string]bool{}
	for _, a := range cfg.Accounts {
		targets = append(targets, target{Name: a.Name, ID: a.IGUserID, StartDate: a.StartDate})
		explicit[a.IGUserID] = true
	}
	fromState := map[string]bool{}
	for i := range cfg.Discover {
		d := &cfg.Discover[i]
		dp := DiscoverPlan{Name: d.Name, Include: d.Include, Exclude: d.Exclude,
			Estimate: Estimate{Calls: 1, RoundTrips: 1, LowerBound: true}}
		p.Discover = append(p.Discover, dp)
	}
	if len(cfg.Discover) > 0 {
		ids, err := r.state.ListAccounts(ctx)
		if err != nil {
			return nil, fmt.Errorf("state: %w", err)
		}
		for _, id := range ids {
			if explicit[id] {
				continue
			}
			name := id
			if pr, ok := past.accounts[id]; ok && pr.Name != "" {
				name = pr.Name
			}
			block := -1
			for i, d := range cfg.Discover {
				if name == id || d.Match(name) { // without a username, keep it
					block = i
					break
				}
			}
			if block < 0 {
				continue // excluded by every discover block's globs now
			}
			p.Discover[block].Known = append(p.Discover[block].Known, name)
			targets = append(targets, target{Name: name, ID: id})
			fromState[id] = true
		}
	}
	if len(targets) > 0 {
		targets, err = r.selectTargets(targets)
		if err != nil {
			if len(cfg.Discover) == 0 {
				return nil, err
			}
			// -account may name an account discovered at apply time.
			targets = nil
		}
	} else if len(cfg.Discover) == 0 {
		_, err := r.selectTargets(nil)
		return nil, err
	}

	for _, t := range targets {
		ap, err := r.planAccount(ctx, t, past)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			ap.Error = describe(err)
			ap.Advice = stateAdvice(t, err)
		}
		if fromState[t.ID] {
			ap.Source = "state"
		}
		p.Accounts = append(p.Accounts, ap)
		p.Totals.Add(ap.Estimate)
	}
	for _, d := range p.Discover {
		p.Totals.Add(d.Estimate)
	}
	if len(p.Discover) > 0 && len(o.Accounts) > 0 && len(targets) == 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("-account %s matches no account known before discovery: it may match one discovered at apply time",
			strings.Join(o.Accounts, ", ")))
	}
	return p, nil
}

// stateAdvice says how to recover an account whose state cannot be read.
func stateAdvice(t target, err error) string {
	if strings.Contains(err.Error(), "corrupt") || strings.Contains(err.Error(), "format") {
		return fmt.Sprintf("the newest state generation of %s cannot be used: delete the object named above and the account continues from the generation before it (`igexport state show %s` lists what each generation holds), or restore the object from a copy", t.Name, t.ID)
	}
	return "check that the state store is reachable and readable with these credentials, then run plan again"
}

// planAccount plans one account from its state.
func (r *runner) planAccount(ctx context.Context, t target, past pastRuns) (AccountPlan, error) {
	ap := AccountPlan{Name: t.Name, AccountID: t.ID, Source: "account"}
	st, err := r.state.LoadState(ctx, t.ID)
	if err != nil {
		return ap, fmt.Errorf("account %s: %w", t.Name, err)
	}
	if st != nil {
		ap.Generation = st.Generation
		ap.LastRunID = st.RunID
		at := st.CommittedAt
		ap.LastCommittedAt = &at
	}
	if li, err := r.state.ReadLease(ctx, t.ID); err != nil {
		ap.Warnings = append(ap.Warnings, fmt.Sprintf("lease not readable: %v", err))
	} else if li != nil && !li.Expired(time.Now()) {
		ap.Lease = li
		ap.Warnings = append(ap.Warnings, fmt.Sprintf("locked by run %s on host %s until %s: apply will skip this account (exit 3) unless that run ends first; `igexport state unlock %s` forces it",
			li.RunID, li.Host, li.ExpiresAt.UTC().Format(time.RFC3339), t.ID))
	}
	prev := func(s string) *sinks.StreamState {
		if st == nil {
			return nil
		}
		return st.Streams[s]
	}

	media, mediaBasis := r.mediaCount(ctx, t, prev)
	listed := false // the media list is fetched once, by media or media_insights
	storiesListed := false
	for _, s := range schema.Names() {
		if !r.selected(s) {
			continue
		}
		info, _ := schema.Lookup(s)
		sp := StreamPlan{Stream: s, Kind: info.Kind}
		snapshot := func() {
			sp.Fetch = "snapshot"
			sp.Partitions = r.partitions(s, t.ID, r.snapDT, r.snapDT)
		}
		switch s {
		case schema.Users:
			snapshot()
			sp.Estimate = Estimate{Calls: 1, RoundTrips: 1}
		case schema.Media, schema.MediaInsights:
			snapshot()
			if !listed {
				listed = true
				pages := max(1, ceilDiv(media, pageSize))
				sp.Estimate = Estimate{Calls: pages, RoundTrips: pages, LowerBound: mediaBasis == ""}
			}
			if s == schema.Media {
				sp.Basis = mediaBasisText(media, mediaBasis)
				break
			}
			n, basis, note := r.insightsMedia(media, mediaBasis, prev(schema.MediaInsights))
			sp.Estimate.Add(Estimate{Calls: n, RoundTrips: batchRoundTrips(n), LowerBound: mediaBasis == ""})
			sp.Basis = basis
			if note != "" {
				sp.Notes = append(sp.Notes, note)
			}
		case schema.Stories, schema.StoryInsights:
			sp.Fetch = "live"
			sp.Partitions = r.partitions(s, t.ID, schema.DateOf(r.now).AddDays(1-storyLiveDays), schema.DateOf(r.now))
			if !storiesListed {
				storiesListed = true
				sp.Estimate = Estimate{Calls: 1, RoundTrips: 1}
			}
			if s == schema.Stories {
				sp.Basis = "live stories: one page"
				break
			}
			n, basis := liveStories(st)
			ops := n * int64(r.storyOpsPer())
			sp.Estimate.Add(Estimate{Calls: ops, RoundTrips: batchRoundTrips(ops), LowerBound: basis == ""})
			if basis == "" {
				sp.Basis = "live stories unknown (no stories in the state)"
			} else {
				sp.Basis = fmt.Sprintf("≈%d live stories (%s), %d operation(s) each", n, basis, r.storyOpsPer())
			}
		case schema.UserInsights:
			r.planUserInsights(&sp, t, prev(s))
		case schema.UserLifetimeInsights:
			snapshot()
			set := r.cfg.StreamSetting(s)
			b := len(set.Breakdowns)
			if b == 0 {
				b = len(DefaultBreakdowns)
			}
			n := int64(len(r.cat.Select(catalog.Demographics, set.Metrics)) * b)
			sp.Estimate = Estimate{Calls: n, RoundTrips: batchRoundTrips(n)}
			sp.Basis = fmt.Sprintf("%d metric × breakdown operations", n)
		}
		ap.Estimate.Add(sp.Estimate)
		ap.Streams = append(ap.Streams, sp)
	}
	if b := past.budget(t.ID, r.now); b != nil {
		ap.Budget = b
		if ap.Estimate.Calls > b.Left {
			ap.Warnings = append(ap.Warnings, fmt.Sprintf(
				"about %d API calls planned, more than the ≈%d the usage headers suggest are left (%d%% used after %d calls in %d run(s) of 24 h, up to run %s): expect throttling; past rate_limit.max_wait the account is deferred (exit 3)",
				ap.Estimate.Calls, b.Left, b.UsagePercent, b.WindowCalls, b.WindowRuns, b.RunID))
		} else if slow := b.Total*int64(r.cfg.RateLimit.MaxUsagePercent)/100 - (b.Total - b.Left); ap.Estimate.Calls > slow {
			ap.Warnings = append(ap.Warnings, fmt.Sprintf(
				"about %d API calls planned: past ≈%d usage goes above max_usage_percent (%d%%) and igexport slows down",
				ap.Estimate.Calls, max(slow, 0), r.cfg.RateLimit.MaxUsagePercent))
		}
	}
	return ap, nil
}

// partitions describes the partitions of stream for days from..to.
func (r *runner) partitions(stream, accountID string, from, to schema.Date) Partitions {
	if to < from {
		return Partitions{}
	}
	n := int(to-from) + 1
	if n <= storyLiveDays {
		var keys []string
		for d := from; d <= to; d = d.AddDays(1) {
			keys = append(keys, r.data.FullKey(sinks.DataKey(stream, d, accountID)))
		}
		return Partitions{Keys: keys, Count: n}
	}
	pattern := r.data.FullKey(strings.Replace(sinks.DataKey(stream, from, accountID), "dt="+from.String(), "dt=*", 1))
	return Partitions{Pattern: pattern, From: &from, To: &to, Count: n}
}

// mediaCount estimates the account's media: the rows of the last committed
// media file, else the users stream's media_count. basis is "" when unknown.
func (r *runner) mediaCount(ctx context.Context, t target, prev func(string) *sinks.StreamState) (int64, string) {
	if ms := prev(schema.Media); ms != nil && len(ms.Files) > 0 {
		return ms.Files[len(ms.Files)-1].Rows, "last media file"
	}
	if us := prev(schema.Users); us != nil && us.LastSnapshot != nil {
		rows, err := sinks.ReadRows[schema.User](ctx, r.data, sinks.DataKey(schema.Users, *us.LastSnapshot, t.ID))
		if err == nil && len(rows) > 0 && rows[0].MediaCount != nil {
			return *rows[0].MediaCount, "users.media_count of " + us.LastSnapshot.String()
		}
	}
	return 0, ""
}

func mediaBasisText(n int64, basis string) string {
	if basis == "" {
		return "media count unknown (no state yet): at least one page"
	}
	return fmt.Sprintf("≈%d media (%s), pages of %d", n, basis, pageSize)
}

// insightsMedia estimates the media whose insights are fetched: all of them,
// or with max_media_age_days the rows of the last media_insights file.
func (r *runner) insightsMedia(media int64, basis string, prev *sinks.StreamState) (int64, string, string) {
	set := r.cfg.StreamSetting(schema.MediaInsights)
	if set.MaxMediaAgeDays > 0 && prev != nil && len(prev.Files) > 0 {
		n := prev.Files[len(prev.Files)-1].Rows
		return n, fmt.Sprintf("≈%d media younger than %d days (last media_insights file), one batch operation each", n, set.MaxMediaAgeDays),
			fmt.Sprintf("media older than max_media_age_days (%d) are not refreshed", set.MaxMediaAgeDays)
	}
	note := ""
	if set.MaxMediaAgeDays > 0 {
		note = fmt.Sprintf("media older than max_media_age_days (%d) are not refreshed (not counted out of this estimate)", set.MaxMediaAgeDays)
	}
	if basis == "" {
		return 0, "media count unknown (no state yet): one batch operation per media", note
	}
	return media, fmt.Sprintf("≈%d media (%s), one batch operation each", media, basis), note
}

// storyOpsPer is the batch operations per story: the plain metrics, plus
// navigation (a breakdown) as its own operation.
func (r *runner) storyOpsPer() int {
	plain, nav := false, false
	for _, m := range r.cat.Select(catalog.Story, r.cfg.StreamSetting(schema.StoryInsights).Metrics) {
		if m.Breakdown != "" {
			nav = true
		} else {
			plain = true
		}
	}
	n := 0
	if plain {
		n++
	}
	if nav {
		n++
	}
	return n
}

// liveStories estimates the stories live at the next run: the rows of the
// stories partitions of the last run's day and the day before (a story
// lives 24 h; this over-counts the older day's expired ones, which is the
// safe side for a budget).
func liveStories(st *sinks.State) (int64, string) {
	if st == nil {
		return 0, ""
	}
	ss := st.Streams[schema.Stories]
	if ss == nil {
		return 0, ""
	}
	last := schema.DateOf(st.CommittedAt)
	var n int64
	for _, f := range ss.Files {
		i := strings.Index(f.Key, "/dt=")
		if i < 0 || len(f.Key) < i+14 {
			continue
		}
		dt, err := schema.ParseDate(f.Key[i+4 : i+14])
		if err == nil && dt >= last.AddDays(1-storyLiveDays) && dt <= last {
			n += f.Rows
		}
	}
	return n, "stories of the last run's two days"
}

// planUserInsights plans the incremental stream from the same window
// computation Apply uses, and counts the operations runUserInsights sends:
// per time-series metric one per 30-day window (follower_count over the last
// 30 days only), online_followers once, then per finished day one
// total_value operation plus one per breakdown metric.
func (r *runner) planUserInsights(sp *StreamPlan, t target, prev *sinks.StreamState) {
	set := r.cfg.StreamSetting(schema.UserInsights)
	var cursor *schema.Date
	if prev != nil {
		cursor = prev.Cursor
	}
	start := t.StartDate
	if start == nil {
		start = set.StartDate
	}
	w, ok := userInsightsWindow(r.now, cursor, set.LookbackDays, start, r.opts.From, r.opts.To)
	if w.TooOld != nil {
		sp.TooOld = &DateRange{From: w.TooOld[0], To: w.TooOld[1]}
		sp.Notes = append(sp.Notes, fmt.Sprintf("%s..%s is older than the 2 years the API serves: not recoverable, not requested", w.TooOld[0], w.TooOld[1]))
	}
	switch {
	case !ok:
		sp.Fetch = "none"
		sp.Basis = "up to date"
		if cursor != nil {
			sp.Basis = "up to date (cursor " + cursor.String() + ")"
		}
		return
	case w.Backfill:
		sp.Fetch = "backfill"
		if cursor != nil {
			sp.Notes = append(sp.Notes, fmt.Sprintf("backfill: the cursor (%s) does not move backwards", cursor))
		}
	default:
		sp.Fetch = "window"
		switch {
		case cursor != nil:
			sp.Notes = append(sp.Notes, fmt.Sprintf("from the cursor %s minus lookback_days (%d)", cursor, set.LookbackDays))
		case start != nil:
			sp.Notes = append(sp.Notes, "first run: from start_date "+start.String())
		default:
			sp.Notes = append(sp.Notes, "first run: from 2 years back, the oldest day the API serves")
		}
	}
	from, to := w.From, w.To
	sp.Since, sp.Until = &from, &to
	sp.Partitions = r.partitions(schema.UserInsights, t.ID, from, to)

	today := schema.DateOf(r.now)
	var series, totals int64
	for _, m := range r.cat.Select(catalog.UserTimeSeries, set.Metrics) {
		lo := from
		if m.Name == "follower_count" {
			lo = max(lo, today.AddDays(-followerCountDays))
		}
		if lo <= to {
			series += ceilDiv(int64(to-lo)+1, maxWindowDays)
		}
	}
	if len(r.cat.Select(catalog.UserLifetime, set.Metrics)) > 0 {
		series++
	}
	perDay, plain := int64(0), false
	for _, m := range r.cat.Select(catalog.UserTotalValue, set.Metrics) {
		if m.Breakdown != "" {
			perDay++ // a breakdown metric is its own operation
		} else {
			plain = true // the plain total_value metrics share one
		}
	}
	if plain {
		perDay++
	}
	ui := &userInsights{ends: map[schema.Date]time.Time{}}
	days := int64(0)
	for d := from; d <= to; d = d.AddDays(1) {
		if !ui.endOf(d).After(r.now) {
			days++
		}
	}
	totals = days * perDay
	sp.Estimate = Estimate{Calls: series + totals, RoundTrips: batchRoundTrips(series) + batchRoundTrips(totals)}
	sp.Basis = fmt.Sprintf("%d day(s): %d time-series and %d total_value operation(s)", int(to-from)+1, series, totals)
}

// pastRuns is what recent run summaries say about accounts.
type pastRuns struct {
	accounts map[string]pastAccount
}

type pastAccount struct {
	Name string
	Runs []pastRun // newest first
}

// pastRun is one run's figures for one account.
type pastRun struct {
	RunID        string
	FinishedAt   time.Time
	Calls        int64
	UsagePercent int // 0: the run saw no usage header
}

// runFile is the part of a stored run summary plan reads. usage_percent is
// read when the summary has it (counters or account level).
type runFile struct {
	RunID      string    `json:"run_id"`
	FinishedAt time.Time `json:"finished_at"`
	Accounts   []struct {
		Name         string `json:"name"`
		AccountID    string `json:"account_id"`
		UsagePercent int    `json:"usage_percent"`
		Counters     struct {
			Calls        int64 `json:"api_calls"`
			UsagePercent int   `json:"usage_percent"`
		} `json:"counters"`
		Streams []struct {
			Counters struct {
				UsagePercent int `json:"usage_percent"`
			} `json:"counters"`
		} `json:"streams"`
	} `json:"accounts"`
}

// AccountNames returns the account names (account labels, discovered
// usernames) the newest run summaries in the state store give to IG user
// ids, for commands that take either.
func AccountNames(ctx context.Context, state *sinks.Store) (map[string]string, error) {
	past, err := readPastRuns(ctx, state)
	names := map[string]string{}
	for id, a := range past.accounts {
		if a.Name != "" {
			names[id] = a.Name
		}
	}
	return names, err
}

func (r *runner) pastRuns(ctx context.Context) (pastRuns, error) { return readPastRuns(ctx, r.state) }

// readPastRuns reads the newest run summaries (at most pastRunsRead) and
// keeps, per account, its newest name and the newest run whose usage headers
// it saw (they appear only once enough calls were made).
func readPastRuns(ctx context.Context, state *sinks.Store) (pastRuns, error) {
	out := pastRuns{accounts: map[string]pastAccount{}}
	ids, err := state.ListRuns(ctx)
	if err != nil {
		return out, err
	}
	for i := len(ids) - 1; i >= 0 && i >= len(ids)-pastRunsRead; i-- {
		b, err := state.GetRun(ctx, ids[i])
		if err != nil {
			return out, err
		}
		var rf runFile
		if err := json.Unmarshal(b, &rf); err != nil {
			continue // not ours to judge here; apply rewrites its own
		}
		for _, a := range rf.Accounts {
			if a.AccountID == "" {
				continue
			}
			pa, seen := out.accounts[a.AccountID]
			if !seen {
				pa.Name = a.Name // the newest name
			}
			u := max(a.UsagePercent, a.Counters.UsagePercent)
			for _, s := range a.Streams {
				u = max(u, s.Counters.UsagePercent)
			}
			pa.Runs = append(pa.Runs, pastRun{RunID: rf.RunID, FinishedAt: rf.FinishedAt, Calls: a.Counters.Calls, UsagePercent: u})
			out.accounts[a.AccountID] = pa
		}
	}
	return out, nil
}

// budget derives an account's budget from its runs (see Budget), or nil
// when no run read saw a usage header.
func (p pastRuns) budget(accountID string, now time.Time) *Budget {
	a, ok := p.accounts[accountID]
	if !ok {
		return nil
	}
	var last *pastRun
	for i := range a.Runs {
		if a.Runs[i].UsagePercent > 0 {
			last = &a.Runs[i]
			break
		}
	}
	if last == nil {
		return nil
	}
	b := &Budget{RunID: last.RunID, FinishedAt: last.FinishedAt, Calls: last.Calls, UsagePercent: last.UsagePercent}
	for _, r := range a.Runs {
		if !r.FinishedAt.After(last.FinishedAt) && last.FinishedAt.Sub(r.FinishedAt) < budgetWindow {
			b.WindowRuns++
			b.WindowCalls += r.Calls
		}
		if now.Sub(r.FinishedAt) < budgetWindow {
			b.RecentCalls += r.Calls
		}
	}
	if b.WindowCalls <= 0 {
		return nil
	}
	b.Total = b.WindowCalls * 100 / int64(b.UsagePercent)
	b.Left = max(b.Total-b.RecentCalls, 0)
	return b
}

// ConfigDigest is a SHA-256 over what in cfg shapes a run: accounts, discover
// blocks, streams and their settings, destination, state, API and rate
// limits. Secrets and variable values are left out; formatting and comments
// do not count.
func ConfigDigest(cfg *hcl.Config) string {
	type account struct {
		Name, ID  string
		StartDate *schema.Date
	}
	type discover struct {
		Name             string
		Include, Exclude []string
	}
	d := struct {
		URL, Version string
		Accounts     []account
		Discover     []discover
		Streams      []string
		Settings     []hcl.StreamConfig
		Destination  hcl.Destination
		State        hcl.StateConfig
		RateLimit    hcl.RateLimit
	}{URL: cfg.GraphAPIURL, Version: cfg.GraphAPIVersion, Streams: cfg.Streams,
		Destination: cfg.Destination, State: cfg.State, RateLimit: cfg.RateLimit}
	for _, a := range cfg.Accounts {
		d.Accounts = append(d.Accounts, account{a.Name, a.IGUserID, a.StartDate})
	}
	for _, x := range cfg.Discover {
		d.Discover = append(d.Discover, discover{x.Name, x.Include, x.Exclude})
	}
	for _, s := range schema.Names() {
		sc := cfg.StreamSetting(s)
		sc.DeclRange = hcl.StreamConfig{}.DeclRange
		d.Settings = append(d.Settings, sc)
	}
	b, _ := json.Marshal(d)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Check reports whether the plan can still be applied with cfg at now: the
// same config (ConfigDigest), the same UTC day, and every planned account
// at the state generation the plan was made against. The error wraps
// ErrStalePlan and says what moved.
func (p *Plan) Check(ctx context.Context, cfg *hcl.Config, now time.Time) error {
	if p.Format != PlanFormat {
		return fmt.Errorf("not an igexport plan (format %q, want %q)", p.Format, PlanFormat)
	}
	if d := ConfigDigest(cfg); d != p.ConfigDigest {
		return fmt.Errorf("%w: the config changed since the plan was made; run plan again", ErrStalePlan)
	}
	if today := schema.DateOf(now); today != p.Today {
		return fmt.Errorf("%w: the plan was made on %s (UTC) and it is %s now, so its windows and partitions would differ; run plan again",
			ErrStalePlan, p.Today, today)
	}
	st, err := sinks.Open(ctx, cfg.State.URL, cfg.State.Prefix)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	defer st.Close()
	var moved []string
	for _, a := range p.Accounts {
		gens, err := st.Generations(ctx, a.AccountID)
		if err != nil {
			return fmt.Errorf("state of account %s: %w", a.Name, err)
		}
		cur := int64(0)
		if len(gens) > 0 {
			cur = gens[len(gens)-1]
		}
		if cur != a.Generation {
			moved = append(moved, fmt.Sprintf("%s (%s) generation %d → %d", a.Name, a.AccountID, a.Generation, cur))
		}
	}
	if len(moved) > 0 {
		return fmt.Errorf("%w: the state moved since the plan was made: %s; run plan again", ErrStalePlan, strings.Join(moved, ", "))
	}
	return nil
}
