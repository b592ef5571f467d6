package export

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/sourcegraph/conc/panics"
	"github.com/sourcegraph/conc/pool"
	"github.com/valyala/fastjson"

	"github.com/igexport/igexport/internal/graph"
)

// SummaryFormat is the format tag of run summaries.
const SummaryFormat = "igexport.run/v1"

// runner is a session with the network machinery of apply: the HTTP
// transport, the requests-in-flight limiter and the parser pool.
type runner struct {
	*session
	limiter *graph.Limiter
	http    *http.Client
	parsers fastjson.ParserPool // for insights bodies (parseInsightValues)
	// uiParsers is for user insights bodies (userInsights.read): a month
	// of values of several metrics, tens of KB where a media's insights
	// are ~3 KB; a parser keeps the size of what it parsed, and these go
	// once an account's user insights are read.
	uiParsers fastjson.ParserPool
	budget    *writeBudget // partition writers and buffered rows of the run
	// uiCallOps is the operations of one user_insights Batch call (see
	// insightsPOSTsPerCall), set once the run knows its accounts.
	uiCallOps int

	tokens map[string]*TokenHealth // by token, once healthyTargets ran (tokens.go)
	// igBatch is the Instagram host's batch support, found by the run's
	// first batch POST to it (graph.BatchSupport); Facebook Login clients
	// have none: graph.facebook.com documents batch requests.
	igBatch *graph.BatchSupport

	// legacy is the run's listing of old-layout files, made when an
	// account first needs it (migrate.go); set once the run knows its
	// accounts.
	legacy *legacyIndex

	mu      sync.Mutex
	retired map[string][]string // node type → fields the API does not know, dropped (listing.go)
}

// target is one account to export in this run.
type target struct {
	Target
	// pacer is shared by every client of the account: one throttle pause,
	// one pacing rhythm and one max_wait budget per account (SPEC §7).
	pacer *graph.Pacer
}

// Apply runs the job and returns the run summary. The error is non-nil
// only when the run could not start (bad destination, no accounts);
// per-account failures are in the summary and its exit code.
func (j *Job) Apply(ctx context.Context, o Options) (*Summary, error) {
	s, err := openSession(ctx, j, o)
	if err != nil {
		return nil, err
	}
	r := newRunner(s)
	defer r.close()
	sum := &Summary{Format: SummaryFormat, RunID: r.runID, Version: o.version(), StartedAt: r.now}
	for _, m := range r.warnings() {
		sum.Warnings = append(sum.Warnings, m)
		r.opts.logger().Warn(m)
	}

	targets, skipped, err := r.healthyTargets(ctx, sum) // tokens.go: debug_token before any export request
	if err != nil {
		if interruption(ctx) == nil {
			return nil, err
		}
		targets = nil // interrupted during discovery
	}
	if failed := failedDiscoveries(sum.Discovery); len(targets) == 0 && len(skipped) == 0 && failed != "" {
		// The summary says what failed (and exits 1), rather than "no
		// account to export".
		r.opts.logger().Error("no account to export, because discovery failed: " + failed)
	}

	if c, ok := r.opts.progress().(AccountCounter); ok {
		c.AccountsSelected(len(targets))
	}
	results := make([]AccountResult, len(targets))
	r.legacy = newLegacyIndex(targets)
	r.uiCallOps = insightsPOSTsPerCall(len(targets), j.Concurrency) * graph.MaxBatchOps
	p := pool.New().WithContext(ctx).WithMaxGoroutines(accountsInFlight(len(targets), j.Concurrency))
	for i, t := range targets {
		p.Go(func(ctx context.Context) error {
			var res AccountResult
			if rec := panics.Try(func() { res = r.runAccount(ctx, target{Target: t, pacer: graph.NewPacer()}) }); rec != nil {
				res = AccountResult{Name: t.Name, AccountID: t.ID, Status: StatusFailed,
					Error: fmt.Sprintf("internal error: %v", rec.Value)}
			}
			results[i] = res
			return nil
		})
	}
	_ = p.Wait()

	sum.Accounts = append(r.withTokenHealth(results, targets), skipped...)
	for _, a := range results {
		sum.Totals.Add(a.Counters)
	}
	sum.FinishedAt = r.clock()
	sum.Duration = Duration(sum.FinishedAt.Sub(sum.StartedAt))
	sum.ExitCode = sum.exitCode()
	sum.Status = map[int]Status{0: StatusOK, 1: StatusFailed, 3: StatusDeferred}[sum.ExitCode]
	if ie := interruption(ctx); ie != nil {
		sum.Status, sum.ExitCode = StatusInterrupted, ie.ExitCode
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	if err := r.putSummary(sctx, sum); err != nil {
		sum.Warnings = append(sum.Warnings, err.Error())
		r.opts.logger().Warn("could not store the run summary", "err", err)
	}
	return sum, nil
}

func newRunner(s *session) *runner {
	budget := s.opts.budget
	if budget == nil {
		budget = newWriteBudget()
	}
	return &runner{session: s,
		limiter: graph.NewLimiter(s.job.Concurrency),
		budget:  budget,
		// The one transport of the run: redirects stay on the Graph API's
		// origin, and each client bounds its requests (Job.Timeouts).
		http:    graph.NewHTTPClient(s.job.Concurrency * 4),
		igBatch: &graph.BatchSupport{},
	}
}

func (r *runner) close() {
	r.session.close()
	r.http.CloseIdleConnections()
}

// client is a Graph API client for one account (or discover block) with a
// login kind: Instagram Login accounts go to instagram_api_url.
func (r *runner) client(name, token, appSecret, login string, pacer *graph.Pacer) *graph.Client {
	base := r.job.GraphAPIURL
	var batch *graph.BatchSupport
	if loginOrDefault(login) == loginInstagram {
		base, batch = r.job.InstagramAPIURL, r.igBatch
	}
	return graph.New(graph.Options{
		BaseURL:         base,
		Batch:           batch,
		Version:         r.job.GraphAPIVersion,
		Token:           token,
		AppSecret:       appSecret,
		HTTPClient:      r.http,
		Timeouts:        r.job.Timeouts,
		Limiter:         r.limiter,
		Retry:           graph.RetryPolicy{MaxWait: r.job.RateLimit.MaxWait},
		MaxUsagePercent: r.job.RateLimit.MaxUsagePercent,
		Logger:          r.opts.logger().With("account", name),
		Pacer:           pacer,
	})
}

// resolveAccounts returns the explicit accounts plus every discovered one
// (explicit accounts win on the same IG user id).
func (r *runner) resolveAccounts(ctx context.Context) ([]Target, []DiscoveryResult) {
	out := slices.Clone(r.job.Accounts)
	seen := map[string]bool{}
	for _, a := range out {
		seen[a.ID] = true
	}
	var results []DiscoveryResult
	for _, d := range r.job.Discover {
		if r.job.Selection.skips(d) {
			continue
		}
		found, res := r.discover(ctx, d)
		results = append(results, res)
		for _, t := range found {
			if !seen[t.ID] {
				seen[t.ID] = true
				out = append(out, t)
			}
		}
	}
	return out, results
}

func (r *runner) discover(ctx context.Context, d Discover) ([]Target, DiscoveryResult) {
	if d.Login == loginInstagram {
		return r.discoverInstagram(ctx, d)
	}
	res := DiscoveryResult{Name: d.Name}
	c := r.client("discover."+d.Name, d.Token, d.AppSecret, d.Login, nil)
	var out []Target
	op := discoverOps(d.Login)[0]
	err := c.PageItems(ctx, op.Path, op.Params, func(items []*fastjson.Value) error {
		pages, err := decodePages(items)
		if err != nil {
			return fmt.Errorf("malformed response from %s: %w", op.Path, err)
		}
		for _, p := range pages {
			res.Pages++
			if p.igID == "" { // no instagram_business_account (decodePages checks its id)
				res.PagesWithoutIG++
				continue
			}
			if !d.Match(p.igUsername) {
				res.ExcludedByPattern++
				continue
			}
			name := p.igUsername
			if name == "" {
				name = p.igID
			}
			out = append(out, Target{Name: name, ID: p.igID, Token: d.Token, AppSecret: d.AppSecret, PageID: p.id,
				AppID: d.AppID, Login: d.Login})
			res.Accounts = append(res.Accounts, name)
		}
		return nil
	})
	if ie := interruption(ctx); err != nil && ie != nil {
		res.Error = ie.Error()
	} else if err != nil {
		res.Error = describe(err)
		r.opts.logger().Error("discovery failed", "discover", d.Name, "err", res.Error)
	}
	return out, res
}

// discoverInstagram resolves a discover block with an Instagram Login
// token: GET /me?fields=user_id,username names the token's one account.
func (r *runner) discoverInstagram(ctx context.Context, d Discover) ([]Target, DiscoveryResult) {
	res := DiscoveryResult{Name: d.Name, Login: loginInstagram}
	c := r.client("discover."+d.Name, d.Token, d.AppSecret, d.Login, nil)
	op := discoverOps(d.Login)[0]
	var me struct {
		UserID   flexString `json:"user_id"`
		Username string     `json:"username"`
	}
	err := c.Get(ctx, op.Path, op.Params, &me)
	switch {
	case err == nil && me.UserID == "":
		err = fmt.Errorf("malformed response from %s: %w", op.Path, missingKey("user_id"))
	case err == nil && !isDigits(string(me.UserID)):
		err = fmt.Errorf("malformed response from %s: user_id %q is not a numeric Instagram user id", op.Path, string(me.UserID))
	}
	if err != nil {
		if ie := interruption(ctx); ie != nil {
			res.Error = ie.Error()
		} else {
			res.Error = describe(err)
			r.opts.logger().Error("discovery failed", "discover", d.Name, "err", res.Error)
		}
		return nil, res
	}
	name := me.Username
	switch {
	case d.Account:
		name = d.Name // an account block: its name, whatever the username
	case !d.Match(me.Username):
		res.ExcludedByPattern++
		return nil, res
	case name == "":
		name = string(me.UserID)
	}
	res.Accounts = append(res.Accounts, name)
	return []Target{{Name: name, ID: string(me.UserID), Token: d.Token, AppSecret: d.AppSecret, AppID: d.AppID,
		Login: d.Login, StartDate: d.StartDate}}, res
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func matchAny(globs []string, s string, emptyMeans bool) bool {
	if len(globs) == 0 {
		return emptyMeans
	}
	for _, g := range globs {
		if ok, _ := path.Match(g, s); ok {
			return true
		}
	}
	return false
}

// ShardOf returns the shard (0..n-1) of an IG user id: a stable hash, so
// adding an account never moves another one.
func ShardOf(igUserID string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(igUserID))
	return int(h.Sum64() % uint64(n))
}

// failedDiscoveries lists the discover blocks that failed and why, or "".
func failedDiscoveries(disc []DiscoveryResult) string {
	var failed []string
	for _, d := range disc {
		if d.Error != "" {
			failed = append(failed, fmt.Sprintf("discover %q failed: %s", d.Name, d.Error))
		}
	}
	return strings.Join(failed, "; ")
}

// selectTargets keeps the accounts the selection names (-account, -shard).
// No account at all, or none that -account names, is an error, unless a
// discovery (disc) failed: then the run goes on with none, and its summary
// reports the failure (exit 1) rather than blaming the config.
func selectTargets(sel Selection, ts []Target, disc []DiscoveryResult) ([]Target, error) {
	failed := failedDiscoveries(disc) != ""
	if len(ts) == 0 {
		if failed {
			return nil, nil
		}
		return nil, errors.New("no account to export: add an account block, or a discover block whose token sees Instagram business accounts")
	}
	var out []Target
	for _, t := range ts {
		if len(sel.Accounts) > 0 && !slices.Contains(sel.Accounts, t.Name) && !slices.Contains(sel.Accounts, t.ID) {
			continue
		}
		if sel.Shards > 1 && ShardOf(t.ID, sel.Shards) != sel.Shard {
			continue
		}
		out = append(out, t)
	}
	if len(out) == 0 && len(sel.Accounts) > 0 && !failed {
		return nil, fmt.Errorf("no account matches -account %s", strings.Join(sel.Accounts, ", "))
	}
	return out, nil
}

func (r *runner) putSummary(ctx context.Context, s *Summary) error {
	b, err := marshalJSON(s)
	if err != nil {
		return err
	}
	return r.state.PutRun(ctx, s.RunID, b)
}
