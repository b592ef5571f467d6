package export

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/igexport/igexport/sinks"
)

// StateView is the state store of a job as `igexport state` sees it: the
// accounts with state, their names, their leases. The CLI renders what its
// methods return.
type StateView struct {
	store *sinks.Store
	// Names maps IG user ids to names: the account blocks', and those
	// recent run summaries give (discovered usernames).
	Names map[string]string
}

// OpenState opens the job's state store. A non-nil error with a non-nil
// view is a warning: the run summaries that name discovered accounts were
// not all readable.
func (j *Job) OpenState(ctx context.Context) (*StateView, error) {
	st, err := sinks.Open(ctx, j.State.URL, j.State.Prefix)
	if err != nil {
		return nil, fmt.Errorf("opening the state store: %w", err)
	}
	names, err := AccountNames(ctx, st)
	if names == nil {
		names = map[string]string{}
	}
	for _, a := range j.Accounts {
		names[a.ID] = a.Name
	}
	return &StateView{store: st, Names: names}, err
}

// Close closes the store.
func (v *StateView) Close() { v.store.Close() }

// String names the store (its URL, secrets redacted, and prefix).
func (v *StateView) String() string { return v.store.String() }

// ResolveAccount turns an account name (an account block label, or a
// discovered username recent runs know) or an IG user id into the id.
func (v *StateView) ResolveAccount(arg string) (string, error) {
	if _, ok := v.Names[arg]; ok {
		return arg, nil
	}
	for _, id := range slices.Sorted(maps.Keys(v.Names)) {
		if v.Names[id] == arg {
			return id, nil
		}
	}
	if sinks.ValidateID(arg) == nil && strings.Trim(arg, "0123456789") == "" {
		return arg, nil
	}
	return "", fmt.Errorf("%q is neither an account name the config or recent runs know nor an IG user id", arg)
}

// AccountState is one account of ListState.
type AccountState struct {
	AccountID   string           `json:"account_id"`
	Name        string           `json:"name,omitempty"`
	Generation  int64            `json:"generation"`
	RunID       string           `json:"run_id"`
	CommittedAt time.Time        `json:"committed_at"`
	Lease       *sinks.LeaseInfo `json:"lease,omitempty"`
	LeaseLive   bool             `json:"lease_live,omitempty"`
}

// ListState returns every account with state, its generation, last run
// and lease (live at now or not).
func (v *StateView) ListState(ctx context.Context, now time.Time) ([]AccountState, error) {
	ids, err := v.store.ListAccounts(ctx)
	if err != nil {
		return nil, err
	}
	rows := []AccountState{}
	for _, id := range ids {
		s, err := v.store.LoadState(ctx, id)
		if err != nil {
			return nil, err
		}
		r := AccountState{AccountID: id, Name: v.Names[id], Generation: s.Generation, RunID: s.RunID, CommittedAt: s.CommittedAt}
		if li, err := v.store.ReadLease(ctx, id); err == nil && li != nil {
			r.Lease, r.LeaseLive = li, !li.Expired(now)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// ShowState returns the state of an account (nil when it has none) and its
// lease, or why the lease could not be read (leaseErr).
func (v *StateView) ShowState(ctx context.Context, id string) (st *sinks.State, lease *sinks.LeaseInfo, leaseErr error, err error) {
	st, err = v.store.LoadState(ctx, id)
	if err != nil || st == nil {
		return st, nil, nil, err
	}
	lease, leaseErr = v.store.ReadLease(ctx, id)
	return st, lease, leaseErr, nil
}

// Unlock deletes an account's lease, whoever holds it, and returns the
// lease it removed (nil when there was none or it did not parse: an
// unreadable lock.json is deleted all the same; leaseErr says why).
func (v *StateView) Unlock(ctx context.Context, id string) (removed *sinks.LeaseInfo, leaseErr error, err error) {
	removed, leaseErr = v.store.ReadLease(ctx, id)
	if err := v.store.Unlock(ctx, id); err != nil {
		return nil, leaseErr, err
	}
	return removed, leaseErr, nil
}
