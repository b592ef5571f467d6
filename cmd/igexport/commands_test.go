package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/igexport/igexport/export"
	"github.com/igexport/igexport/sinks"
)

func TestVersion(t *testing.T) {
	h := newHarness(t, fakeOptions())
	r := h.run("version")
	h.wantCode(r, exitOK)
	golden(t, "version.txt", r.stdout)
	r = h.run("version", "-json")
	h.wantCode(r, exitOK)
	var v struct{ Version, Go string }
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.Version == "" || v.Go == "" {
		t.Errorf("version -json: %q (%v)", r.stdout, err)
	}
}

func TestUsage(t *testing.T) {
	h := newHarness(t, fakeOptions())
	r := h.run()
	h.wantCode(r, exitUsage)
	golden(t, "usage.txt", r.stderr)
	r = h.run("frobnicate")
	h.wantCode(r, exitUsage)
	if !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
		t.Errorf("stderr: %s", r.stderr)
	}
	r = h.run("help")
	h.wantCode(r, exitOK)
	for _, args := range [][]string{{"validate", "-h"}, {"plan", "-h"}, {"apply", "-h"}, {"state", "list", "-h"},
		{"fmt", "-h"}, {"ddl", "-h"}, {"version", "-h"}} {
		r = h.run(args...)
		h.wantCode(r, exitOK)
		if !strings.Contains(r.stderr, "Usage: igexport "+args[0]) {
			t.Errorf("%v: no usage:\n%s", args, r.stderr)
		}
	}
	r = h.run("plan", "-h")
	golden(t, "plan_help.txt", r.stderr)
}

func TestValidate(t *testing.T) {
	h := newHarness(t, fakeOptions())
	cfg := h.writeConfig("igexport.hcl", baseConfig)
	r := h.run("validate", "-config", cfg)
	h.wantCode(r, exitOK)
	golden(t, "validate_ok.txt", h.normalize(r.stdout, false))

	bad := h.writeConfig("bad.hcl", `account "a" {
  ig_user_id   = "17841400000000001"
  access_token = var.token
  start_date   = "2026-13-01"
  colour       = "blue"
}

streams = ["users", "medias"]

destination {
  url = "ftp://nowhere"
}
`)
	r = h.run("validate", "-config", bad)
	h.wantCode(r, exitUsage)
	golden(t, "validate_errors.txt", h.normalize(r.stderr, false))
	r = h.run("validate", "-config", bad, "-json")
	h.wantCode(r, exitUsage)
	golden(t, "validate_errors.json", h.normalize(r.stdout, false))

	r = h.run("validate", "-config", filepath.Join(h.dir, "missing.hcl"))
	h.wantCode(r, exitUsage)
}

func TestPlanFirstRun(t *testing.T) {
	h := newHarness(t, fakeOptions())
	cfg := h.writeConfig("igexport.hcl", baseConfig)
	r := h.run("plan", "-config", cfg)
	h.wantCode(r, exitOK)
	golden(t, "plan_first_run.txt", h.normalize(r.stdout, false))
	r = h.run("plan", "-config", cfg, "-json")
	h.wantCode(r, exitOK)
	golden(t, "plan_first_run.json", h.normalizeJSON(r.stdout))
	if st := h.fake.Stats(); st.RoundTrips != st.ByEndpoint["GET /debug_token"] || st.ByEndpoint["GET /debug_token"] != 2 {
		t.Errorf("plan made %d requests to the Graph API %v, want only the token check (one debug_token a run)", st.RoundTrips, st.ByEndpoint)
	}
}

func TestPlanSelectorsAndBackfill(t *testing.T) {
	h := newHarness(t, fakeOptions())
	cfg := h.writeConfig("igexport.hcl", baseConfig)
	r := h.run("plan", "-config", cfg, "-account", "brand_b", "-stream", "user_insights", "-stream", "users",
		"-from", "2024-06-01", "-to", "2024-12-31", "-snapshot-date", "2026-11-20")
	h.wantCode(r, exitOK)
	golden(t, "plan_backfill.txt", h.normalize(r.stdout, false))
	if !strings.Contains(r.stdout, "2024-06-01..2024-11-23") {
		t.Errorf("plan does not show the range too old to recover:\n%s", r.stdout)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown stream", []string{"-stream", "reels"}, `-stream "reels": unknown stream`},
		{"bad shard", []string{"-shard", "4/4"}, `-shard "4/4": want I/N`},
		{"to without from", []string{"-to", "2026-01-01"}, "-to needs -from"},
		{"bad date", []string{"-from", "yesterday"}, "want a date as YYYY-MM-DD"},
		{"unknown account", []string{"-account", "brand_z"}, `-account "brand_z": no such account`},
		{"bad log format", []string{"-log-format", "xml"}, `-log-format "xml"`},
		{"unknown flag", []string{"-frobnicate"}, "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.run(append([]string{"plan", "-config", cfg}, tc.args...)...)
			h.wantCode(r, exitUsage)
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr does not say %q:\n%s", tc.want, r.stderr)
			}
		})
	}
}

// TestApplyThenPlan: the summary (table, -json, runs/<run_id>.json), then a
// plan made from the state, whose estimates are what the next apply sends.
func TestApplyThenPlan(t *testing.T) {
	h := newHarness(t, fakeOptions())
	cfg := h.writeConfig("igexport.hcl", baseConfig)
	r := h.run("apply", "-config", cfg)
	h.wantCode(r, exitOK)
	golden(t, "apply_summary.txt", h.normalize(r.stdout, true))
	noControl(t, "apply stdout", r.stdout)
	noControl(t, "apply stderr", r.stderr)

	r = h.run("plan", "-config", cfg)
	h.wantCode(r, exitOK)
	golden(t, "plan_after_apply.txt", h.normalize(r.stdout, false))
	r = h.run("plan", "-config", cfg, "-json")
	h.wantCode(r, exitOK)
	var p export.Plan
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatal(err)
	}

	h.fake.ResetStats()
	r = h.run("apply", "-config", cfg, "-json")
	h.wantCode(r, exitOK)
	golden(t, "apply_summary.json", h.normalizeJSON(r.stdout))
	var sum export.Summary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatal(err)
	}
	// The plan's estimates are exact for a run without retries.
	for i, a := range sum.Accounts {
		pa := p.Accounts[i]
		if a.AccountID != pa.AccountID {
			t.Fatalf("account %d: summary %s, plan %s", i, a.AccountID, pa.AccountID)
		}
		for j, s := range a.Streams {
			ps := pa.Streams[j]
			if s.Counters.Calls != ps.Estimate.Calls || s.Counters.RoundTrips != ps.Estimate.RoundTrips {
				t.Errorf("%s/%s: plan estimated %d calls / %d round trips, apply made %d / %d", a.Name, s.Stream,
					ps.Estimate.Calls, ps.Estimate.RoundTrips, s.Counters.Calls, s.Counters.RoundTrips)
			}
		}
	}
	if st := h.fake.Stats(); st.Calls != p.Totals.Calls || st.RoundTrips != p.Totals.RoundTrips {
		t.Errorf("the emulator counted %d calls / %d round trips, the plan estimated %d / %d",
			st.Calls, st.RoundTrips, p.Totals.Calls, p.Totals.RoundTrips)
	}

	// runs/<run_id>.json in the bucket is the same summary.
	stored, err := os.ReadFile(filepath.Join(h.dir, "lake", "instagram", "_igexport", "runs", sum.RunID+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if h.normalizeJSON(string(stored)) != h.normalizeJSON(r.stdout) {
		t.Errorf("runs/%s.json differs from the -json summary:\n%s", sum.RunID, stored)
	}
}

func TestStalePlanIsRefused(t *testing.T) {
	h := newHarness(t, fakeOptions())
	cfg := h.writeConfig("igexport.hcl", baseConfig)
	planFile := filepath.Join(h.dir, "nightly.plan")
	r := h.run("plan", "-config", cfg, "-out", planFile)
	h.wantCode(r, exitOK)
	if !strings.Contains(r.stdout, "igexport apply "+planFile) {
		t.Errorf("plan -out does not say how to apply it:\n%s", r.stdout)
	}

	// The saved plan applies while the state has not moved.
	r = h.run("apply", planFile)
	h.wantCode(r, exitOK)

	// Now it is stale: the state generations moved.
	r = h.run("apply", planFile)
	h.wantCode(r, exitError)
	golden(t, "apply_stale_plan.txt", h.normalize(r.stderr, false))
	if r.stdout != "" {
		t.Errorf("a refused plan printed a summary:\n%s", r.stdout)
	}

	// A new plan applies.
	r = h.run("plan", "-config", cfg, "-stream", "users", "-out", planFile)
	h.wantCode(r, exitOK)
	r = h.run("apply", planFile, "-json")
	h.wantCode(r, exitOK)
	var sum export.Summary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatal(err)
	}
	for _, a := range sum.Accounts {
		if len(a.Streams) != 1 || a.Streams[0].Stream != "users" {
			t.Errorf("apply PLAN did not keep the plan's selection (-stream users): %+v", a.Streams)
		}
	}

	// Stale too: the config changed, the day changed.
	r = h.run("plan", "-config", cfg, "-out", planFile)
	h.wantCode(r, exitOK)
	h.writeConfig("igexport.hcl", strings.Replace(baseConfig, `start_date   = "2026-11-15"`, `start_date   = "2026-11-01"`, 1))
	r = h.run("apply", planFile)
	h.wantCode(r, exitError)
	if !strings.Contains(r.stderr, "the config changed") {
		t.Errorf("stderr: %s", r.stderr)
	}
	h.writeConfig("igexport.hcl", baseConfig)
	h.now = testNow.Add(24 * time.Hour)
	out := h.run("apply", planFile)
	h.now = testNow
	h.wantCode(out, exitError)
	if !strings.Contains(out.stderr, "the plan was made on 2026-11-22 (UTC) and it is 2026-11-23 now") {
		t.Errorf("stderr: %s", out.stderr)
	}

	// Selection flags conflict with a plan; a file that is not a plan is a usage error.
	r = h.run("apply", "-stream", "users", planFile)
	h.wantCode(r, exitUsage)
	r = h.run("apply", cfg)
	h.wantCode(r, exitUsage)
}

// TestExitCodes drives each exit code of SPEC §6 through run().
func TestExitCodes(t *testing.T) {
	t.Run("0 success", func(t *testing.T) {
		h := newHarness(t, fakeOptions())
		cfg := h.writeConfig("igexport.hcl", baseConfig)
		h.wantCode(h.run("apply", "-config", cfg, "-stream", "users"), exitOK)
	})
	t.Run("1 error: an account failed (expired token)", func(t *testing.T) {
		h := newHarness(t, fakeOptions())
		cfg := h.writeConfig("igexport.hcl", baseConfig)
		r := h.runEnv(map[string]string{"IG_ACCESS_TOKEN": "EXPIRED-token-0000"}, "apply", "-config", cfg, "-account", "brand_a", "-stream", "users")
		h.wantCode(r, exitError)
		golden(t, "apply_token_error.txt", h.normalize(r.stdout, true))
		if !strings.Contains(r.stdout, "token") {
			t.Errorf("the summary does not say the token is the problem:\n%s", r.stdout)
		}
	})
	t.Run("1 error: the destination cannot be opened", func(t *testing.T) {
		h := newHarness(t, fakeOptions())
		cfg := h.writeConfig("igexport.hcl", strings.Replace(baseConfig, `url    = "file://{{.Dir}}/lake"`, `url    = "file://{{.Dir}}/lake/../file.txt"`, 1))
		if err := os.WriteFile(filepath.Join(h.dir, "file.txt"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := h.run("apply", "-config", cfg)
		if r.code != exitError && r.code != exitUsage {
			t.Fatalf("exit %d, want 1 (or 2)\n%s", r.code, r.stderr)
		}
	})
	t.Run("2 invalid config", func(t *testing.T) {
		h := newHarness(t, fakeOptions())
		cfg := h.writeConfig("igexport.hcl", "account \"a\" {\n")
		h.wantCode(h.run("apply", "-config", cfg), exitUsage)
		h.wantCode(h.run("plan", "-config", cfg), exitUsage)
	})
	t.Run("2 usage", func(t *testing.T) {
		h := newHarness(t, fakeOptions())
		cfg := h.writeConfig("igexport.hcl", baseConfig)
		h.wantCode(h.run("apply", "-config", cfg, "-shard", "x"), exitUsage)
		h.wantCode(h.run("apply", "-config", cfg, "a.plan", "b.plan"), exitUsage)
	})
	t.Run("3 partial: a lease held by another run", func(t *testing.T) {
		h := newHarness(t, fakeOptions())
		cfg := h.writeConfig("igexport.hcl", baseConfig)
		st, err := sinks.Open(context.Background(), "file://"+h.dir+"/lake", "instagram/_igexport")
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		lease, err := st.AcquireLease(context.Background(), "17841400000000002", "20261122T110000Z-0a0b0c", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		defer lease.Release(context.Background())

		r := h.run("plan", "-config", cfg)
		h.wantCode(r, exitOK)
		if !strings.Contains(r.stdout, "apply will skip this account (exit 3)") {
			t.Errorf("plan does not warn about the lease:\n%s", r.stdout)
		}
		r = h.run("apply", "-config", cfg, "-stream", "users")
		h.wantCode(r, exitPartial)
		golden(t, "apply_partial.txt", h.normalize(r.stdout, true))
	})
}

func TestStateCommands(t *testing.T) {
	h := newHarness(t, fakeOptions())
	cfg := h.writeConfig("igexport.hcl", baseConfig)
	r := h.run("state", "list", "-config", cfg)
	h.wantCode(r, exitOK)
	golden(t, "state_list_empty.txt", h.normalize(r.stdout, false))

	h.wantCode(h.run("apply", "-config", cfg), exitOK)
	r = h.run("state", "list", "-config", cfg)
	h.wantCode(r, exitOK)
	golden(t, "state_list.txt", h.normalize(r.stdout, true))
	r = h.run("state", "show", "brand_a", "-config", cfg)
	h.wantCode(r, exitOK)
	golden(t, "state_show.txt", h.normalize(r.stdout, true))
	r = h.run("state", "show", "-config", cfg, "-json", "17841400000000001")
	h.wantCode(r, exitOK)
	golden(t, "state_show.json", h.normalizeJSON(r.stdout))

	st, err := sinks.Open(context.Background(), "file://"+h.dir+"/lake", "instagram/_igexport")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.AcquireLease(context.Background(), "17841400000000001", "20261122T110000Z-0a0b0c", time.Hour); err != nil {
		t.Fatal(err)
	}
	r = h.run("state", "unlock", "brand_a", "-config", cfg)
	h.wantCode(r, exitOK)
	if !strings.Contains(r.stdout, "removed the lease of run 20261122T110000Z-0a0b0c") {
		t.Errorf("unlock:\n%s", r.stdout)
	}
	if li, err := st.ReadLease(context.Background(), "17841400000000001"); err != nil || li != nil {
		t.Errorf("the lease is still there: %+v, %v", li, err)
	}
	r = h.run("state", "unlock", "brand_a", "-config", cfg)
	h.wantCode(r, exitOK)
	golden(t, "state_unlock_none.txt", r.stdout)

	h.wantCode(h.run("state", "show", "nobody", "-config", cfg), exitUsage)
	h.wantCode(h.run("state", "show", "-config", cfg), exitUsage)
	h.wantCode(h.run("state", "frob", "-config", cfg), exitUsage)
	h.wantCode(h.run("state"), exitUsage)
	r = h.run("state", "show", "17841400000000009", "-config", cfg)
	h.wantCode(r, exitError)
}

func TestFmt(t *testing.T) {
	h := newHarness(t, fakeOptions())
	messy := "account \"a\" {\nig_user_id=\"1\"\n    access_token   = env(\"T\")\n}\n"
	p := filepath.Join(h.dir, "messy.hcl")
	if err := os.WriteFile(p, []byte(messy), 0o600); err != nil {
		t.Fatal(err)
	}
	r := h.run("fmt", "-check", p)
	h.wantCode(r, exitError)
	if r.stdout != p+"\n" {
		t.Errorf("fmt -check listed %q", r.stdout)
	}
	if b, _ := os.ReadFile(p); string(b) != messy {
		t.Error("fmt -check changed the file")
	}
	r = h.run("fmt", h.dir)
	h.wantCode(r, exitOK)
	b, _ := os.ReadFile(p)
	golden(t, "fmt_formatted.hcl", string(b))
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("fmt changed the mode to %v", fi.Mode().Perm())
	}
	r = h.run("fmt", "-check", p)
	h.wantCode(r, exitOK)
	if r.stdout != "" {
		t.Errorf("fmt -check on a formatted file printed %q", r.stdout)
	}

	broken := filepath.Join(h.dir, "broken.hcl")
	if err := os.WriteFile(broken, []byte("account \"a\" {\n  x = \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = h.run("fmt", broken)
	h.wantCode(r, exitUsage)
	golden(t, "fmt_syntax_error.txt", h.normalize(r.stderr, false))

	var out, errb strings.Builder
	code := run(context.Background(), []string{"fmt", "-"}, env{Stdin: strings.NewReader(messy), Stdout: &out, Stderr: &errb})
	if code != exitOK || out.String() != string(b) {
		t.Errorf("fmt - (stdin): exit %d, %q", code, out.String())
	}

	// The examples are formatted.
	files, _ := filepath.Glob("../../examples/*.hcl")
	r = h.run(append([]string{"fmt", "-check"}, files...)...)
	h.wantCode(r, exitOK)
}

func TestDDL(t *testing.T) {
	h := newHarness(t, fakeOptions())
	cfg := h.writeConfig("igexport.hcl", baseConfig)
	r := h.run("ddl", "-config", cfg, "-dialect", "duckdb", "-stream", "users")
	h.wantCode(r, exitOK)
	golden(t, "ddl_duckdb_users.sql", h.normalize(r.stdout, false))
	r = h.run("ddl", "-dialect", "athena", "-location", "s3://acme-lake", "-prefix", "instagram", "-config", filepath.Join(h.dir, "none.hcl"))
	h.wantCode(r, exitUsage) // -config given but missing
	r = h.run("ddl", "-dialect", "athena", "-location", "s3://acme-lake", "-prefix", "instagram", "-stream", "media")
	h.wantCode(r, exitOK)
	if !strings.Contains(r.stdout, "CREATE EXTERNAL TABLE") || !strings.Contains(r.stdout, "s3://acme-lake/instagram/media") {
		t.Errorf("athena DDL:\n%s", r.stdout)
	}
	h.wantCode(h.run("ddl", "-config", cfg), exitUsage)
	h.wantCode(h.run("ddl", "-config", cfg, "-dialect", "oracle"), exitUsage)
}
