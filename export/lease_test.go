package export

import (
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/igexport/igexport/internal/igfake"
	"github.com/igexport/igexport/sinks"
)

// takeOver does what an operator and a second run do to a running export:
// `igexport state unlock`, then the other run acquires the account's lease.
func takeOver(t *testing.T, st *sinks.Store, accountID string) *sinks.Lease {
	t.Helper()
	ctx := context.Background()
	if err := st.Unlock(ctx, accountID); err != nil {
		t.Error(err)
		return nil
	}
	l, err := st.AcquireLease(ctx, accountID, "20261122T100000Z-bbbbbb", time.Hour)
	if err != nil {
		t.Error(err)
		return nil
	}
	return l
}

// TestLeaseLostBeforeUploads: the lease is taken over while the run fetches
// (its first API request). The run uploads no data file and commits no
// state, fails the account (exit 1) saying why, and leaves the new
// holder's lease alone.
func TestLeaseLostBeforeUploads(t *testing.T) {
	f := newFixture(t, igfake.Options{Accounts: 1, Media: 30, Stories: 1, Seed: 3})
	id := f.fake.Dataset().Accounts[0].ID
	st := f.stateStore()
	var once sync.Once
	var other *sinks.Lease
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/debug_token") { // the token check comes before the lease
			once.Do(func() { other = takeOver(t, st, id) })
		}
		f.fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.cfg.GraphAPIURL = srv.URL

	sum := f.apply(Options{})
	if other == nil {
		t.Fatal("the lease was not taken over")
	}
	a := sum.Accounts[0]
	if sum.ExitCode != 1 || a.Status != StatusFailed || !strings.Contains(a.Error, "lease") || !strings.Contains(a.Error, "committed no state") {
		t.Fatalf("exit %d, account %s %q; want failed (exit 1) saying the lease was lost and nothing committed", sum.ExitCode, a.Status, a.Error)
	}
	root := strings.TrimPrefix(f.cfg.Destination.URL, "file://")
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".parquet") {
			t.Errorf("the run that lost its lease wrote %s", p)
		}
		return nil
	})
	if s, err := st.LoadState(context.Background(), id); err != nil || s != nil {
		t.Errorf("state %+v, %v; want none", s, err)
	}
	if li, err := st.ReadLease(context.Background(), id); err != nil || li == nil || li.RunID != other.Info().RunID {
		t.Errorf("the new holder's lease: %+v, %v", li, err)
	}
}

// TestLeaseLostBeforeStateCommit: the lease is taken over after the data
// files are uploaded, right before the state commit. The run does not
// commit, so the new holder commits the next generation.
func TestLeaseLostBeforeStateCommit(t *testing.T) {
	f := newFixture(t, igfake.Options{Accounts: 1, Media: 30, Stories: 1, Seed: 3})
	id := f.fake.Dataset().Accounts[0].ID
	st := f.stateStore()
	var other *sinks.Lease
	sum := f.applyWithHook(Options{}, func(string) error {
		other = takeOver(t, st, id)
		return nil
	})
	a := sum.Accounts[0]
	if sum.ExitCode != 1 || a.Status != StatusFailed || !strings.Contains(a.Error, "lease") || a.Generation != 0 {
		t.Fatalf("exit %d, account %s gen %d %q; want failed (exit 1), no generation", sum.ExitCode, a.Status, a.Generation, a.Error)
	}
	if s, err := st.LoadState(context.Background(), id); err != nil || s != nil {
		t.Fatalf("state %+v, %v; want none: the run that lost its lease committed", s, err)
	}
	if err := other.Release(context.Background()); err != nil {
		t.Fatalf("the new holder's lease was touched: %v", err)
	}
	if sum := f.apply(Options{}); sum.ExitCode != 0 || sum.Accounts[0].Generation != 1 {
		t.Fatalf("the next run: exit %d, generation %d", sum.ExitCode, sum.Accounts[0].Generation)
	}
}
