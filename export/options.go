package export

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/igexport/igexport/internal/catalog"
	"github.com/igexport/igexport/internal/schema"
)

// Options select and tune one run. The zero value runs every account and
// stream of the config with the config's settings.
type Options struct {
	// Accounts limits the run to these account names (config labels or, for
	// discovered accounts, usernames) or IG user ids. Empty: all.
	Accounts []string
	// Streams limits the run to these streams (intersected with the config's).
	Streams []string
	// Shard and Shards select the accounts whose stable hash of the IG user
	// id falls in shard Shard of Shards (0-based). Shards 0 or 1: all.
	Shard, Shards int
	// From and To backfill user_insights over that range without moving the
	// cursor backwards.
	From, To *schema.Date
	// SnapshotDate re-runs a past day's snapshot partitions (default: today, UTC).
	SnapshotDate *schema.Date
	// Concurrency overrides the config's requests-in-flight bound.
	Concurrency int
	// Now is the clock (default time.Now): every time the engine reads
	// (windows, snapshot date, fetched_at, durations, lease expiry) comes
	// from it.
	Now func() time.Time
	// Logger receives progress and diagnostics (default: discard).
	Logger *slog.Logger
	// Progress receives per account/stream events (default: none).
	Progress Progress
	// RunID names the run (default: generated from the time).
	RunID string
	// Version is igexport's version, written to files and state.
	Version string
	// LeaseTTL is how long a lease lasts without renewal (default 10m).
	LeaseTTL time.Duration
	// Offline makes MakePlan skip the token health check (GET /debug_token),
	// so that plan sends no request at all (plan -offline).
	Offline bool

	// beforeStateCommit, when set, runs after an account's data files are
	// uploaded and before its state is written (crash tests).
	beforeStateCommit func(accountID string) error
	// dayLayout writes user_insights one file per day (dt=), as igexport did
	// before schema_version 3, with no migration and no partition recorded
	// in the state: tests of the migration make an old-layout lake with it.
	dayLayout bool
	// catalog replaces the metric catalog of the configured version (tests
	// of a catalog that is out of date with the API).
	catalog *catalog.Catalog
	// budget replaces the run's write budget (tests read its peaks).
	budget *writeBudget
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now().UTC()
	}
	return time.Now().UTC()
}

func (o *Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (o *Options) progress() Progress {
	if o.Progress != nil {
		return o.Progress
	}
	return nopProgress{}
}

func (o *Options) version() string {
	if o.Version != "" {
		return o.Version
	}
	return "dev"
}

// NewRunID returns a sortable, unique run id such as 20261122T061500Z-1f2e3d.
func NewRunID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Progress receives events as a run advances. Implementations must be safe
// for concurrent use; they must not block for long.
type Progress interface {
	AccountStarted(account string)
	StreamStarted(account, stream string)
	StreamProgress(account, stream string, rows int64)
	StreamFinished(account, stream string, r StreamResult)
	AccountFinished(account string, r AccountResult)
}

// AccountCounter is a Progress that wants the number of accounts a run
// exports, once they are resolved (before the first starts).
type AccountCounter interface {
	AccountsSelected(n int)
}

type nopProgress struct{}

func (nopProgress) AccountStarted(string)                       {}
func (nopProgress) StreamStarted(string, string)                {}
func (nopProgress) StreamProgress(string, string, int64)        {}
func (nopProgress) StreamFinished(string, string, StreamResult) {}
func (nopProgress) AccountFinished(string, AccountResult)       {}
