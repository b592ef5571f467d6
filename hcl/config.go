package hcl

import (
	"path"
	"slices"
	"time"

	hcl2 "github.com/hashicorp/hcl/v2"

	"github.com/igexport/igexport/internal/schema"
)

// Defaults of SPEC §5, used when the file leaves a setting out.
const (
	DefaultGraphAPIURL    = "https://graph.facebook.com"
	DefaultConcurrency    = 8
	DefaultDestinationURL = "file://./igexport-data"
	DefaultCompression    = "zstd"
	DefaultLookbackDays   = 2
	DefaultTimeframe      = "this_month"
	// DefaultRefreshDays: comments of media younger than this are fetched
	// on every run, whatever their comments_count (likes and hidden flags
	// change there).
	DefaultRefreshDays = 3
	// DefaultUsernames keeps commenters' usernames as the API gives them.
	DefaultUsernames       = UsernamesKeep
	DefaultMaxUsagePercent = 75
	DefaultMaxWait         = 30 * time.Minute
	// DefaultRequestTimeout and DefaultReadIdleTimeout bound every Graph
	// API request: its total time, body included, and the longest wait for
	// more of its body.
	DefaultRequestTimeout  = 2 * time.Minute
	DefaultReadIdleTimeout = 30 * time.Second
	// StateDir is the state prefix's last segment when the state block
	// does not set a prefix: "<destination prefix>/_igexport".
	StateDir = "_igexport"
	// EnvVarPrefix prefixes the environment variables that set variables:
	// IGEXPORT_VAR_token sets var.token.
	EnvVarPrefix = "IGEXPORT_VAR_"
)

// Config is a decoded configuration file. Every field holds its default
// when the file does not set it.
type Config struct {
	// Path is the file that was loaded, as given to Load.
	Path string

	// GraphAPIURL is the Graph API base URL (an emulator's in tests).
	GraphAPIURL string
	// GraphAPIVersion is the pinned Graph API version, e.g. "v23.0"; it is
	// one the metric catalog knows (default: the newest, catalog.Newest()).
	GraphAPIVersion string
	// Concurrency bounds the requests in flight across all accounts (>= 1).
	Concurrency int
	// InstagramAPIURL is the base URL of accounts with login = "instagram"
	// (default https://graph.instagram.com; an emulator's in tests).
	InstagramAPIURL string
	// TokenWarnDays: plan, apply and token check warn about a token that
	// expires within that many days (default 14; 0: never).
	TokenWarnDays int
	// RequestTimeout bounds each Graph API request, from sending it to the
	// last byte of its body; ReadIdleTimeout bounds the wait for more of a
	// body. A request past either is retried like a transient failure.
	// Zero (a Config built in code): the defaults.
	RequestTimeout, ReadIdleTimeout time.Duration

	// Accounts are the account blocks, in file order.
	Accounts []Account
	// Discover are the discover blocks, in file order.
	Discover []Discover

	// Streams are the enabled stream names, in the order given (default:
	// all seven, in schema order).
	Streams []string
	// StreamSettings holds the stream blocks by stream name, with defaults
	// filled in. Use StreamSetting to get the settings of any stream.
	StreamSettings map[string]StreamConfig

	Destination Destination
	State       StateConfig
	RateLimit   RateLimit

	// Variables are the declared variables with their final values.
	Variables []Variable
}

// Account is one account block: an Instagram business or creator account
// exported with its own token.
type Account struct {
	// Name is the block label, used by -account and in messages.
	Name string
	// IGUserID is the Instagram user id (digits); empty for an account
	// with login = "instagram" that leaves it to GET /me at apply time.
	IGUserID string
	// AccessToken is the token used for every call of this account.
	AccessToken string
	// AppSecret, when set, makes every call carry appsecret_proof.
	AppSecret string
	// AppID is the Meta app id; with AppSecret, debug_token is asked with
	// the app token and token refresh can exchange Facebook Login tokens.
	AppID string
	// Login is LoginFacebook (default) or LoginInstagram.
	Login string
	// ProfileActivityBreakdown asks profile_activity of FEED media with
	// its action_type breakdown, one more operation per such media
	// (media_insights; default false: the total only).
	ProfileActivityBreakdown bool
	// StartDate is the first-run lower bound of user_insights; nil means
	// as far back as the API serves.
	StartDate *schema.Date
	// DeclRange is where the block is declared.
	DeclRange hcl2.Range
	// TokenEnv names the environment variables access_token is read from
	// (env() calls, directly or in a variable's default, and the
	// variable's IGEXPORT_VAR_NAME): the hint when the token is empty.
	TokenEnv []string
}

// Discover is one discover block: every Instagram business account behind
// a token (GET /me/accounts), filtered by username globs.
type Discover struct {
	Name        string
	AccessToken string
	AppSecret   string
	// AppID and Login: as on Account.
	AppID, Login string
	// Include and Exclude are path.Match globs on the username; an account
	// is exported when it matches one Include glob and no Exclude glob.
	// Include defaults to ["*"].
	Include, Exclude []string
	DeclRange        hcl2.Range
	// TokenEnv is as for Account.
	TokenEnv []string
}

// Match reports whether the account with that username passes the block's
// include and exclude globs.
func (d Discover) Match(username string) bool {
	match := func(globs []string) bool {
		return slices.ContainsFunc(globs, func(g string) bool {
			ok, _ := path.Match(g, username) // patterns were checked by Load
			return ok
		})
	}
	return match(d.Include) && !match(d.Exclude)
}

// What the comments stream does with commenters' usernames (usernames).
const (
	UsernamesKeep = "keep" // as the API gives them
	UsernamesHash = "hash" // hex SHA-256 of a per-lake salt and the username
	UsernamesDrop = "drop" // NULL
)

// UsernameModes lists the values of usernames.
var UsernameModes = []string{UsernamesKeep, UsernamesHash, UsernamesDrop}

// StreamConfig is the settings of one stream. A field that does not apply
// to the stream is zero.
type StreamConfig struct {
	// Name is the stream name.
	Name string
	// Metrics overrides the catalog's default metrics; nil means the
	// defaults. (media_insights, story_insights, user_insights,
	// user_lifetime_insights)
	Metrics []string
	// LookbackDays is how many days before the cursor are re-read
	// (user_insights; default 2).
	LookbackDays int
	// MaxMediaAgeDays, when > 0, limits insights refreshes to media younger
	// than that (media_insights; 0 means no limit).
	MaxMediaAgeDays int
	// ProfileActivityBreakdown asks profile_activity of FEED media with
	// its action_type breakdown, one more operation per such media
	// (media_insights; default false: the total only).
	ProfileActivityBreakdown bool
	// StartDate is the first-run lower bound for accounts whose block has
	// no start_date (user_insights).
	StartDate *schema.Date
	// Breakdowns are the demographic breakdowns, each one dimension or a
	// comma list such as "age,gender" (user_lifetime_insights; default
	// age, gender, country, city, "age,gender").
	Breakdowns []string
	// Timeframe of the demographics, "this_week" or "this_month"
	// (user_lifetime_insights; default "this_month").
	Timeframe string
	// RefreshDays: the comments of media younger than that are fetched on
	// every run; older media only when their comments_count changed
	// (comments; default 3, 0: only on a count change).
	RefreshDays int
	// Usernames is UsernamesKeep, UsernamesHash or UsernamesDrop
	// (comments; default keep).
	Usernames string
	// DeclRange is where the stream block is declared; zero for defaults.
	DeclRange hcl2.Range
}

// Destination is where the Parquet files go.
type Destination struct {
	// URL is a gocloud.dev/blob bucket URL (default "file://./igexport-data").
	URL string
	// Prefix is the key prefix, without leading or trailing slash (default "").
	Prefix string
	// Compression is zstd (default), snappy, gzip or none.
	Compression string
}

// StateConfig is where the state manifests, leases and run summaries go.
type StateConfig struct {
	// URL is a bucket URL (default: the destination URL).
	URL string
	// Prefix is the key prefix (default "<destination prefix>/_igexport",
	// or "_igexport" when the destination has no prefix).
	Prefix string
}

// RateLimit is the pacing and throttling budget.
type RateLimit struct {
	// MaxUsagePercent is the usage-header value above which an account
	// slows down (1..100, default 75).
	MaxUsagePercent int
	// MaxWait is how long an account may wait on throttling before it is
	// deferred to the next run (default 30m).
	MaxWait time.Duration
}

// Variable is one declared variable with its final value.
type Variable struct {
	Name        string
	Description string
	// Sensitive values are listed by Config.Secrets and masked in
	// diagnostics.
	Sensitive bool
	// Value is the value after precedence (default < IGEXPORT_VAR_NAME <
	// -var-file < -var).
	Value     string
	DeclRange hcl2.Range
}

// Secrets returns every non-empty access_token and app_secret of the
// accounts and discover blocks and every sensitive variable value, without
// duplicates, longest first (so that replacing them in order never leaves a
// piece of a longer one behind).
func (c *Config) Secrets() []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, a := range c.Accounts {
		add(a.AccessToken)
		add(a.AppSecret)
	}
	for _, d := range c.Discover {
		add(d.AccessToken)
		add(d.AppSecret)
	}
	for _, v := range c.Variables {
		if v.Sensitive {
			add(v.Value)
		}
	}
	sortLongestFirst(out)
	return out
}

// StreamSetting returns the settings of stream name: its stream block's,
// or the defaults when the file has no block for it.
func (c *Config) StreamSetting(name string) StreamConfig {
	if sc, ok := c.StreamSettings[name]; ok {
		return sc
	}
	return defaultStreamConfig(name)
}

// defaultStreamConfig returns the settings of a stream without a block.
func defaultStreamConfig(name string) StreamConfig {
	sc := StreamConfig{Name: name}
	switch name {
	case schema.UserInsights:
		sc.LookbackDays = DefaultLookbackDays
	case schema.UserLifetimeInsights:
		sc.Timeframe = DefaultTimeframe
		sc.Breakdowns = []string{"age", "gender", "country", "city", "age,gender"}
	case schema.Comments:
		sc.RefreshDays = DefaultRefreshDays
		sc.Usernames = DefaultUsernames
	}
	return sc
}

func sortLongestFirst(ss []string) {
	slices.SortStableFunc(ss, func(a, b string) int { return len(b) - len(a) })
}
