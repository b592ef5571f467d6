package e2e

import (
	"path/filepath"
	"testing"
)

// TestCanaryTokenNeverLeaks runs every command that touches the API or the
// lake with a recognisable token and app secret, through retried faults,
// malformed bodies and a token that expires mid-run, and looks for them in
// stdout, stderr and every file under the work directory: the lake, the
// state generations, lock files, run summaries and the saved plan.
func TestCanaryTokenNeverLeaks(t *testing.T) {
	const token = "CANARYtok3n9f8e7d6c5b4a3"
	const secret = "CANARYs3cr3t1a2b3c4d5e6"
	fake := startFake(t, "-accounts", "2", "-media", "120", "-stories", "2", "-seed", "21", "-token", token, "-app-secret", secret,
		"-server-error-every", "7", "-malformed-every", "11", "-reset-every", "17", "-batch-null-every", "13",
		"-token-expires-after", "400", "-throttle-after", "150", "-throttle-for", "1m", "-usage-header", "none")
	e := env{envName("token"): token, "IG_APP_SECRET": secret}
	dir := t.TempDir()
	cfg := writeConfig(t, dir, cfgOpts{URL: fake.URL, Accounts: accountsOf(ids(2)), AppSecret: true, MaxWait: "1s"})
	var outputs []string
	run := func(args ...string) runResult {
		r := igexport(t, dir, e, args...)
		t.Logf("igexport %s: exit %d in %s", args[0], r.Code, r.Dur.Round(1e6))
		outputs = append(outputs, r.Stdout, r.Stderr)
		return r
	}
	plan := filepath.Join(dir, "plan.json")
	run("plan", "-config", cfg, "-out", plan)
	run("plan", "-config", cfg, "-json")
	first := run("apply", "-json", "-log-level", "debug", "-config", cfg)
	second := run("apply", "-log-level", "debug", "-log-format", "json", "-config", cfg)
	run("state", "list", "-config", cfg)
	run("state", "show", "a1", "-config", cfg)
	run("apply", "-config", cfg, plan) // stale or not, it must not leak either
	if first.Code == 0 && second.Code == 0 {
		t.Errorf("both applies exited 0: the faults (throttling past max_wait, an expiring token) did not show")
	}
	assertNoSecret(t, dir, outputs, token, secret)
	if st := fake.stats(t); st.Faults == 0 || st.Throttled == 0 {
		t.Errorf("faults %d, throttled %d: the error paths were not exercised", st.Faults, st.Throttled)
	}
}
