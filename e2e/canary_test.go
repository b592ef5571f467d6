package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// TestCanaryTokenRefreshNeverLeaks runs the token commands (check, refresh
// of a Facebook Login and of an Instagram Login token, to a file and to
// stdout) and plan/apply with the token health check, against the igfake
// binary: no output line holds the old tokens, the app secret or the new
// tokens (except the one stdout the new token is asked on), the new-token
// files are mode 0600, and nothing under the work directory holds an old
// token or the secret.
func TestCanaryTokenRefreshNeverLeaks(t *testing.T) {
	const fbToken = "CANARYfb7a6b5c4d3e2f1"
	const igToken = "CANARYig1f2e3d4c5b6a7"
	const secret = "CANARYs3cr3t9z8y7x6w5"
	fake := startFake(t, "-accounts", "2", "-media", "20", "-stories", "1", "-seed", "5", "-token", fbToken,
		"-app-id", "4242", "-client-secret", secret, "-tokens", igToken+"=instagram,"+fbToken+"=expires:5d")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "igexport.hcl")
	conf := fmt.Sprintf(`igexport {
  graph_api_url     = %q
  instagram_api_url = %q
}

account "fb" {
  ig_user_id   = %q
  access_token = env("E2E_FB")
  app_id       = "4242"
  app_secret   = env("E2E_SECRET")
}

account "ig" {
  ig_user_id   = %q
  access_token = env("E2E_IG")
  login        = "instagram"
}

destination {
  url = %q
}
`, fake.URL, fake.URL, ids(2)[0], ids(2)[1], "file://"+filepath.ToSlash(filepath.Join(dir, "lake")))
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	e := env{"E2E_FB": fbToken, "E2E_IG": igToken, "E2E_SECRET": secret}
	var outputs []string
	run := func(args ...string) runResult {
		r := igexport(t, dir, e, args...)
		t.Logf("igexport %s: exit %d", strings.Join(args[:2], " "), r.Code)
		outputs = append(outputs, r.Stdout, r.Stderr)
		return r
	}
	if r := run("token", "check", "-config", cfg); r.Code != 3 {
		t.Errorf("token check: exit %d, want 3 (the Facebook token expires in 5 days)\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	run("token", "check", "-config", cfg, "-json")
	run("plan", "-config", cfg, "-stream", "users")
	run("apply", "-config", cfg, "-stream", "users", "-log-level", "debug", "-json")
	var fresh []string
	for _, acct := range []string{"fb", "ig"} {
		out := filepath.Join(dir, "token-"+acct)
		if r := run("token", "refresh", "-config", cfg, "-account", acct, "-out", out); r.Code != 0 {
			t.Fatalf("refresh %s: exit %d: %s", acct, r.Code, r.Stderr)
		}
		fi, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", out, fi.Mode().Perm())
		}
		b, _ := os.ReadFile(out)
		fresh = append(fresh, strings.TrimSpace(string(b)))
	}
	r := igexport(t, dir, e, "token", "refresh", "-config", cfg, "-account", "fb") // the new token on stdout, by request
	if tok := strings.TrimSpace(r.Stdout); r.Code != 0 || tok == "" {
		t.Fatalf("refresh to stdout: exit %d: %s", r.Code, r.Stderr)
	} else {
		fresh = append(fresh, tok)
	}
	outputs = append(outputs, r.Stderr)
	for i, o := range outputs {
		for _, s := range fresh {
			if s == "" || strings.Contains(o, s) {
				t.Errorf("output %d contains a new token (%.6s…)", i, s)
			}
		}
	}
	assertNoSecret(t, dir, outputs, fbToken, igToken, secret)
	if st := fake.stats(t); st.ByEndpoint["GET /refresh_access_token"] != 1 || st.ByEndpoint["GET /oauth/access_token"] != 2 {
		t.Errorf("refresh requests %v", st.ByEndpoint)
	}
}
