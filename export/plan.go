package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/igexport/igexport/internal/catalog"
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
// calls it would need. It is made from the config and the state: MakePlan
// calls the Graph API only for the token health (one GET /debug_token per
// distinct token; none with Options.Offline). A plan holds no token, app
// secret or variable value (tokens are named by fingerprint).
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
	// Tokens is each distinct token's health (GET /debug_token, the one
	// request plan sends; none with Options.Offline).
	Tokens []TokenHealth `json:"tokens,omitempty"`
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
	// Login is "instagram" for an account of the Instagram API with
	// Instagram Login (graph.instagram.com); empty for Facebook Login.
	Login string `json:"login,omitempty"`
	// Notes say what the estimate assumes beyond its streams' bases.
	Notes []string `json:"notes,omitempty"`
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
	// "backfill" (-from/-to), "changed" (comments of media whose
	// comments_count changed or that are young), or "none" (up to date).
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
	// page of 100 Pages (at least one); with Instagram Login one GET /me.
	Estimate Estimate `json:"estimate"`
	// Login is "instagram" for a block with an Instagram Login token
	// (empty for Facebook Login).
	Login string `json:"login,omitempty"`
}

// Options returns the run options that replay the plan's selection.
func (p *Plan) Options() Options {
	s := p.Selection
	return Options{Accounts: slices.Clone(s.Accounts), Streams: slices.Clone(s.Streams), Shard: s.Shard,
		Shards: s.Shards, From: s.From, To: s.To, SnapshotDate: s.SnapshotDate, Concurrency: s.Concurrency}
}

// Plan bounds (what plan reads of the past).
const (
	// storyLiveDays: a story is live 24 h, so live stories fall on the run
	// day and the day before.
	storyLiveDays = 2
	// pastRunsRead bounds how many recent run summaries plan reads for
	// account names and usage.
	pastRunsRead = 60 // hourly runs: more than a day of them
	budgetWindow = 24 * time.Hour
)

// Plan computes what Apply would do with the job, reading the state
// (generations, cursors, files, leases, run summaries) and nothing from
// Instagram: discover blocks are shown as discovered at apply time, plus
// the accounts an earlier run discovered (known from the state). Its
// estimates count the operations the streams' op functions list for each
// account (see ops.go), with the state's figures where apply would learn
// them from the API (media count, live stories, day boundary).
func (j *Job) Plan(ctx context.Context, o Options) (*Plan, error) {
	s, err := openSession(ctx, j, o)
	if err != nil {
		return nil, err
	}
	defer s.close()
	p := &Plan{
		Format: PlanFormat, Version: o.version(), CreatedAt: s.now, Today: schema.DateOf(s.now),
		SnapshotDate: s.snapDT, Config: j.Config, ConfigDigest: j.ConfigDigest,
		GraphAPIVersion: j.GraphAPIVersion,
		Destination:     Location{URL: sinks.RedactURL(j.Destination.URL), Prefix: j.Destination.Prefix},
		State:           Location{URL: sinks.RedactURL(j.State.URL), Prefix: j.State.Prefix},
		Selection:       j.Selection,
		Warnings:        s.warnings(),
	}
	for _, st := range schema.Names() {
		if s.selected(st) {
			p.Streams = append(p.Streams, st)
		}
	}

	past, err := readPastRuns(ctx, s.state)
	if err != nil {
		p.Warnings = append(p.Warnings, fmt.Sprintf("run summaries not read: %v", err))
	}

	// Accounts: the account blocks, plus, with discover blocks, the
	// accounts of the state that no account block names.
	targets := slices.Clone(j.Accounts)
	explicit := map[string]bool{}
	for _, a := range j.Accounts {
		explicit[a.ID] = true
	}
	fromState := map[string]bool{}
	var blocks []Discover // the discover blocks planned, as p.Discover
	for _, d := range j.Discover {
		if j.Selection.skips(d) {
			continue
		}
		blocks = append(blocks, d)
		est := countOps(discoverOps(d.Login))
		dp := DiscoverPlan{Name: d.Name, Include: d.Include, Exclude: d.Exclude, Estimate: est}
		if d.Login == loginInstagram {
			dp.Login = loginInstagram // one GET /me: exact
		} else {
			dp.Estimate.LowerBound = true // pages of Pages
		}
		p.Discover = append(p.Discover, dp)
	}
	if len(blocks) > 0 {
		ids, err := s.state.ListAccounts(ctx)
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
			// Without a username, a discover block keeps it.
			block := slices.IndexFunc(blocks, func(d Discover) bool { return (name == id && !d.Account) || d.Match(name) })
			if block < 0 {
				continue // excluded by every discover block's globs now
			}
			b := blocks[block]
			p.Discover[block].Known = append(p.Discover[block].Known, name)
			targets = append(targets, Target{Name: name, ID: id, Login: b.Login, StartDate: b.StartDate})
			fromState[id] = true
		}
	}
	if len(targets) > 0 {
		targets, err = selectTargets(j.Selection, targets, nil)
		if err != nil {
			if len(j.Discover) == 0 {
				return nil, err
			}
			// -account may name an account discovered at apply time.
			targets = nil
		}
	} else if len(j.Discover) == 0 {
		_, err := selectTargets(j.Selection, nil, nil)
		return nil, err
	}

	for _, t := range targets {
		ap, err := s.planAccount(ctx, t, past)
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
	planTokens(ctx, s, p) // tokens.go: debug_token, unless o.Offline
	if len(p.Discover) > 0 && len(j.Selection.Accounts) > 0 && len(targets) == 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("-account %s matches no account known before discovery: it may match one discovered at apply time",
			strings.Join(j.Selection.Accounts, ", ")))
	}
	return p, nil
}

// stateAdvice says how to recover an account whose state cannot be read.
func stateAdvice(t Target, err error) string {
	if strings.Contains(err.Error(), "corrupt") || strings.Contains(err.Error(), "format") {
		return fmt.Sprintf("the newest state generation of %s cannot be used: delete the object named above and the account continues from the generation before it (`igexport state show %s` lists what each generation holds), or restore the object from a copy", t.Name, t.ID)
	}
	return "check that the state store is reachable and readable with these credentials, then run plan again"
}

// planAccount plans one account from its state.
func (s *session) planAccount(ctx context.Context, t Target, past pastRuns) (AccountPlan, error) {
	ap := AccountPlan{Name: t.Name, AccountID: t.ID, Source: "account"}
	st, err := s.state.LoadState(ctx, t.ID)
	if err != nil {
		return ap, fmt.Errorf("account %s: %w", t.Name, err)
	}
	if st != nil {
		ap.Generation = st.Generation
		ap.LastRunID = st.RunID
		at := st.CommittedAt
		ap.LastCommittedAt = &at
	}
	if li, err := s.state.ReadLease(ctx, t.ID); err != nil {
		ap.Warnings = append(ap.Warnings, fmt.Sprintf("lease not readable: %v", err))
	} else if li != nil && !li.Expired(s.now) {
		ap.Lease = li
		ap.Warnings = append(ap.Warnings, fmt.Sprintf("locked by run %s on host %s until %s: apply will skip this account (exit 3) unless that run ends first; `igexport state unlock %s` forces it",
			li.RunID, li.Host, li.ExpiresAt.UTC().Format(time.RFC3339), t.ID))
	}
	prev := func(name string) *sinks.StreamState {
		if st == nil {
			return nil
		}
		return st.Streams[name]
	}

	media, mediaBasis := s.mediaCount(ctx, t, prev)
	listed := false // the media list is fetched once, by media or media_insights
	storiesListed := false
	for _, name := range schema.Names() {
		if !s.selected(name) {
			continue
		}
		info, _ := schema.Lookup(name)
		sp := StreamPlan{Stream: name, Kind: info.Kind}
		snapshot := func() {
			sp.Fetch = "snapshot"
			sp.Partitions = s.partitions(name, t.ID, s.snapDT, s.snapDT)
		}
		switch name {
		case schema.Users:
			snapshot()
			sp.Estimate = countOps(usersOps(t.ID))
		case schema.Media, schema.MediaInsights, schema.Comments:
			if name == schema.Comments {
				sp.Fetch = "changed"
				sp.Partitions = Partitions{Pattern: s.data.FullKey(strings.Replace(sinks.DataKey(name, s.snapDT, t.ID), "dt="+s.snapDT.String(), "dt=*", 1))}
			} else {
				snapshot()
			}
			if !listed {
				listed = true
				sp.Estimate = countOps(listOps(t.ID, "media", mediaFieldsFor(t.Login), media))
				sp.Estimate.LowerBound = mediaBasis == ""
			}
			if name == schema.Media {
				sp.Basis = mediaBasisText(media, mediaBasis)
				break
			}
			if name == schema.Comments {
				s.planComments(ctx, &sp, t, prev(name), prev(schema.Media))
				break
			}
			spec := s.job.SpecFor(name, t.Login)
			n, what, note := insightsMedia(spec, media, mediaBasis, prev(schema.MediaInsights))
			refs, exact := estimatedMedia(n, spec, prev(schema.MediaInsights))
			e := countOps(mediaInsightOps(refs, spec.Metrics))
			e.LowerBound = mediaBasis == "" || !exact
			if so := shareOnlyAsked(spec.Metrics); len(so) > 0 {
				e.LowerBound = true
				sp.Notes = append(sp.Notes, shareOnlyNote(so))
			}
			sp.Estimate.Add(e)
			sp.Basis = mediaInsightsBasis(n, what, e.Calls)
			if note != "" {
				sp.Notes = append(sp.Notes, note)
			}
		case schema.Stories, schema.StoryInsights:
			sp.Fetch = "live"
			sp.Partitions = s.partitions(name, t.ID, schema.DateOf(s.now).AddDays(1-storyLiveDays), schema.DateOf(s.now))
			if !storiesListed {
				storiesListed = true
				sp.Estimate = countOps(listOps(t.ID, "stories", storyFieldsFor(t.Login), 0))
			}
			if name == schema.Stories {
				sp.Basis = "live stories: one page"
				break
			}
			n, basis := liveStories(st)
			spec := s.job.SpecFor(name, t.Login)
			metrics := spec.Metrics[catalog.Story]
			e := countOps(storyInsightOps(make([]string, n), metrics))
			e.LowerBound = basis == ""
			if so := shareOnlyAsked(spec.Metrics); len(so) > 0 {
				e.LowerBound = true
				sp.Notes = append(sp.Notes, shareOnlyNote(so))
			}
			sp.Estimate.Add(e)
			if basis == "" {
				sp.Basis = "live stories unknown (no stories in the state)"
			} else {
				sp.Basis = fmt.Sprintf("≈%d live stories (%s), %d operation(s) each", n, basis, len(storyInsightOps([]string{""}, metrics)))
			}
		case schema.UserInsights:
			s.planUserInsights(ctx, &sp, t, prev(name))
		case schema.UserLifetimeInsights:
			snapshot()
			ops := lifetimeOps(t.ID, s.job.SpecFor(name, t.Login))
			sp.Estimate = countOps(ops)
			sp.Basis = fmt.Sprintf("%d metric × breakdown operations", len(ops))
		}
		ap.Estimate.Add(sp.Estimate)
		ap.Streams = append(ap.Streams, sp)
	}
	if t.Login == loginInstagram {
		ap.Login = loginInstagram
		ap.Notes = append(ap.Notes, instagramLoginNote(ap.Estimate, s.job.Catalog))
	}
	if b := past.budget(t.ID, s.now); b != nil {
		ap.Budget = b
		maxUsage := s.job.RateLimit.MaxUsagePercent
		if ap.Estimate.Calls > b.Left {
			ap.Warnings = append(ap.Warnings, fmt.Sprintf(
				"about %d API calls planned, more than the ≈%d the usage headers suggest are left (%d%% used after %d calls in %d run(s) of 24 h, up to run %s): expect throttling; past rate_limit.max_wait the account is deferred (exit 3)",
				ap.Estimate.Calls, b.Left, b.UsagePercent, b.WindowCalls, b.WindowRuns, b.RunID))
		} else if slow := b.Total*int64(maxUsage)/100 - (b.Total - b.Left); ap.Estimate.Calls > slow {
			ap.Warnings = append(ap.Warnings, fmt.Sprintf(
				"about %d API calls planned: past ≈%d usage goes above max_usage_percent (%d%%) and igexport slows down",
				ap.Estimate.Calls, max(slow, 0), maxUsage))
		}
	}
	return ap, nil
}

// partitions describes the partitions of stream for days from..to.
func (s *session) partitions(stream, accountID string, from, to schema.Date) Partitions {
	if to < from {
		return Partitions{}
	}
	n := int(to-from) + 1
	if n <= storyLiveDays {
		var keys []string
		for d := from; d <= to; d = d.AddDays(1) {
			keys = append(keys, s.data.FullKey(sinks.DataKey(stream, d, accountID)))
		}
		return Partitions{Keys: keys, Count: n}
	}
	pattern := s.data.FullKey(strings.Replace(sinks.DataKey(stream, from, accountID), "dt="+from.String(), "dt=*", 1))
	return Partitions{Pattern: pattern, From: &from, To: &to, Count: n}
}

// mediaCount estimates the account's media: the rows of the last committed
// media file, else the count the comments stream recorded, else the users
// stream's media_count. basis is "" when unknown.
func (s *session) mediaCount(ctx context.Context, t Target, prev func(string) *sinks.StreamState) (int64, string) {
	if ms := prev(schema.Media); ms != nil && len(ms.Files) > 0 {
		return ms.Files[len(ms.Files)-1].Rows, "last media file"
	}
	if cs := prev(schema.Comments); cs != nil && cs.Comments != nil && cs.Comments.Media > 0 {
		return cs.Comments.Media, "media the last comments run listed"
	}
	if us := prev(schema.Users); us != nil && us.LastSnapshot != nil {
		rows, err := sinks.ReadRows[schema.User](ctx, s.data, sinks.DataKey(schema.Users, *us.LastSnapshot, t.ID))
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

// estimatedMedia stands for n media in mediaInsightOps: of the kinds the
// last run asked (the state's MediaKinds) when they add up to n, spread
// evenly over the batches (the real order is the listing's), else each of
// the kind with metrics that takes the fewest operations. The operations
// per kind are then exact (exact), the round trips those of an even mix;
// otherwise the operations are exact only when every kind takes as many.
func estimatedMedia(n int64, spec StreamSpec, prev *sinks.StreamState) (refs []mediaRef, exact bool) {
	refs = make([]mediaRef, n)
	if prev != nil {
		var sum int64
		for _, k := range catalog.MediaKinds {
			sum += prev.MediaKinds[string(k)]
		}
		if sum == n && n > 0 {
			taken := map[catalog.Kind]int64{}
			for i := range refs {
				// The kind furthest behind its share of the first i+1.
				best, gap := catalog.MediaKinds[0], int64(-1<<62)
				for _, k := range catalog.MediaKinds {
					c := prev.MediaKinds[string(k)]
					if c == 0 || taken[k] == c {
						continue
					}
					if g := c*int64(i+1) - taken[k]*n; g > gap {
						best, gap = k, g
					}
				}
				refs[i].kind = best
				taken[best]++
			}
			return refs, true
		}
	}
	fewest, ops := catalog.Kind(""), map[catalog.Kind]int{}
	for _, k := range catalog.MediaKinds {
		if len(spec.Metrics[k]) == 0 {
			continue
		}
		ops[k] = len(mediaInsightOps([]mediaRef{{kind: k}}, spec.Metrics))
		if fewest == "" || ops[k] < ops[fewest] {
			fewest = k
		}
	}
	exact = true
	for _, c := range ops {
		exact = exact && c == ops[fewest]
	}
	for i := range refs {
		refs[i].kind = fewest
	}
	return refs, exact
}

// insightsMedia estimates the media whose insights are fetched: all of them,
// or with max_media_age_days the rows of the last media_insights file. It
// returns their number, what it rests on ("" when unknown) and a note.
func insightsMedia(spec StreamSpec, media int64, basis string, prev *sinks.StreamState) (int64, string, string) {
	if spec.MaxMediaAgeDays > 0 && prev != nil && len(prev.Files) > 0 {
		n := prev.Files[len(prev.Files)-1].Rows
		return n, fmt.Sprintf("≈%d media younger than %d days (last media_insights file)", n, spec.MaxMediaAgeDays),
			fmt.Sprintf("media older than max_media_age_days (%d) are not refreshed", spec.MaxMediaAgeDays)
	}
	note := ""
	if spec.MaxMediaAgeDays > 0 {
		note = fmt.Sprintf("media older than max_media_age_days (%d) are not refreshed (not counted out of this estimate)", spec.MaxMediaAgeDays)
	}
	if basis == "" {
		return 0, "", note
	}
	return media, fmt.Sprintf("≈%d media (%s)", media, basis), note
}

// mediaInsightsBasis is the basis of a media_insights estimate of calls
// operations for n media (what: insightsMedia's).
func mediaInsightsBasis(n int64, what string, calls int64) string {
	switch {
	case what == "":
		return "media count unknown (no state yet): one batch operation per media"
	case calls > n:
		// profile_activity_breakdown: an operation more per FEED media.
		return fmt.Sprintf("%s, %d batch operations (the action_type breakdown of FEED media included)", what, calls)
	}
	return what + ", one batch operation each"
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
		k, err := sinks.ParseDataKey(f.Key)
		if err == nil && k.Date >= last.AddDays(1-storyLiveDays) && k.Date <= last {
			n += f.Rows
		}
	}
	return n, "stories of the last run's two days"
}

// planUserInsights plans the incremental stream: the window and the
// operations of the same uiInput apply builds (the day boundary is the
// one the account's last user_insights file tells).
func (s *session) planUserInsights(ctx context.Context, sp *StreamPlan, t Target, prev *sinks.StreamState) {
	spec := s.job.SpecFor(schema.UserInsights, t.Login)
	in := uiInput{accountID: t.ID, spec: spec, start: t.StartDate, from: s.job.Selection.From, to: s.job.Selection.To,
		now: s.now, day: knownDayBoundary(ctx, s.data, t.ID, prev)}
	if prev != nil {
		in.cursor = prev.Cursor
	}
	if in.start == nil {
		in.start = spec.StartDate
	}
	cursor, start := in.cursor, in.start
	w, ok := in.window()
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
			sp.Notes = append(sp.Notes, fmt.Sprintf("from the cursor %s minus lookback_days (%d)", cursor, spec.LookbackDays))
		case start != nil:
			sp.Notes = append(sp.Notes, "first run: from start_date "+start.String())
		default:
			sp.Notes = append(sp.Notes, "first run: from 2 years back, the oldest day the API serves")
		}
	}
	from, to := w.From, w.To
	sp.Since, sp.Until = &from, &to
	sp.Partitions = s.partitions(schema.UserInsights, t.ID, from, to)
	series, _ := seriesOps(in, w)
	totals := totalOps(in, w)
	sp.Estimate = countOps(append(series, totals...))
	sp.Basis = fmt.Sprintf("%d day(s): %d time-series and %d total_value operation(s)", int(to-from)+1, len(series), len(totals))
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

// checkGenerations reports the planned accounts whose state generation
// moved.
func (p *Plan) checkGenerations(ctx context.Context, st *sinks.Store) error {
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
