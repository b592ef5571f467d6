package main

import (
	"context"
	"encoding/json"
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

// TestFutureDatesRefused: -snapshot-date, -from and -to after today (UTC, by
// the injected clock) are usage errors (exit 2) for plan and apply, with a
// message naming the flag; today itself is fine.
func TestFutureDatesRefused(t *testing.T) {
	h := newHarness(t, fakeOptions())
	cfg := h.writeConfig("igexport.hcl", baseConfig)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-snapshot-date", "2026-11-23"}, "-snapshot-date 2026-11-23 is after today (2026-11-22, UTC)"},
		{[]string{"-snapshot-date", "2030-01-01"}, "-snapshot-date 2030-01-01 is after today"},
		{[]string{"-from", "2026-11-23"}, "-from 2026-11-23 is after today"},
		{[]string{"-from", "2026-11-01", "-to", "2026-12-01"}, "-to 2026-12-01 is after today"},
	} {
		for _, cmd := range []string{"plan", "apply"} {
			t.Run(cmd+strings.Join(tc.args, " "), func(t *testing.T) {
				r := h.run(append([]string{cmd, "-config", cfg, "-stream", "users"}, tc.args...)...)
				h.wantCode(r, exitUsage)
				if !strings.Contains(r.stderr, tc.want) {
					t.Errorf("stderr lacks %q:\n%s", tc.want, r.stderr)
				}
			})
		}
	}
	if lake := h.lakeFiles(); len(lake) != 0 {
		t.Errorf("a refused run wrote %d objects", len(lake))
	}
	h.wantCode(h.run("plan", "-config", cfg, "-snapshot-date", "2026-11-22", "-from", "2026-11-20", "-to", "2026-11-22"), exitOK)
}

// TestSnapshotDateNeverMovesLastSnapshotBack: a -snapshot-date re-run of a
// past day writes that day's partitions and keeps the newer last_snapshot.
func TestSnapshotDateNeverMovesLastSnapshotBack(t *testing.T) {
	const id = "17841400000000001"
	h := newHarness(t, fakeOptions())
	cfg := h.writeConfig("igexport.hcl", baseConfig)
	streams := []string{"-stream", "users", "-stream", "media", "-stream", "user_lifetime_insights"}
	h.wantCode(h.run(append([]string{"apply", "-config", cfg, "-account", "brand_a"}, streams...)...), exitOK)
	h.wantCode(h.run(append([]string{"apply", "-config", cfg, "-account", "brand_a", "-snapshot-date", "2026-11-20"}, streams...)...), exitOK)
	st, err := h.stateStore().LoadState(context.Background(), id)
	if err != nil || st == nil {
		t.Fatal(st, err)
	}
	for _, s := range []string{"users", "media", "user_lifetime_insights"} {
		ss := st.Streams[s]
		if ss == nil || ss.LastSnapshot == nil || ss.LastSnapshot.String() != "2026-11-22" {
			t.Errorf("%s: last_snapshot %v after a re-run of 2026-11-20, want 2026-11-22 kept", s, ss)
			continue
		}
		if key := "instagram/" + s + "/dt=2026-11-20/account_id=" + id + "/part-00000.parquet"; h.lakeFiles()[key] == nil {
			t.Errorf("the re-run did not write %s", key)
		}
	}
}

// TestSavedPlanSelectionValidated: a saved plan whose selection was edited
// by hand is checked exactly as the flags are: each invalid selection is a
// usage error (exit 2) that says what is wrong, and nothing runs.
func TestSavedPlanSelectionValidated(t *testing.T) {
	h := newHarness(t, fakeOptions())
	cfg := h.writeConfig("igexport.hcl", baseConfig)
	planFile := filepath.Join(h.dir, "p.plan")
	h.wantCode(h.run("plan", "-config", cfg, "-out", planFile), exitOK)
	orig, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		sel  map[string]any
		want string
	}{
		{"shard past its range", map[string]any{"shard": 7, "shards": 3}, "-shard 7/3: want I/N with 0 <= I < N"},
		{"shard of one", map[string]any{"shard": 2, "shards": 1}, "-shard 2/1"},
		{"negative shards", map[string]any{"shard": 0, "shards": -2}, "-shard 0/-2"},
		{"from after to", map[string]any{"from": "2026-11-20", "to": "2026-11-10"}, "-to 2026-11-10 is before -from 2026-11-20"},
		{"to without from", map[string]any{"to": "2026-11-10"}, "-to needs -from"},
		{"future snapshot date", map[string]any{"snapshot_date": "2030-01-01"}, "-snapshot-date 2030-01-01 is after today"},
		{"unknown stream", map[string]any{"streams": []string{"reels"}}, `-stream "reels": unknown stream`},
		{"unknown account", map[string]any{"accounts": []string{"nobody"}}, `-account "nobody": no such account`},
		{"negative concurrency", map[string]any{"concurrency": -1}, "-concurrency -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p map[string]any
			if err := json.Unmarshal(orig, &p); err != nil {
				t.Fatal(err)
			}
			p["selection"] = tc.sel
			b, _ := json.Marshal(p)
			edited := filepath.Join(h.dir, "edited.plan")
			if err := os.WriteFile(edited, b, 0o644); err != nil {
				t.Fatal(err)
			}
			r := h.run("apply", edited)
			h.wantCode(r, exitUsage)
			if !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "selection saved in "+edited) {
				t.Errorf("stderr lacks %q (and the plan's name):\n%s", tc.want, r.stderr)
			}
		})
	}
	if lake := h.lakeFiles(); len(lake) != 0 {
		t.Errorf("an invalid plan ran: %d objects in the lake", len(lake))
	}
	h.wantCode(h.run("apply", planFile), exitOK)
}
