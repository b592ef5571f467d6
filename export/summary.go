package export

import (
	"time"

	"github.com/igexport/igexport/sinks"
)

// Status of an account or stream at the end of a run.
type Status string

// Statuses. Deferred and Skipped make the run partial (exit 3), Failed
// makes it an error (exit 1).
const (
	StatusOK       Status = "ok"
	StatusDeferred Status = "deferred" // rate-limit budget exhausted: picked up by the next run
	StatusSkipped  Status = "skipped"  // lease held by another run
	StatusFailed   Status = "failed"
)

// Summary is the run summary of SPEC §6: printed as a table, as JSON with
// -json, and stored as runs/<run_id>.json.
type Summary struct {
	Format     string          `json:"format"` // igexport.run/v1
	RunID      string          `json:"run_id"`
	Version    string          `json:"version"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt time.Time       `json:"finished_at"`
	Duration   Duration        `json:"duration"`
	Status     Status          `json:"status"`
	ExitCode   int             `json:"exit_code"`
	Accounts   []AccountResult `json:"accounts"`
	// Discovery reports what the discover blocks found.
	Discovery []DiscoveryResult `json:"discovery,omitempty"`
	Warnings  []string          `json:"warnings,omitempty"`
	Totals    Counters          `json:"totals"`
}

// DiscoveryResult is what one discover block found.
type DiscoveryResult struct {
	Name              string   `json:"name"`
	Pages             int      `json:"pages"`
	PagesWithoutIG    int      `json:"pages_without_ig_account"`
	Accounts          []string `json:"accounts"`
	ExcludedByPattern int      `json:"excluded_by_pattern"`
	Error             string   `json:"error,omitempty"`
	// Login is "instagram" for a block with an Instagram Login token (one
	// GET /me, no Pages); empty for Facebook Login.
	Login string `json:"login,omitempty"`
}

// AccountResult is one account's outcome.
type AccountResult struct {
	Name       string         `json:"name"`
	AccountID  string         `json:"account_id"`
	Status     Status         `json:"status"`
	Error      string         `json:"error,omitempty"`
	Advice     string         `json:"advice,omitempty"`
	Generation int64          `json:"generation,omitempty"` // committed state generation
	Streams    []StreamResult `json:"streams"`
	Duration   Duration       `json:"duration"`
	Counters   Counters       `json:"counters"`

	// TokenExpiresAt and TokenWarning are the account's token health
	// (tokens.go): its expiry (absent: never or unknown) and a warning when
	// it expires within token_warn_days or its health is unknown.
	TokenExpiresAt *time.Time `json:"token_expires_at,omitempty"`
	TokenWarning   string     `json:"token_warning,omitempty"`
}

// StreamResult is one stream's outcome for one account.
type StreamResult struct {
	Stream   string           `json:"stream"`
	Status   Status           `json:"status"`
	Error    string           `json:"error,omitempty"`
	Files    []sinks.FileInfo `json:"files,omitempty"`
	Counters Counters         `json:"counters"`
	// Skipped lists metrics the API rejected (dropped and retried without
	// them) and items without insights, with the reason and a count.
	Skipped []Skip `json:"skipped,omitempty"`
	// Notes are facts a user should know (e.g. days too old to recover).
	Notes    []string `json:"notes,omitempty"`
	Duration Duration `json:"duration"`

	finished bool // committed its files; a later error in its task leaves it alone
}

// Skip counts one reason something was left out.
type Skip struct {
	What   string `json:"what"` // a metric name, or "insights"
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// Counters are additive run figures.
type Counters struct {
	Rows           int64    `json:"rows"`
	Files          int64    `json:"files"`
	Bytes          int64    `json:"bytes"`
	Calls          int64    `json:"api_calls"`
	RoundTrips     int64    `json:"round_trips"`
	ThrottleWaits  int64    `json:"throttle_waits"`
	ThrottleWaited Duration `json:"throttle_waited"`
	Retries        int64    `json:"retries"`
	// PaceWaits counts requests delayed because usage was above
	// max_usage_percent, PaceWaited the delay they added.
	PaceWaits  int64    `json:"pace_waits,omitempty"`
	PaceWaited Duration `json:"pace_waited,omitempty"`
	// UsagePercent is the highest rate-limit usage the API reported
	// (X-Business-Use-Case-Usage / X-App-Usage), 0 when it sent none.
	UsagePercent int `json:"usage_percent,omitempty"`
}

// Add adds o to c.
func (c *Counters) Add(o Counters) {
	c.Rows += o.Rows
	c.Files += o.Files
	c.Bytes += o.Bytes
	c.Calls += o.Calls
	c.RoundTrips += o.RoundTrips
	c.ThrottleWaits += o.ThrottleWaits
	c.ThrottleWaited += o.ThrottleWaited
	c.Retries += o.Retries
	c.PaceWaits += o.PaceWaits
	c.PaceWaited += o.PaceWaited
	c.UsagePercent = max(c.UsagePercent, o.UsagePercent)
}

// Duration is a time.Duration that marshals as a string like "1.5s".
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(time.Duration(d).Round(time.Millisecond).String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = Duration(v)
	return err
}

// ExitCode maps a summary to SPEC §6's exit codes: 1 if anything failed,
// else 3 if anything was deferred or skipped, else 0.
func (s *Summary) exitCode() int {
	code := 0
	for _, a := range s.Accounts {
		switch a.Status {
		case StatusFailed:
			return 1
		case StatusDeferred, StatusSkipped:
			code = 3
		}
		for _, st := range a.Streams {
			switch st.Status {
			case StatusFailed:
				return 1
			case StatusDeferred, StatusSkipped:
				code = 3
			}
		}
	}
	for _, d := range s.Discovery {
		if d.Error != "" {
			return 1
		}
	}
	return code
}
