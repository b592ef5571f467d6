package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/sourcegraph/conc/panics"
	"github.com/sourcegraph/conc/pool"
	"github.com/valyala/fastjson"

	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/internal/catalog"
	"github.com/igexport/igexport/internal/graph"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// SummaryFormat is the format tag of run summaries.
const SummaryFormat = "igexport.run/v1"

// runner holds what one run shares across accounts.
type runner struct {
	cfg     *hcl.Config
	opts    Options
	cat     *catalog.Catalog
	data    *sinks.Store
	state   *sinks.Store
	limiter *graph.Limiter
	http    *http.Client
	streams []string
	runID   string
	now     time.Time
	snapDT  schema.Date

	parsers fastjson.ParserPool // for insights bodies (parseInsightValues)
}

// target is one account to export.
type target struct {
	Name      string
	ID        string
	Token     string
	AppSecret string
	PageID    string
	StartDate *schema.Date
	// pacer is shared by every client of the account: one throttle pause,
	// one pacing rhythm and one max_wait budget per account (SPEC §7).
	pacer *graph.Pacer
}

// Apply runs the export described by cfg and returns the run summary. The
// error is non-nil only when the run could not start (bad destination,
// no accounts); per-account failures are in the summary and its exit code.
func Apply(ctx context.Context, cfg *hcl.Config, o Options) (*Summary, error) {
	r, err := newRunner(ctx, cfg, o)
	if err != nil {
		return nil, err
	}
	defer r.close()
	sum := &Summary{Format: SummaryFormat, RunID: r.runID, Version: o.version(), StartedAt: r.now}
	for _, m := range r.warnings() {
		sum.Warnings = append(sum.Warnings, m)
		r.opts.logger().Warn(m)
	}

	targets, disc := r.resolveAccounts(ctx)
	sum.Discovery = disc
	targets, err = r.selectTargets(targets)
	if err != nil {
		if interruption(ctx) == nil {
			return nil, err
		}
		targets = nil // interrupted during discovery
	}

	results := make([]AccountResult, len(targets))
	p := pool.New().WithContext(ctx).WithMaxGoroutines(max(1, min(len(targets), r.concurrency())))
	for i, t := range targets {
		t.pacer = graph.NewPacer()
		p.Go(func(ctx context.Context) error {
			var res AccountResult
			if rec := panics.Try(func() { res = r.runAccount(ctx, t) }); rec != nil {
				res = AccountResult{Name: t.Name, AccountID: t.ID, Status: StatusFailed,
					Error: fmt.Sprintf("internal error: %v", rec.Value)}
			}
			results[i] = res
			return nil
		})
	}
	_ = p.Wait()

	sum.Accounts = results
	for _, a := range results {
		sum.Totals.Add(a.Counters)
	}
	sum.FinishedAt = o.now()
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

func newRunner(ctx context.Context, cfg *hcl.Config, o Options) (*runner, error) {
	cat, err := catalog.For(cfg.GraphAPIVersion)
	if err != nil {
		return nil, err
	}
	if o.catalog != nil {
		cat = o.catalog
	}
	streams := slices.Clone(cfg.Streams)
	if len(o.Streams) > 0 {
		for _, s := range o.Streams {
			if _, ok := schema.Lookup(s); !ok {
				return nil, fmt.Errorf("unknown stream %q (streams: %s)", s, strings.Join(schema.Names(), ", "))
			}
		}
		streams = slices.DeleteFunc(streams, func(s string) bool { return !slices.Contains(o.Streams, s) })
	}
	data, err := sinks.Open(ctx, cfg.Destination.URL, cfg.Destination.Prefix)
	if err != nil {
		return nil, fmt.Errorf("destination: %w", err)
	}
	state := data
	if cfg.State.URL != cfg.Destination.URL || cfg.State.Prefix != cfg.Destination.Prefix {
		state, err = sinks.Open(ctx, cfg.State.URL, cfg.State.Prefix)
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
	conc := cfg.Concurrency
	if o.Concurrency > 0 {
		conc = o.Concurrency
	}
	return &runner{
		cfg: cfg, opts: o, cat: cat, data: data, state: state,
		limiter: graph.NewLimiter(max(1, conc)),
		http:    &http.Client{Transport: newTransport(conc)},
		streams: streams, runID: o.RunID, now: now, snapDT: snap,
	}, nil
}

func (r *runner) concurrency() int {
	if r.opts.Concurrency > 0 {
		return r.opts.Concurrency
	}
	return max(1, r.cfg.Concurrency)
}

func newTransport(conc int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = max(100, conc*4)
	t.MaxIdleConnsPerHost = max(64, conc*4)
	t.ResponseHeaderTimeout = 60 * time.Second
	return t
}

func (r *runner) close() {
	if r.state != r.data {
		r.state.Close()
	}
	r.data.Close()
	r.http.CloseIdleConnections()
}

func (r *runner) selected(stream string) bool { return slices.Contains(r.streams, stream) }

// warnings lists configured metrics whose deprecation date is near.
func (r *runner) warnings() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range r.streams {
		for _, k := range catalog.StreamKinds(s) {
			for _, m := range r.cat.Select(k, r.cfg.StreamSetting(s).Metrics) {
				if w := r.cat.Warning(m.Name, r.now); w != "" && !seen[w] {
					seen[w] = true
					out = append(out, w)
				}
			}
		}
	}
	return out
}

func (r *runner) client(t target) *graph.Client {
	return graph.New(graph.Options{
		BaseURL:         r.cfg.GraphAPIURL,
		Version:         r.cfg.GraphAPIVersion,
		Token:           t.Token,
		AppSecret:       t.AppSecret,
		HTTPClient:      r.http,
		Limiter:         r.limiter,
		Retry:           graph.RetryPolicy{MaxWait: r.cfg.RateLimit.MaxWait},
		MaxUsagePercent: r.cfg.RateLimit.MaxUsagePercent,
		Logger:          r.opts.logger().With("account", t.Name),
		Pacer:           t.pacer,
	})
}

// resolveAccounts returns the explicit accounts plus every discovered one
// (explicit accounts win on the same IG user id).
func (r *runner) resolveAccounts(ctx context.Context) ([]target, []DiscoveryResult) {
	var out []target
	seen := map[string]bool{}
	for _, a := range r.cfg.Accounts {
		out = append(out, target{Name: a.Name, ID: a.IGUserID, Token: a.AccessToken, AppSecret: a.AppSecret, StartDate: a.StartDate})
		seen[a.IGUserID] = true
	}
	var results []DiscoveryResult
	for _, d := range r.cfg.Discover {
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

type pageJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	IG   *struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	} `json:"instagram_business_account"`
}

func (r *runner) discover(ctx context.Context, d hcl.Discover) ([]target, DiscoveryResult) {
	res := DiscoveryResult{Name: d.Name}
	c := r.client(target{Name: "discover." + d.Name, Token: d.AccessToken, AppSecret: d.AppSecret})
	var out []target
	q := map[string][]string{"fields": {"id,name,instagram_business_account{id,username}"}}
	err := c.Pages(ctx, "/me/accounts", q, func(data json.RawMessage) error {
		var pages []pageJSON
		if err := decode(data, &pages, "/me/accounts"); err != nil {
			return err
		}
		for _, p := range pages {
			res.Pages++
			if p.IG == nil || p.IG.ID == "" {
				res.PagesWithoutIG++
				continue
			}
			if !matchAny(d.Include, p.IG.Username, true) || matchAny(d.Exclude, p.IG.Username, false) {
				res.ExcludedByPattern++
				continue
			}
			name := p.IG.Username
			if name == "" {
				name = p.IG.ID
			}
			out = append(out, target{Name: name, ID: p.IG.ID, Token: d.AccessToken, AppSecret: d.AppSecret, PageID: p.ID})
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

func (r *runner) selectTargets(ts []target) ([]target, error) {
	if len(ts) == 0 {
		return nil, errors.New("no account to export: add an account block, or a discover block whose token sees Instagram business accounts")
	}
	var out []target
	for _, t := range ts {
		if len(r.opts.Accounts) > 0 && !slices.Contains(r.opts.Accounts, t.Name) && !slices.Contains(r.opts.Accounts, t.ID) {
			continue
		}
		if r.opts.Shards > 1 && ShardOf(t.ID, r.opts.Shards) != r.opts.Shard {
			continue
		}
		out = append(out, t)
	}
	if len(out) == 0 && len(r.opts.Accounts) > 0 {
		return nil, fmt.Errorf("no account matches -account %s", strings.Join(r.opts.Accounts, ", "))
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

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}
