package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/igexport/igexport/sinks"
)

// stateStore opens the harness's state (baseConfig: lake prefix instagram).
func (h *harness) stateStore() *sinks.Store {
	h.t.Helper()
	st, err := sinks.Open(context.Background(), "file://"+h.dir+"/lake", "instagram/_igexport")
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { st.Close() })
	return st
}

// TestGenerationPastTenDigits: an account whose state is at generation
// 9999999999 commits 10000000000 (an 11-digit key) and then 10000000001:
// the loader reads the keys the commit writes, so no run sees a false
// "concurrent run". At the highest generation there is, apply refuses the
// account before writing anything and says what to do.
func TestGenerationPastTenDigits(t *testing.T) {
	const id = "17841400000000001"
	h := newHarness(t, fakeOptions())
	cfg := h.writeConfig("igexport.hcl", baseConfig)
	st := h.stateStore()
	ctx := context.Background()
	if err := st.CommitState(ctx, &sinks.State{AccountID: id, Generation: 9999999999, RunID: "20261121T000000Z-aaaaaa"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []int64{10000000000, 10000000001} {
		h.wantCode(h.run("apply", "-config", cfg, "-account", "brand_a", "-stream", "users"), exitOK)
		got, err := st.LoadState(ctx, id)
		if err != nil || got == nil || got.Generation != want {
			t.Fatalf("after apply: state %+v, %v; want generation %d", got, err, want)
		}
	}
	r := h.run("state", "list", "-config", cfg)
	h.wantCode(r, exitOK)
	if !strings.Contains(r.stdout, "10000000001") {
		t.Errorf("state list does not show generation 10000000001:\n%s", r.stdout)
	}

	h2 := newHarness(t, fakeOptions())
	cfg2 := h2.writeConfig("igexport.hcl", baseConfig)
	if err := h2.stateStore().CommitState(ctx, &sinks.State{AccountID: id, Generation: sinks.MaxGeneration, RunID: "20261121T000000Z-aaaaaa"}); err != nil {
		t.Fatal(err)
	}
	r = h2.run("apply", "-config", cfg2, "-account", "brand_a", "-stream", "users")
	h2.wantCode(r, exitError)
	if !strings.Contains(r.stdout, "highest a state key can name") || !strings.Contains(r.stdout, "deleting its state-*.json") {
		t.Errorf("the refusal does not say why and what to do:\n%s", r.stdout)
	}
	for key := range h2.lakeFiles() {
		if strings.HasSuffix(key, ".parquet") {
			t.Errorf("refused account wrote %s", key)
		}
	}
}

// TestGarbageLockFile: a lock.json that does not parse is not "a lease held
// by another run" that the next run picks up: no run can take it over, so
// apply fails the account (exit 1) and names the command that removes it;
// state unlock removes it and the next apply runs.
func TestGarbageLockFile(t *testing.T) {
	h := newHarness(t, fakeOptions())
	cfg := h.writeConfig("igexport.hcl", baseConfig)
	lock := filepath.Join(h.dir, "lake", "instagram", "_igexport", "accounts", "17841400000000001", "lock.json")
	if err := os.MkdirAll(filepath.Dir(lock), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lock, []byte("{garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := h.run("apply", "-config", cfg, "-account", "brand_a", "-stream", "users")
	h.wantCode(r, exitError)
	if out := r.stdout + r.stderr; !strings.Contains(out, "igexport state unlock 17841400000000001") || strings.Contains(out, "next run") {
		t.Errorf("apply does not name the command that removes the lock (or promises the next run):\n%s\n%s", r.stdout, r.stderr)
	}
	r = h.run("state", "unlock", "brand_a", "-config", cfg)
	h.wantCode(r, exitOK)
	if !strings.Contains(r.stdout, "removed its lock.json, which did not parse") {
		t.Errorf("unlock of a garbage lock.json:\n%s", r.stdout)
	}
	h.wantCode(h.run("apply", "-config", cfg, "-account", "brand_a", "-stream", "users"), exitOK)
}

// TestUnlockTellsTheTruth: unlocking a live lease says what happens to the
// run that held it (it stops before its next upload and its commit), not
// that it "fails safely".
func TestUnlockTellsTheTruth(t *testing.T) {
	h := newHarness(t, fakeOptions())
	cfg := h.writeConfig("igexport.hcl", baseConfig)
	if _, err := h.stateStore().AcquireLease(context.Background(), "17841400000000001", "20261122T110000Z-0a0b0c", time.Hour); err != nil {
		t.Fatal(err)
	}
	r := h.run("state", "unlock", "brand_a", "-config", cfg)
	h.wantCode(r, exitOK)
	if strings.Contains(r.stdout, "fails safely") || !strings.Contains(r.stdout, "before its next upload and before its state commit") {
		t.Errorf("unlock of a live lease:\n%s", r.stdout)
	}
}
