package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/igexport/igexport/export"
)

// threeAccounts is baseConfig with a third account.
const threeAccounts = baseConfig + `
account "brand_c" {
  ig_user_id   = "17841400000000003"
  access_token = var.token
  start_date   = "2026-11-15"
}
`

// runCtx is runEnv with the caller's context (an interrupted run).
func (h *harness) runCtx(ctx context.Context, args ...string) result {
	h.t.Helper()
	var out, errb bytes.Buffer
	e := env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		LookupEnv: func(k string) (string, bool) { v, ok := h.env[k]; return v, ok },
		Now:       func() time.Time { return h.now },
		Heartbeat: time.Hour,
	}
	code := run(ctx, args, e)
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// TestInterrupted: a signal in the middle of a run (accounts one at a time)
// stops it as "interrupted" with 128 + the signal's number: the account that
// finished is committed, the one running is interrupted, the one never
// started says so (not "acquiring the lease: context canceled"), and the
// stored run summary says interrupted too.
func TestInterrupted(t *testing.T) {
	for _, tc := range []struct {
		sig  string
		code int
	}{{"SIGINT", 130}, {"SIGTERM", 143}} {
		t.Run(tc.sig, func(t *testing.T) {
			fo := fakeOptions()
			fo.Accounts = 3
			h := newHarness(t, fo)
			h.writeConfig("igexport.hcl", threeAccounts)
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			// The first request for brand_b is the signal: it never gets an answer.
			h.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "17841400000000002") {
					cancel(&export.InterruptError{Signal: tc.sig, ExitCode: tc.code})
					<-r.Context().Done()
					return
				}
				h.fake.ServeHTTP(w, r)
			})
			r := h.runCtx(ctx, "apply", "-config", h.config, "-concurrency", "1", "-json")
			h.wantCode(r, tc.code)
			if strings.Contains(r.stderr+r.stdout, "acquiring the lease") || strings.Contains(r.stderr+r.stdout, "context canceled") {
				t.Errorf("an interrupted run reports cancellation errors:\n%s\n%s", r.stderr, r.stdout)
			}
			var sum export.Summary
			if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
				t.Fatalf("%v\n%s", err, r.stdout)
			}
			stored, err := os.ReadFile(filepath.Join(h.dir, "lake", "instagram", "_igexport", "runs", sum.RunID+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var sumStored export.Summary
			if err := json.Unmarshal(stored, &sumStored); err != nil {
				t.Fatal(err)
			}
			for _, s := range []export.Summary{sum, sumStored} {
				if s.Status != export.StatusInterrupted || s.ExitCode != tc.code || len(s.Accounts) != 3 {
					t.Fatalf("summary: status %q exit %d, %d accounts", s.Status, s.ExitCode, len(s.Accounts))
				}
				a, b, c := s.Accounts[0], s.Accounts[1], s.Accounts[2]
				if a.Status != export.StatusOK || a.Generation != 1 {
					t.Errorf("brand_a finished before the signal: %s, generation %d (%s)", a.Status, a.Generation, a.Error)
				}
				if b.Status != export.StatusInterrupted || !strings.Contains(b.Error, "interrupted by "+tc.sig) || b.Generation != 0 {
					t.Errorf("brand_b: %s %q, generation %d", b.Status, b.Error, b.Generation)
				}
				for _, st := range b.Streams {
					if st.Status != export.StatusInterrupted {
						t.Errorf("brand_b/%s: %s %q", st.Stream, st.Status, st.Error)
					}
				}
				if c.Status != export.StatusInterrupted || !strings.Contains(c.Error, "before it started") {
					t.Errorf("brand_c: %s %q", c.Status, c.Error)
				}
			}
			// brand_a is committed: the next plan reads its generation.
			r = h.run("plan", "-config", h.config)
			h.wantCode(r, exitOK)
			if !strings.Contains(r.stdout, "Account brand_a (17841400000000001): state generation 1") {
				t.Errorf("brand_a was not committed:\n%s", r.stdout)
			}
		})
	}
}

// TestInterruptedTable: the summary table ends with the interrupted status
// and exit code, and stderr says what to do.
func TestInterruptedTable(t *testing.T) {
	h := newHarness(t, fakeOptions())
	h.writeConfig("igexport.hcl", baseConfig)
	ctx, cancel := context.WithCancelCause(context.Background())
	h.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "17841400000000002") {
			cancel(interruptCause(os.Interrupt))
			<-r.Context().Done()
			return
		}
		h.fake.ServeHTTP(w, r)
	})
	r := h.runCtx(ctx, "apply", "-config", h.config, "-concurrency", "1")
	h.wantCode(r, 130)
	if !strings.Contains(r.stdout, ": interrupted (exit 130)") || !strings.Contains(r.stdout, "brand_b (17841400000000002): interrupted: interrupted by SIGINT") {
		t.Errorf("summary:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "igexport apply: interrupted by SIGINT") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
}

// TestEmptyToken: with IG_ACCESS_TOKEN unset, plan and apply stop before
// any request, name the account and the variable, and exit 2.
func TestEmptyToken(t *testing.T) {
	const discoverConfig = `igexport {
  graph_api_url = "{{.API}}"
}

discover "emulator" {
  access_token = env("IG_ACCESS_TOKEN")
}

destination {
  url = "file://{{.Dir}}/lake"
}
`
	const igLoginNoIDConfig = `igexport {
  graph_api_url     = "{{.API}}"
  instagram_api_url = "{{.API}}"
}

account "creator" {
  access_token = env("IG_ACCESS_TOKEN")
  login        = "instagram"
}

destination {
  url = "file://{{.Dir}}/lake"
}
`
	for _, tc := range []struct {
		name, config, want string
		args               []string
	}{
		{"plan", baseConfig, "igexport plan: the token for account brand_a is empty (IG_ACCESS_TOKEN not set?)", []string{"plan"}},
		{"apply", baseConfig, "igexport apply: the token for account brand_a is empty (IG_ACCESS_TOKEN not set?)", []string{"apply"}},
		{"apply one account", baseConfig, "the token for account brand_b is empty (IG_ACCESS_TOKEN not set?)", []string{"apply", "-account", "brand_b"}},
		{"discover", discoverConfig, "igexport apply: the token for discover block emulator is empty (IG_ACCESS_TOKEN not set?)", []string{"apply"}},
		// Its id is known after GET /me only: every shard checks it.
		{"instagram login account without id, a shard", igLoginNoIDConfig,
			"igexport apply: the token for account creator is empty (IG_ACCESS_TOKEN not set?)", []string{"apply", "-shard", "0/2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, fakeOptions())
			delete(h.env, "IG_ACCESS_TOKEN")
			var requests atomic.Int64
			h.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				h.fake.ServeHTTP(w, r)
			})
			h.writeConfig("igexport.hcl", tc.config)
			r := h.run(append(tc.args, "-config", h.config)...)
			h.wantCode(r, exitUsage)
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, r.stderr)
			}
			if n := requests.Load(); n != 0 {
				t.Errorf("%d requests reached the API", n)
			}
		})
	}
}

// TestConventions: every -h exits 0, `help CMD` prints CMD's usage, a bad
// flag value prints the error and one line pointing at -h, flags before the
// command are pointed after it, and -projection names what Athena calls it.
func TestConventions(t *testing.T) {
	h := newHarness(t, fakeOptions())
	h.writeConfig("igexport.hcl", baseConfig)
	for _, tc := range []struct {
		args       []string
		code       int
		out, err   string // substrings of stdout, stderr
		maxErrRows int    // 0: any
	}{
		{args: []string{"validate", "-h"}, err: "Usage: igexport validate"},
		{args: []string{"plan", "-h"}, err: "Usage: igexport plan"},
		{args: []string{"apply", "-h"}, err: "Usage: igexport apply"},
		{args: []string{"state", "-h"}, err: "Usage: igexport state"},
		{args: []string{"state", "list", "-h"}, err: "Usage: igexport state list"},
		{args: []string{"fmt", "-h"}, err: "Usage: igexport fmt"},
		{args: []string{"ddl", "-h"}, err: "injected (the default"},
		{args: []string{"version", "-h"}, err: "Usage: igexport version"},
		{args: []string{"help", "apply"}, out: "Usage: igexport apply"},
		{args: []string{"help", "state"}, out: "Usage: igexport state"},
		{args: []string{"plan", "-concurrency", "x"}, code: exitUsage, maxErrRows: 2,
			err: "invalid value \"x\" for flag -concurrency: parse error\nRun 'igexport plan -h' for its flags.\n"},
		{args: []string{"apply", "-from", "2026-13-01"}, code: exitUsage, maxErrRows: 2, err: "Run 'igexport apply -h' for its flags."},
		{args: []string{"plan", "-nosuchflag"}, code: exitUsage, maxErrRows: 2, err: "flag provided but not defined: -nosuchflag"},
		{args: []string{"-config", "f", "plan"}, code: exitUsage, err: "igexport: flags go after the command: igexport plan -config f\n"},
		{args: []string{"-config", "f", "plan", "-json"}, code: exitUsage, err: "igexport plan -config f -json"},
		{args: []string{"ddl", "-dialect", "athena", "-location", "s3://b", "-projection", "nope"}, code: exitUsage,
			err: "want injected (the default: account_id is an injected partition projection"},
		{args: []string{"ddl", "-dialect", "athena", "-location", "s3://b", "-projection", "injected"}, out: "'projection.account_id.type' = 'injected'"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := h.run(tc.args...)
			h.wantCode(r, tc.code)
			if !strings.Contains(r.stdout, tc.out) || !strings.Contains(r.stderr, tc.err) {
				t.Errorf("want stdout ∋ %q, stderr ∋ %q\nstdout:\n%s\nstderr:\n%s", tc.out, tc.err, r.stdout, r.stderr)
			}
			if n := strings.Count(r.stderr, "\n"); tc.maxErrRows > 0 && n > tc.maxErrRows {
				t.Errorf("stderr has %d lines, want at most %d:\n%s", n, tc.maxErrRows, r.stderr)
			}
		})
	}
}

// TestDocumentedDDLDatabases runs every `igexport ddl -dialect D -database
// X` of the docs: the BigQuery example once named a project id BigQuery
// does not accept (my_project), and ddl rejected it.
func TestDocumentedDDLDatabases(t *testing.T) {
	h := newHarness(t, fakeOptions())
	re := regexp.MustCompile("igexport ddl -dialect (athena|bigquery) -database ([A-Za-z0-9_.-]+)")
	n := 0
	for _, page := range []string{"../../docs/querying.md", "../../docs/commands.md", "../../README.md"} {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			n++
			loc := map[string]string{"athena": "s3://bucket", "bigquery": "gs://bucket"}[m[1]]
			r := h.run("ddl", "-dialect", m[1], "-database", m[2], "-location", loc)
			h.wantCode(r, exitOK)
			if !strings.Contains(r.stdout, m[2]) {
				t.Errorf("%s: the DDL does not name %s:\n%s", m[0], m[2], r.stdout)
			}
		}
	}
	if n < 2 {
		t.Fatalf("found %d documented ddl commands with -database, want the Athena and the BigQuery one", n)
	}
	for _, bad := range []string{"my_project.instagram", "proj.instagram", "my-project.insta-gram", "My-Project.instagram"} {
		r := h.run("ddl", "-dialect", "bigquery", "-database", bad, "-location", "gs://b")
		h.wantCode(r, exitUsage)
		if !strings.Contains(r.stderr, "a project id is 6 to 30 lowercase letters, digits and hyphens") ||
			!strings.Contains(r.stderr, "a dataset name is letters, digits and underscores") {
			t.Errorf("%s: %s", bad, r.stderr)
		}
	}
}

// TestPlanCorruptStateOneAccount: one account's corrupt state makes plan
// report that account as an error with recovery advice, plan the others,
// and exit 1.
func TestPlanCorruptStateOneAccount(t *testing.T) {
	h := newHarness(t, fakeOptions())
	h.writeConfig("igexport.hcl", baseConfig)
	h.wantCode(h.run("apply", "-config", h.config, "-stream", "users"), exitOK)
	key := filepath.Join(h.dir, "lake", "instagram", "_igexport", "accounts", "17841400000000001", "state-0000000001.json")
	if err := os.WriteFile(key, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := h.run("plan", "-config", h.config)
	h.wantCode(r, exitError)
	for _, want := range []string{
		"Account brand_a (17841400000000001): not planned\n  error: ",
		"state-0000000001.json",
		"is corrupt",
		"fix: the newest state generation of brand_a cannot be used: delete the object named above",
		"Account brand_b (17841400000000002): state generation 1",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan lacks %q:\n%s\n%s", want, r.stdout, r.stderr)
		}
	}
	r = h.run("plan", "-config", h.config, "-json")
	h.wantCode(r, exitError)
	var p export.Plan
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Accounts) != 2 || p.Accounts[0].Error == "" || p.Accounts[0].Advice == "" || p.Accounts[1].Error != "" {
		t.Errorf("plan -json accounts: %+v", p.Accounts)
	}
	// The advice works: without the corrupt generation, plan is clean.
	if err := os.Remove(key); err != nil {
		t.Fatal(err)
	}
	h.wantCode(h.run("plan", "-config", h.config), exitOK)
}

// TestPlanBudgetFromAllRuns: the usage percentage covers every call of the
// last 24 h, so plan reads the budget from all the runs of that window. A
// nightly run of 1,400 calls then an hourly stories run of 7 calls at 31 %:
// the budget is about 1,407 × 100 / 31 calls, not 7 × 100 / 31 (which
// warned that the next run would be throttled).
func TestPlanBudgetFromAllRuns(t *testing.T) {
	h := newHarness(t, fakeOptions())
	h.writeConfig("igexport.hcl", baseConfig)
	runs := filepath.Join(h.dir, "lake", "instagram", "_igexport", "runs")
	if err := os.MkdirAll(runs, 0o755); err != nil {
		t.Fatal(err)
	}
	put := func(id string, finished time.Time, calls int64, usage int) {
		b, _ := json.Marshal(map[string]any{"format": export.SummaryFormat, "run_id": id, "finished_at": finished,
			"accounts": []map[string]any{{"name": "brand_a", "account_id": "17841400000000001",
				"counters": map[string]any{"api_calls": calls, "usage_percent": usage}}}})
		if err := os.WriteFile(filepath.Join(runs, id+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	put("20261121T030000Z-000001", testNow.Add(-33*time.Hour), 5000, 80) // out of every window
	put("20261122T020000Z-000002", testNow.Add(-10*time.Hour), 1400, 30)
	put("20261122T110000Z-000003", testNow.Add(-time.Hour), 7, 31)
	r := h.run("plan", "-config", h.config)
	h.wantCode(r, exitOK)
	want := "budget: usage was 31% after run 20261122T110000Z-000003; the 2 runs of the 24 h up to it made 1407 calls: about 4538 calls a day; the runs of the last 24 h made 1407, ≈3131 left now"
	if !strings.Contains(r.stdout, want) {
		t.Errorf("plan lacks %q:\n%s", want, r.stdout)
	}
	if strings.Contains(r.stdout, "expect throttling") {
		t.Errorf("a false throttling warning:\n%s", r.stdout)
	}
}

// TestValidateBucketQueryParams: validate checks a bucket URL's query
// parameters against its scheme's driver (they were only rejected when
// plan opened the bucket), at file:line:col, with a suggestion.
func TestValidateBucketQueryParams(t *testing.T) {
	for _, tc := range []struct {
		url, want string
		code      int
	}{
		{"s3://lake?use_pathstyle=true&region=us-east-1", `s3:// URLs take no query parameter "use_pathstyle". Did you mean "use_path_style"?`, exitUsage},
		{"gs://lake?anonymus=true", `gs:// URLs take no query parameter "anonymus". Did you mean "anonymous"?`, exitUsage},
		{"azblob://c?localemu=true&protocol=http&domian=127.0.0.1:10000", `Did you mean "domain"?`, exitUsage},
		{"file://./lake?create_dirs=1", `Did you mean "create_dir"?`, exitUsage},
		{"s3://lake?endpoint=http://127.0.0.1:9000&use_path_style=true&region=us-east-1&disable_https=true", "", exitOK},
		{"azblob://c?localemu=true&protocol=http&domain=127.0.0.1:10000", "", exitOK},
	} {
		t.Run(tc.url, func(t *testing.T) {
			h := newHarness(t, fakeOptions())
			cfg := strings.Replace(baseConfig, `url    = "file://{{.Dir}}/lake"`, `url    = "`+tc.url+`"`, 1)
			p := h.writeConfig("igexport.hcl", cfg)
			r := h.run("validate", "-config", p)
			h.wantCode(r, tc.code)
			if tc.want == "" {
				return
			}
			line := 1 + strings.Count(cfg[:strings.Index(cfg, "url    = ")], "\n")
			at := fmt.Sprintf("%s:%d:12", p, line)
			if !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, at) {
				t.Errorf("stderr lacks %q at %s:\n%s", tc.want, at, r.stderr)
			}
		})
	}
}

// TestSmallerSurprises covers issue 14's item 11: -from in the future is a
// usage error (it meant "nothing"), plan -json / apply -json print the
// diagnostics of an invalid config as JSON on stdout, and the code-190
// advice keeps its placeholders (they were redacted like secrets).
func TestSmallerSurprises(t *testing.T) {
	h := newHarness(t, fakeOptions())
	good := h.writeConfig("igexport.hcl", baseConfig)

	r := h.run("plan", "-config", good, "-from", "2027-01-01")
	h.wantCode(r, exitUsage)
	if !strings.Contains(r.stderr, "-from 2027-01-01 is after today (2026-11-22, UTC)") {
		t.Errorf("stderr:\n%s", r.stderr)
	}

	bad := h.writeConfig("bad.hcl", strings.Replace(baseConfig, `ig_user_id   = "17841400000000001"`, `ig_user_id   = "brand-a"`, 1))
	for _, cmd := range []string{"plan", "apply"} {
		r = h.run(cmd, "-config", bad, "-json")
		h.wantCode(r, exitUsage)
		var out struct {
			Valid       bool
			Diagnostics []struct{ Summary, Filename string }
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Valid || len(out.Diagnostics) == 0 || out.Diagnostics[0].Filename != bad {
			t.Errorf("%s -json on an invalid config: %v\nstdout:\n%s", cmd, err, r.stdout)
		}
	}

	h.env["IG_ACCESS_TOKEN"] = "not-the-token-0123456789"
	r = h.run("apply", "-config", good, "-stream", "users")
	h.wantCode(r, exitError)
	if !strings.Contains(r.stdout, "client_id=APP_ID&client_secret=APP_SECRET&fb_exchange_token=SHORT_LIVED_TOKEN") {
		t.Errorf("the token advice lost its placeholders:\n%s", r.stdout)
	}
	noSecret(t, "apply", r.stdout, r.stderr)
}

// TestPlanFollowerCountNoteAndNoDirs: the follower_count note names the
// first day the API serves (the last 30 days excluding today: 2026-10-23
// when today is 2026-11-22), and plan, which only reads state, creates no
// destination directory.
func TestPlanFollowerCountNoteAndNoDirs(t *testing.T) {
	h := newHarness(t, fakeOptions())
	cfg := h.writeConfig("igexport.hcl", strings.ReplaceAll(baseConfig, `"2026-11-15"`, `"2026-10-01"`))
	r := h.run("plan", "-config", cfg, "-stream", "user_insights")
	h.wantCode(r, exitOK)
	if _, err := os.Stat(filepath.Join(h.dir, "lake")); !os.IsNotExist(err) {
		t.Errorf("plan created the destination directory: %v", err)
	}
	r = h.run("apply", "-config", cfg, "-stream", "user_insights")
	h.wantCode(r, exitOK)
	if !strings.Contains(r.stdout+r.stderr, "NULL before 2026-10-23") {
		t.Errorf("follower_count note:\n%s\n%s", r.stdout, r.stderr)
	}
}

// TestLiveHeaderCounts: the live header's total is the accounts selected
// from the start (not those started so far), and a row counter never goes
// down when a stream keeps fewer rows than it fetched.
func TestLiveHeaderCounts(t *testing.T) {
	d := newLiveDisplay(&bytes.Buffer{}, 1, func() (int, int) { return 100, 30 })
	d.noColor = true
	var p export.Progress = d
	c, ok := p.(export.AccountCounter)
	if !ok {
		t.Fatal("the live display does not take the number of accounts")
	}
	c.AccountsSelected(3)
	d.AccountStarted("brand_a")
	d.StreamStarted("brand_a", "media")
	d.StreamProgress("brand_a", "media", 300)
	frame := strings.Join(d.frameLines(), "\n")
	if !strings.Contains(frame, "0/3 accounts done") || !strings.Contains(frame, "300 rows") {
		t.Errorf("frame:\n%s", frame)
	}
	var r export.StreamResult
	r.Counters.Rows = 152
	d.StreamFinished("brand_a", "media", r)
	frame = strings.Join(d.frameLines(), "\n")
	if strings.Contains(frame, "152") || !strings.Contains(frame, "300 rows") {
		t.Errorf("the row counter went down:\n%s", frame)
	}
}

// TestUnreachableAPISummary: with nothing listening at graph_api_url the
// summary counts no API call (none got a response) and says to check
// graph_api_url.
func TestUnreachableAPISummary(t *testing.T) {
	h := newHarness(t, fakeOptions())
	cfg := h.writeConfig("igexport.hcl", strings.Replace(baseConfig, `"{{.API}}"`, `"http://127.0.0.1:1"`, 1))
	r := h.run("apply", "-config", cfg, "-stream", "users")
	h.wantCode(r, exitError)
	if !strings.Contains(r.stdout, "hint: no request reached the Graph API") || !strings.Contains(r.stdout, "check graph_api_url") {
		t.Errorf("no hint to check graph_api_url:\n%s", r.stdout)
	}
}

// TestSummaryFits100Columns: apply's summary table fits 100 columns (the
// quiet columns are left out, the long headers shortened).
func TestSummaryFits100Columns(t *testing.T) {
	h := newHarness(t, fakeOptions())
	cfg := h.writeConfig("igexport.hcl", baseConfig)
	r := h.run("apply", "-config", cfg)
	h.wantCode(r, exitOK)
	table, _, _ := strings.Cut(r.stdout, "\n\n")
	for _, line := range strings.Split(table, "\n") {
		if n := len([]rune(line)); n > 100 {
			t.Errorf("%d columns wide: %s", n, line)
		}
	}
}
