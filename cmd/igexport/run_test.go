package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/igexport/igexport/export"
)

// TestShardStability: -shard assigns accounts by a stable hash of the IG
// user id, so adding one account to 100 moves at most 2 % of them between
// 10 shards, every account is in exactly one shard, and shards are even.
func TestShardStability(t *testing.T) {
	h := newHarness(t, fakeOptions())
	assign := func(n int) map[string]int {
		var b strings.Builder
		b.WriteString("variable \"token\" {\n  sensitive = true\n  default   = env(\"IG_ACCESS_TOKEN\")\n}\n")
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "account \"acct_%03d\" {\n  ig_user_id   = \"%d\"\n  access_token = var.token\n}\n", i, 17841400000000000+int64(i)*7919)
		}
		b.WriteString("destination {\n  url = \"file://{{.Dir}}/lake\"\n}\n")
		cfg := h.writeConfig(fmt.Sprintf("shards_%d.hcl", n), b.String())
		out := map[string]int{}
		for shard := range 10 {
			r := h.run("plan", "-config", cfg, "-shard", fmt.Sprintf("%d/10", shard), "-stream", "users", "-json")
			h.wantCode(r, exitOK)
			var p export.Plan
			if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
				t.Fatal(err)
			}
			for _, a := range p.Accounts {
				if prev, dup := out[a.AccountID]; dup {
					t.Fatalf("account %s in shards %d and %d", a.AccountID, prev, shard)
				}
				out[a.AccountID] = shard
			}
			if len(p.Accounts) < n/10/3 || len(p.Accounts) > n/10*2 {
				t.Errorf("shard %d/10 has %d of %d accounts: uneven", shard, len(p.Accounts), n)
			}
		}
		if len(out) != n {
			t.Fatalf("%d accounts in the shards, want %d", len(out), n)
		}
		return out
	}
	before, after := assign(100), assign(101)
	moved := 0
	for id, s := range before {
		if after[id] != s {
			moved++
		}
	}
	if moved > 2 {
		t.Errorf("adding 1 account to 100 moved %d accounts between 10 shards, want at most 2 (2%%)", moved)
	}
}

// TestVariables: -var wins over -var-file, which wins over
// IGEXPORT_VAR_<NAME>, which wins over the default.
func TestVariables(t *testing.T) {
	h := newHarness(t, fakeOptions())
	cfg := h.writeConfig("vars.hcl", `variable "token" {
  sensitive = true
}

variable "user_id" {
  default = "17841400000000001"
}

account "brand" {
  ig_user_id   = var.user_id
  access_token = var.token
}

destination {
  url = "file://{{.Dir}}/lake"
}
`)
	varFile := filepath.Join(h.dir, "prod.vars.hcl")
	if err := os.WriteFile(varFile, []byte("user_id = \"17841400000000003\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	accountOf := func(extra map[string]string, args ...string) string {
		t.Helper()
		r := h.runEnv(extra, append([]string{"plan", "-config", cfg, "-json", "-stream", "users"}, args...)...)
		h.wantCode(r, exitOK)
		noSecret(t, "plan", r.stdout, r.stderr)
		var p export.Plan
		if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
			t.Fatal(err)
		}
		return p.Accounts[0].AccountID
	}
	tok := map[string]string{"IGEXPORT_VAR_token": canary}
	if got := accountOf(tok); got != "17841400000000001" {
		t.Errorf("default: %s", got)
	}
	env := map[string]string{"IGEXPORT_VAR_token": canary, "IGEXPORT_VAR_user_id": "17841400000000002"}
	if got := accountOf(env); got != "17841400000000002" {
		t.Errorf("IGEXPORT_VAR_user_id: %s", got)
	}
	if got := accountOf(env, "-var-file", varFile); got != "17841400000000003" {
		t.Errorf("-var-file: %s", got)
	}
	if got := accountOf(env, "-var-file", varFile, "-var", "user_id=17841400000000004"); got != "17841400000000004" {
		t.Errorf("-var: %s", got)
	}
	r := h.runEnv(tok, "plan", "-config", cfg, "-var", "nope")
	h.wantCode(r, exitUsage)

	// A sensitive value is never echoed, not even in a diagnostic about it.
	r = h.runEnv(tok, "validate", "-config", cfg, "-var", "user_id="+canary)
	h.wantCode(r, exitUsage)
	noSecret(t, "validate", r.stdout, r.stderr)
	r = h.runEnv(tok, "validate", "-config", cfg, "-var", "user_id=x"+canary+"x", "-json")
	noSecret(t, "validate -json", r.stdout, r.stderr)
}

// TestTokenNeverPrinted: a canary token and app secret never reach stdout,
// stderr (logs at debug level included), a plan file, the run summary, the
// state or the data files — in a good run and in a failing one.
func TestTokenNeverPrinted(t *testing.T) {
	const secret = "CANARY-secret-2b9e44d1"
	fo := fakeOptions()
	fo.AppSecret = secret
	h := newHarness(t, fo)
	h.env["IG_APP_SECRET"] = secret
	cfg := h.writeConfig("igexport.hcl", strings.ReplaceAll(baseConfig, "  access_token = var.token\n",
		"  access_token = var.token\n  app_secret   = env(\"IG_APP_SECRET\")\n"))
	check := func(what string, r result) {
		t.Helper()
		noSecret(t, what, r.stdout, r.stderr)
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("%s: the app secret appears", what)
		}
	}
	planFile := filepath.Join(h.dir, "p.plan")
	r := h.run("plan", "-config", cfg, "-out", planFile, "-log-level", "debug")
	h.wantCode(r, exitOK)
	check("plan", r)
	r = h.run("apply", planFile, "-log-level", "debug")
	h.wantCode(r, exitOK)
	check("apply", r)
	r = h.run("apply", "-config", cfg, "-json", "-log-level", "debug", "-log-format", "json")
	h.wantCode(r, exitOK)
	check("apply -json", r)
	r = h.run("state", "show", "brand_a", "-config", cfg, "-json")
	check("state show", r)

	// A failing run: the token expires after a few calls.
	fo.Faults.TokenExpiresAfter = 5
	h2 := newHarness(t, fo)
	h2.env["IG_APP_SECRET"] = secret
	cfg2 := h2.writeConfig("igexport.hcl", strings.ReplaceAll(baseConfig, "  access_token = var.token\n",
		"  access_token = var.token\n  app_secret   = env(\"IG_APP_SECRET\")\n"))
	r = h2.run("apply", "-config", cfg2, "-log-level", "debug")
	h2.wantCode(r, exitError)
	check("failing apply", r)

	for _, hh := range []*harness{h, h2} {
		b, _ := os.ReadFile(planFile)
		noSecret(t, "plan file", string(b))
		for key, body := range hh.lakeFiles() {
			if strings.Contains(string(body), canary) || strings.Contains(string(body), secret) {
				t.Errorf("%s holds the token or app secret", key)
			}
		}
	}
}

// TestProgressPlain: with stderr not a terminal, progress is plain log
// lines (one per step, a heartbeat while the run goes on) and neither
// stream carries a terminal control sequence.
func TestProgressPlain(t *testing.T) {
	fo := fakeOptions()
	fo.Latency = 15 * time.Millisecond
	h := newHarness(t, fo)
	cfg := h.writeConfig("igexport.hcl", baseConfig)
	var out, errb strings.Builder
	e := env{Stdout: &out, Stderr: &errb, Now: func() time.Time { return testNow },
		LookupEnv: func(k string) (string, bool) { v, ok := h.env[k]; return v, ok },
		Heartbeat: 50 * time.Millisecond}
	code := run(t.Context(), []string{"apply", "-config", cfg}, e)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	noControl(t, "stdout", out.String())
	noControl(t, "stderr", errb.String())
	logs := errb.String()
	for _, want := range []string{
		`msg="account started" account=brand_a`,
		`msg="stream finished" account=brand_a stream=media_insights status=ok rows=30`,
		`msg="account finished" account=brand_b status=ok`,
		`msg="still running"`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("stderr lacks %s:\n%s", want, logs)
		}
	}

	// JSON logs: one JSON object per line.
	errb.Reset()
	out.Reset()
	code = run(t.Context(), []string{"apply", "-config", cfg, "-log-format", "json", "-json"}, e)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	for _, l := range strings.Split(strings.TrimSpace(errb.String()), "\n") {
		if !json.Valid([]byte(l)) {
			t.Errorf("not a JSON log line: %q", l)
		}
	}
	if !json.Valid([]byte(out.String())) {
		t.Errorf("stdout is not the JSON summary:\n%s", out.String())
	}
	noControl(t, "stderr", errb.String())
}
