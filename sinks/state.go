package sinks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/igexport/igexport/internal/schema"
)

// StateFormat is the format tag of every state object.
const StateFormat = "igexport.state/v1"

// ContentTypeJSON is the content type of state, lock and run objects.
const ContentTypeJSON = "application/json"

// MaxGeneration is the highest state generation a key can name (StateKey):
// an account at it cannot commit again until its state is reset.
const MaxGeneration = math.MaxInt64

// ErrConcurrentRun is wrapped by CommitState when another run committed the
// same generation first.
var ErrConcurrentRun = errors.New("concurrent run")

// State is one generation of an account's state manifest (SPEC §4).
type State struct {
	Format      string                  `json:"format"`
	AccountID   string                  `json:"account_id"`
	Generation  int64                   `json:"generation"`
	RunID       string                  `json:"run_id"`
	CommittedAt time.Time               `json:"committed_at"`
	Version     string                  `json:"version"`
	Streams     map[string]*StreamState `json:"streams"`
}

// StreamState is the state of one stream of one account.
type StreamState struct {
	Cursor       *schema.Date `json:"cursor,omitempty"`        // user_insights: last complete date
	LastSnapshot *schema.Date `json:"last_snapshot,omitempty"` // last snapshot dt written
	Files        []FileInfo   `json:"files"`                   // files committed by UpdatedRunID
	UpdatedRunID string       `json:"updated_run_id,omitempty"`
	// Partition is the partitioning every file of the stream in the lake
	// has, once no file of an older layout is left ("month" for
	// user_insights); empty in states written before schema_version 3, and
	// until the run after a migration finds no old file left.
	Partition schema.Partition `json:"partition,omitempty"`
	// MediaKinds (media_insights) counts the media whose insights the last
	// run asked, per kind (FEED_IMAGE, REELS, …): plan counts each kind's
	// operations from it.
	MediaKinds map[string]int64 `json:"media_kinds,omitempty"`
	// Comments is the comments stream's memory of the media it read.
	Comments *CommentsState `json:"comments,omitempty"`
}

// CommentsState is what the comments stream keeps between runs: enough to
// fetch the comments of a media only when they changed, and for plan to
// count exactly those requests. It stays small: one number per media that
// has comments, plus the few media young enough to be refreshed.
type CommentsState struct {
	// Media is how many media the last run listed (plan's page count of
	// the listing when the media stream is not exported).
	Media int64 `json:"media,omitempty"`
	// Counts is comments_count of each media with comments as of the
	// listing the last fetch of its comments was made from.
	Counts map[string]int64 `json:"counts,omitempty"`
	// Young are the media younger than refresh_days at the last run, with
	// their timestamps: plan knows from them which are still young.
	Young map[string]time.Time `json:"young,omitempty"`
	// Extra is, per media whose comments took more than its batch
	// operation, how many paging requests they took (next pages, replies).
	Extra map[string]int64 `json:"extra,omitempty"`
	// Usernames is the usernames setting every comments file of the
	// account was written or rewritten with ("" in states written before
	// it was recorded: keep, as far as anyone knows).
	Usernames string `json:"usernames,omitempty"`
}

// Generations returns the state generations stored for an account, oldest
// first.
func (s *Store) Generations(ctx context.Context, accountID string) ([]int64, error) {
	if err := ValidateID(accountID); err != nil {
		return nil, fmt.Errorf("account: %w", err)
	}
	var gens []int64
	err := s.list(ctx, accountsDir+accountID+"/"+statePrefix, "", func(rel string, _ bool) {
		if id, gen, ok := parseStateKey(rel); ok && id == accountID {
			gens = append(gens, gen)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("list state of account %s in %s: %w", accountID, s, err)
	}
	slices.Sort(gens)
	return gens, nil
}

// LoadState returns the newest state generation of an account, or nil, nil
// when the account has none. A newest generation that does not parse is an
// error naming its key (older generations are not consulted: fix or delete
// the object).
func (s *Store) LoadState(ctx context.Context, accountID string) (*State, error) {
	gens, err := s.Generations(ctx, accountID)
	if err != nil || len(gens) == 0 {
		return nil, err
	}
	return s.LoadGeneration(ctx, accountID, gens[len(gens)-1])
}

// LoadGeneration reads one state generation of an account.
func (s *Store) LoadGeneration(ctx context.Context, accountID string, gen int64) (*State, error) {
	if err := ValidateID(accountID); err != nil {
		return nil, fmt.Errorf("account: %w", err)
	}
	full := s.FullKey(StateKey(accountID, gen))
	b, err := s.be.read(ctx, full)
	if err != nil {
		return nil, fmt.Errorf("read state %s from %s: %w", full, s, err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("state %s in %s is corrupt: %w", full, s, err)
	}
	switch {
	case st.Format != StateFormat:
		return nil, fmt.Errorf("state %s in %s: format %q, want %q (written by a newer igexport?)", full, s, st.Format, StateFormat)
	case st.AccountID != accountID || st.Generation != gen:
		return nil, fmt.Errorf("state %s in %s is corrupt: it says account %q generation %d", full, s, st.AccountID, st.Generation)
	}
	if st.Streams == nil {
		st.Streams = map[string]*StreamState{}
	}
	return &st, nil
}

// CommitState writes st as generation st.Generation (the caller sets it to
// the loaded generation + 1, or 1) with a create-only write: IfNotExist on
// object stores, an exclusive create on the local file system for file://.
// If that generation exists already, another run won the race and the error
// wraps ErrConcurrentRun. Empty Format and zero CommittedAt are filled in.
// Afterwards generations older than the newest KeepGenerations are deleted
// (best effort: failures there are ignored).
func (s *Store) CommitState(ctx context.Context, st *State) error {
	if err := ValidateID(st.AccountID); err != nil {
		return fmt.Errorf("commit state: account: %w", err)
	}
	if st.Generation < 1 {
		return fmt.Errorf("commit state of account %s: generation %d < 1", st.AccountID, st.Generation)
	}
	if st.Format == "" {
		st.Format = StateFormat
	}
	if st.CommittedAt.IsZero() {
		st.CommittedAt = s.now()
	}
	st.CommittedAt = st.CommittedAt.UTC()
	if st.Streams == nil {
		st.Streams = map[string]*StreamState{}
	}
	body, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("commit state of account %s: %w", st.AccountID, err)
	}
	full := s.FullKey(StateKey(st.AccountID, st.Generation))
	if err := s.be.create(ctx, full, append(body, '\n'), ContentTypeJSON); err != nil {
		if isExists(err) {
			return fmt.Errorf("%w: another run committed generation %d of account %s first", ErrConcurrentRun, st.Generation, st.AccountID)
		}
		return fmt.Errorf("commit state %s to %s: %w", full, s, err)
	}
	s.prune(ctx, st.AccountID)
	return nil
}

// prune deletes all but the newest KeepGenerations generations.
func (s *Store) prune(ctx context.Context, accountID string) {
	gens, err := s.Generations(ctx, accountID)
	if err != nil || len(gens) <= KeepGenerations {
		return
	}
	for _, g := range gens[:len(gens)-KeepGenerations] {
		_ = s.be.delete(ctx, s.FullKey(StateKey(accountID, g)))
	}
}

// ListAccounts returns, sorted, the accounts that have at least one state
// generation.
func (s *Store) ListAccounts(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	err := s.list(ctx, accountsDir, "", func(rel string, _ bool) {
		if id, _, ok := parseStateKey(rel); ok {
			seen[id] = true
		}
	})
	if err != nil {
		return nil, fmt.Errorf("list accounts in %s: %w", s, err)
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}

// list calls fn with each key under the relative prefix, relative to s
// (with delim "/", directories come once, as their relative prefix).
func (s *Store) list(ctx context.Context, prefix, delim string, fn func(rel string, isDir bool)) error {
	return s.be.list(ctx, s.FullKey(prefix), delim, func(full string, isDir bool) error {
		if s.prefix != "" {
			full = strings.TrimPrefix(full, s.prefix+"/")
		}
		fn(full, isDir)
		return nil
	})
}
