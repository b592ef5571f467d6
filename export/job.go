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

// This file is the job resolver: the one place of the engine that reads the
// hcl package. Everything after it sees a plain Job.

// Job is a config resolved for one run: the accounts and discover blocks,
// the selected streams with their catalog metrics and settings, the
// destinations and the rate limits. Plan and apply both start from it.
type Job struct {
	// Config is the path of the config file, ConfigDigest its digest (see
	// ConfigDigest).
	Config       string
	ConfigDigest string

	GraphAPIURL     string
	GraphAPIVersion string
	Catalog         *catalog.Catalog
	// Concurrency bounds the requests in flight across all accounts.
	Concurrency int
	// Timeouts bound every Graph API request (request_timeout,
	// read_idle_timeout; zero fields: graph's defaults).
	Timeouts graph.Timeouts
	// InstagramAPIURL is the base of Instagram Login accounts; TokenWarnDays
	// the token health warning window (tokens.go).
	InstagramAPIURL string
	TokenWarnDays   int

	// Accounts are the account blocks, in config order.
	Accounts []Target
	// Discover are the discover blocks, in config order.
	Discover []Discover
	// Streams are the selected streams, in config order.
	Streams []string
	// Specs are the settings of every stream (selected or not).
	Specs map[string]StreamSpec
	// Selection is the -account/-stream/-shard/-from/-to/... selection.
	Selection Selection

	Destination Location
	Compression string
	State       Location
	RateLimit   RateLimit

	problems []error
}

// Target is one account to export.
type Target struct {
	Name      string
	ID        string
	Token     string
	AppSecret string
	// PageID is the Facebook Page of a discovered account.
	PageID string
	// StartDate is the account block's first-run lower bound of user_insights.
	StartDate *schema.Date
	// AppID (with AppSecret: debug_token with the app token) and Login
	// ("facebook" or "instagram") of the account block.
	AppID, Login string
}

// Discover is one discover block, or an account block with login =
// "instagram" and no ig_user_id (Account): its token's GET /me names the
// account, exported under the block's name.
type Discover struct {
	Name             string
	Token, AppSecret string
	Include, Exclude []string
	AppID, Login     string
	// Account marks an account block resolved by discovery; StartDate is
	// its start_date.
	Account   bool
	StartDate *schema.Date
}

// skips reports whether the selection leaves out an account block resolved
// by discovery (d.Account): -account names other accounts only. A discover
// block is never skipped: its accounts are known after discovery.
func (s Selection) skips(d Discover) bool {
	return d.Account && len(s.Accounts) > 0 && !slices.Contains(s.Accounts, d.Name)
}

// Match reports whether an account with that username passes the block's
// globs; an account block's one account is known by the block's name.
func (d Discover) Match(username string) bool {
	if d.Account {
		return username == d.Name
	}
	return matchAny(d.Include, username, true) && !matchAny(d.Exclude, username, false)
}

// StreamSpec is the resolved settings of one stream.
type StreamSpec struct {
	// Metrics are the catalog metrics requested, per kind of object.
	Metrics map[catalog.Kind][]catalog.Metric
	// LookbackDays, StartDate (user_insights), MaxMediaAgeDays
	// (media_insights), Breakdowns and Timeframe (user_lifetime_insights),
	// defaults applied.
	LookbackDays    int
	StartDate       *schema.Date
	MaxMediaAgeDays int
	Breakdowns      []string
	Timeframe       string
	// RefreshDays and Usernames (comments; see hcl.StreamConfig).
	RefreshDays int
	Usernames   string
}

// RateLimit is the pacing and throttling budget of every account.
type RateLimit struct {
	MaxUsagePercent int
	MaxWait         time.Duration
}

// ResolveJob resolves cfg and the selection of o into a Job. Problems
// (unknown streams, a bad selection, a catalog that lacks the API version)
// are kept for Validate, which ResolveJob does not call.
func ResolveJob(cfg *hcl.Config, o Options) *Job {
	j := &Job{
		Config: cfg.Path, ConfigDigest: ConfigDigest(cfg),
		GraphAPIURL: cfg.GraphAPIURL, GraphAPIVersion: cfg.GraphAPIVersion,
		Concurrency: max(1, cfg.Concurrency),
		Timeouts:    graph.Timeouts{Request: cfg.RequestTimeout, ReadIdle: cfg.ReadIdleTimeout},
		Specs:       map[string]StreamSpec{},
		Selection:   o.Selection(),
		Destination: Location{URL: cfg.Destination.URL, Prefix: cfg.Destination.Prefix},
		Compression: cfg.Destination.Compression,
		State:       Location{URL: cfg.State.URL, Prefix: cfg.State.Prefix},
		RateLimit:   RateLimit{MaxUsagePercent: cfg.RateLimit.MaxUsagePercent, MaxWait: cfg.RateLimit.MaxWait},
	}
	if o.Concurrency > 0 {
		j.Concurrency = o.Concurrency
	}
	j.InstagramAPIURL, j.TokenWarnDays = cfg.InstagramAPIURL, cfg.TokenWarnDays
	cat, err := catalog.For(cfg.GraphAPIVersion)
	if o.catalog != nil {
		cat, err = o.catalog, nil
	}
	if err != nil {
		j.problems = append(j.problems, err)
		cat = catalog.New(cfg.GraphAPIVersion, nil)
	}
	j.Catalog = cat
	for _, a := range cfg.Accounts {
		if a.IGUserID == "" && a.Login == loginInstagram {
			// Resolved by GET /me at apply time, like a discover block
			// (listed first, so that its account keeps the block's name).
			j.Discover = append(j.Discover, Discover{Name: a.Name, Token: a.AccessToken, AppSecret: a.AppSecret,
				AppID: a.AppID, Login: a.Login, Account: true, StartDate: a.StartDate})
			continue
		}
		j.Accounts = append(j.Accounts, Target{Name: a.Name, ID: a.IGUserID, Token: a.AccessToken,
			AppSecret: a.AppSecret, StartDate: a.StartDate, AppID: a.AppID, Login: a.Login})
	}
	for _, d := range cfg.Discover {
		j.Discover = append(j.Discover, Discover{Name: d.Name, Token: d.AccessToken, AppSecret: d.AppSecret,
			Include: d.Include, Exclude: d.Exclude, AppID: d.AppID, Login: d.Login})
	}
	j.Streams = slices.Clone(cfg.Streams)
	if len(o.Streams) > 0 {
		j.Streams = slices.DeleteFunc(j.Streams, func(s string) bool { return !slices.Contains(o.Streams, s) })
	}
	for _, s := range schema.Names() {
		set := cfg.StreamSetting(s)
		spec := StreamSpec{Metrics: map[catalog.Kind][]catalog.Metric{}, LookbackDays: set.LookbackDays,
			StartDate: set.StartDate, MaxMediaAgeDays: set.MaxMediaAgeDays,
			Breakdowns: slices.Clone(set.Breakdowns), Timeframe: set.Timeframe,
			RefreshDays: set.RefreshDays, Usernames: set.Usernames}
		for _, k := range catalog.StreamKinds(s) {
			spec.Metrics[k] = cat.Select(k, set.Metrics)
			if s == schema.MediaInsights && !set.ProfileActivityBreakdown {
				// The breakdown costs an operation of its own per media:
				// without profile_activity_breakdown the total rides with
				// the plain metrics and the bucket columns stay NULL.
				for i := range spec.Metrics[k] {
					spec.Metrics[k][i].Breakdown = ""
				}
			}
		}
		// A hand-built config may leave them empty: hcl's defaults then.
		def := (&hcl.Config{}).StreamSetting(s)
		if len(spec.Breakdowns) == 0 {
			spec.Breakdowns = def.Breakdowns
		}
		if spec.Timeframe == "" {
			spec.Timeframe = def.Timeframe
		}
		if spec.Usernames == "" {
			spec.Usernames = def.Usernames
		}
		j.Specs[s] = spec
	}
	j.problems = append(j.problems, j.Selection.problems(j, o.now())...)
	return j
}

// problems lists what is wrong with a selection for job j at now: the one
// validation of a run's selectors, whether they come from flags or from a
// saved plan (CheckSelection). Each problem matches ErrInvalidSelection and
// names the selector by its flag.
func (s Selection) problems(j *Job, now time.Time) []error {
	var out []error
	for _, st := range s.Streams {
		if _, ok := schema.Lookup(st); !ok {
			out = append(out, invalid("-stream %q: unknown stream (streams: %s)", st, strings.Join(schema.Names(), ", ")))
		}
	}
	if s.To != nil && s.From == nil {
		out = append(out, invalid("-to needs -from"))
	}
	if s.From != nil && s.To != nil && *s.To < *s.From {
		out = append(out, invalid("-to %s is before -from %s", s.To, s.From))
	}
	today := schema.DateOf(now)
	for _, d := range []struct {
		flag string
		date *schema.Date
	}{{"-from", s.From}, {"-to", s.To}, {"-snapshot-date", s.SnapshotDate}} {
		if d.date != nil && *d.date > today {
			out = append(out, invalid("%s %s is after today (%s, UTC): there is no data for a day that has not happened yet", d.flag, d.date, today))
		}
	}
	if s.Concurrency < 0 {
		out = append(out, invalid("-concurrency %d: want a positive number", s.Concurrency))
	}
	if err := checkShard(s.Shard, s.Shards); err != nil {
		out = append(out, err)
	}
	if !slices.ContainsFunc(j.Discover, func(d Discover) bool { return !d.Account }) {
		for _, a := range s.Accounts {
			if !slices.ContainsFunc(j.Accounts, func(t Target) bool { return t.Name == a || t.ID == a }) &&
				!slices.ContainsFunc(j.Discover, func(d Discover) bool { return d.Name == a }) {
				var names []string
				for _, t := range j.Accounts {
					names = append(names, t.Name)
				}
				for _, d := range j.Discover {
					names = append(names, d.Name)
				}
				out = append(out, invalid("-account %q: no such account in %s (accounts: %s)", a, j.Config, strings.Join(names, ", ")))
			}
		}
	}
	return out
}

// Validate reports every problem of the job at once (errors.Join), nil
// when it can run.
func (j *Job) Validate() error { return errors.Join(j.problems...) }

// Spec returns the settings of stream s.
func (j *Job) Spec(s string) StreamSpec { return j.Specs[s] }

// Selected reports whether stream s is part of the run.
func (j *Job) Selected(s string) bool { return slices.Contains(j.Streams, s) }

// Apply runs the export described by cfg and returns the run summary. The
// error is non-nil only when the run could not start (bad selection or
// destination, no accounts); per-account failures are in the summary and
// its exit code.
func Apply(ctx context.Context, cfg *hcl.Config, o Options) (*Summary, error) {
	j := ResolveJob(cfg, o)
	if err := j.Validate(); err != nil {
		return nil, err
	}
	return j.Apply(ctx, o)
}

// CheckTokens reads the health of cfg's tokens (see Job.CheckTokens).
func CheckTokens(ctx context.Context, cfg *hcl.Config, o Options) []TokenHealth {
	return ResolveJob(cfg, o).CheckTokens(ctx, o)
}

// MakePlan computes what Apply would do with cfg and o, reading the state
// and nothing from Instagram (see Job.Plan).
func MakePlan(ctx context.Context, cfg *hcl.Config, o Options) (*Plan, error) {
	j := ResolveJob(cfg, o)
	if err := j.Validate(); err != nil {
		return nil, err
	}
	return j.Plan(ctx, o)
}

// ConfigDigest is a SHA-256 over what in cfg shapes a run: accounts, discover
// blocks, streams and their settings, destination, state, API and rate
// limits. Secrets and variable values are left out; formatting and comments
// do not count.
func ConfigDigest(cfg *hcl.Config) string {
	// Login (and the Instagram host) count only for Instagram Login
	// blocks, so that the digest of a Facebook Login config stays what it
	// was before they existed.
	type account struct {
		Name, ID  string
		StartDate *schema.Date
		Login     string `json:",omitempty"`
	}
	type discover struct {
		Name             string
		Include, Exclude []string
		Login            string `json:",omitempty"`
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
		InstagramURL string `json:",omitempty"`
	}{URL: cfg.GraphAPIURL, Version: cfg.GraphAPIVersion, Streams: cfg.Streams,
		Destination: cfg.Destination, State: cfg.State, RateLimit: cfg.RateLimit}
	igLogin := func(login string) string {
		if login == loginInstagram {
			d.InstagramURL = cfg.InstagramAPIURL
			return login
		}
		return ""
	}
	for _, a := range cfg.Accounts {
		d.Accounts = append(d.Accounts, account{a.Name, a.IGUserID, a.StartDate, igLogin(a.Login)})
	}
	for _, x := range cfg.Discover {
		d.Discover = append(d.Discover, discover{x.Name, x.Include, x.Exclude, igLogin(x.Login)})
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
	return p.checkGenerations(ctx, st)
}

// CheckSelection validates a run's selectors against cfg at now, whether
// they come from flags (plan, apply) or from a saved plan (apply PLAN, which
// a hand edit may have changed), with the rules ResolveJob applies
// (Selection.problems): accounts the config has (unless a discover block
// may find them), known streams, a shard inside its range, -to only with
// -from and not before it, no date after today (UTC), a concurrency of at
// least 0. The error lists every problem and matches ErrInvalidSelection.
func CheckSelection(cfg *hcl.Config, s Selection, now time.Time) error {
	return errors.Join(s.problems(ResolveJob(cfg, Options{}), now)...)
}
