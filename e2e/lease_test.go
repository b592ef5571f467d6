package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestConcurrentApplies starts two applies on the same accounts at the same
// moment. Each account must be exported by exactly one of them: the other
// skips it with a message naming the run that holds it and how to force
// it, and exits 3. The state stays valid (one generation per account, every
// file it names present), and a later apply runs normally.
func TestConcurrentApplies(t *testing.T) {
	const token = "e2e-lease-token-77c2"
	const n = 4
	// Slow enough (≥ 9 dependent requests of 50 ms per account) that the
	// two runs overlap on every account even if one starts late.
	fake := startFake(t, "-accounts", fmt.Sprint(n), "-media", "800", "-stories", "1", "-latency", "50ms", "-seed", "3", "-token", token)
	e := env{envName("token"): token}
	dir := t.TempDir()
	cfg := writeConfig(t, dir, cfgOpts{URL: fake.URL, Accounts: accountsOf(ids(n)), Concurrency: 4})
	lake := filepath.Join(dir, "lake")

	var wg sync.WaitGroup
	res := make([]runResult, 2)
	start := make(chan struct{})
	for i := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res[i] = igexport(t, dir, e, "apply", "-json", "-config", cfg)
		}()
	}
	close(start)
	wg.Wait()

	sums := []summary{res[0].summary(t), res[1].summary(t)}
	owner := map[string]int{} // account id → run that exported it
	both := map[string]bool{} // exported by both: possible only if one run started after the other finished it
	for i, s := range sums {
		other := sums[1-i]
		for _, a := range s.Accounts {
			switch a.Status {
			case "ok":
				if _, dup := owner[a.AccountID]; dup {
					both[a.AccountID] = true
				}
				owner[a.AccountID] = i
			case "skipped":
				if !strings.Contains(a.Error, "locked by run "+other.RunID) || !strings.Contains(a.Error, "igexport state unlock") {
					t.Errorf("run %d skipped %s with %q; want the holder (run %s) and how to force it", i, a.Name, a.Error, other.RunID)
				}
			default:
				t.Errorf("run %d: account %s: %s: %s", i, a.Name, a.Status, a.Error)
			}
		}
		skipped := 0
		for _, a := range s.Accounts {
			if a.Status == "skipped" {
				skipped++
			}
		}
		want := 0
		if skipped > 0 {
			want = 3
		}
		if res[i].Code != want || s.ExitCode != want {
			t.Errorf("run %d skipped %d accounts and exited %d (summary %d); want %d", i, skipped, res[i].Code, s.ExitCode, want)
		}
		if skipped > 0 && !strings.Contains(res[i].Stderr, "another run holds its lease") {
			t.Errorf("run %d: no log line explains the skip:\n%s", i, res[i].Stderr)
		}
	}
	if len(owner) != n {
		t.Fatalf("%d of %d accounts were exported by one of the runs", len(owner), n)
	}
	if len(both) == n {
		t.Fatalf("both runs exported every account: they never overlapped (a slow start?), nothing was tested")
	}
	t.Logf("run 0 exported %d accounts, run 1 %d; exits %d and %d", count(owner, 0), count(owner, 1), res[0].Code, res[1].Code)

	states := checkState(t, lake)
	for _, id := range ids(n) {
		st := states[id]
		want := int64(1)
		if both[id] {
			want = 2 // one run after the other: two commits, no race
		}
		if st == nil || st.Generation != want {
			t.Errorf("account %s: state %+v, want generation %d", id, st, want)
			continue
		}
		if !both[id] && st.RunID != sums[owner[id]].RunID {
			t.Errorf("account %s: state written by run %s, but run %s exported it", id, st.RunID, sums[owner[id]].RunID)
		}
	}
	for _, id := range ids(n) {
		if _, err := os.Stat(filepath.Join(lake, "_igexport", "accounts", id, "lock.json")); !os.IsNotExist(err) {
			t.Errorf("account %s: lock.json left behind (%v)", id, err)
		}
	}

	// The next run finds no lease and commits one more generation everywhere.
	r := igexport(t, dir, e, "apply", "-json", "-config", cfg)
	if r.Code != 0 {
		t.Fatalf("third apply: exit %d\n%s", r.Code, r.Stderr)
	}
	for id, st := range checkState(t, lake) {
		want := int64(2)
		if both[id] {
			want = 3
		}
		if st.Generation != want {
			t.Errorf("account %s: generation %d after the third run, want %d", id, st.Generation, want)
		}
	}
}

func count(m map[string]int, v int) int {
	n := 0
	for _, x := range m {
		if x == v {
			n++
		}
	}
	return n
}

// TestLeaseHeldAndExpired: a live lease of another run makes apply skip that
// account (exit 3) and leave the lease alone; an expired one is taken over.
func TestLeaseHeldAndExpired(t *testing.T) {
	const token = "e2e-lease-token-91aa"
	fake := startFake(t, "-accounts", "2", "-media", "30", "-seed", "5", "-token", token)
	e := env{envName("token"): token}
	dir := t.TempDir()
	cfg := writeConfig(t, dir, cfgOpts{URL: fake.URL, Accounts: accountsOf(ids(2))})
	lake := filepath.Join(dir, "lake")
	lock := func(id string, expires time.Time) string {
		p := filepath.Join(lake, "_igexport", "accounts", id, "lock.json")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(map[string]any{"run_id": "20261122T000000Z-other", "host": "elsewhere", "pid": 1,
			"acquired_at": expires.Add(-10 * time.Minute), "expires_at": expires})
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	live := lock(ids(2)[0], time.Now().Add(time.Hour))
	lock(ids(2)[1], time.Now().Add(-time.Minute)) // a run that died an hour ago

	r := igexport(t, dir, e, "apply", "-json", "-config", cfg)
	s := r.summary(t)
	if r.Code != 3 || s.ExitCode != 3 {
		t.Fatalf("exit %d, want 3 (one account skipped)\n%s", r.Code, r.Stderr)
	}
	for _, a := range s.Accounts {
		switch a.AccountID {
		case ids(2)[0]:
			if a.Status != "skipped" || !strings.Contains(a.Error, "20261122T000000Z-other") || !strings.Contains(a.Error, "elsewhere") {
				t.Errorf("live lease: account %s: %s %q; want skipped naming the holder", a.Name, a.Status, a.Error)
			}
		case ids(2)[1]:
			if a.Status != "ok" {
				t.Errorf("expired lease: account %s: %s %q; want it taken over", a.Name, a.Status, a.Error)
			}
		}
	}
	if b, err := os.ReadFile(live); err != nil || !strings.Contains(string(b), "20261122T000000Z-other") {
		t.Errorf("the live lease of the other run was touched: %s %v", b, err)
	}
	st := checkState(t, lake)
	if _, ok := st[ids(2)[0]]; ok {
		t.Errorf("the skipped account has a state")
	}
	if st[ids(2)[1]] == nil {
		t.Errorf("the account whose lease had expired has no state")
	}
}
