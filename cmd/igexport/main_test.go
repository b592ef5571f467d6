package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/igexport/igexport/internal/igfake"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// testNow is the clock of every test: the emulator's and igexport's. At
// 12:00 UTC the previous US Pacific day is over, so user_insights reaches
// yesterday.
var testNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// canary is the only token the emulator accepts; it must never be printed.
const canary = "CANARY-tok-8d1f0a7c5e"

// harness is one test's emulator, bucket directory and config.
type harness struct {
	t      *testing.T
	dir    string
	fake   *igfake.Server
	srv    *httptest.Server
	config string
	env    map[string]string
	now    time.Time // igexport's clock (the emulator's stays testNow)
	// concurrency is what apply told env.SetConcurrency, in order.
	concurrency []int
}

// fakeOptions are the emulator's defaults in these tests: small accounts.
func fakeOptions() igfake.Options {
	return igfake.Options{Accounts: 2, Media: 30, Stories: 2, Seed: 1, Token: canary,
		Now: func() time.Time { return testNow }}
}

func newHarness(t *testing.T, fo igfake.Options) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), env: map[string]string{"IG_ACCESS_TOKEN": canary}, now: testNow}
	h.fake = igfake.New(fo)
	h.srv = httptest.NewServer(h.fake)
	t.Cleanup(h.srv.Close)
	return h
}

// baseConfig: two explicit accounts, a week of user_insights on the first
// run, a file:// lake in the test's directory, the default API version
// (whose default metrics leave out the Facebook-share-only ones, so plan's
// estimates are exact there).
const baseConfig = `igexport {
  graph_api_url     = "{{.API}}"
  concurrency       = 4
}

variable "token" {
  sensitive = true
  default   = env("IG_ACCESS_TOKEN")
}

account "brand_a" {
  ig_user_id   = "17841400000000001"
  access_token = var.token
  start_date   = "2026-11-15"
}

account "brand_b" {
  ig_user_id   = "17841400000000002"
  access_token = var.token
  start_date   = "2026-11-15"
}

destination {
  url    = "file://{{.Dir}}/lake"
  prefix = "instagram"
}
`

// writeConfig renders a config template ({{.API}}, {{.Dir}}) into the
// test's directory and makes it the harness's config.
func (h *harness) writeConfig(name, tmpl string) string {
	h.t.Helper()
	var b bytes.Buffer
	if err := template.Must(template.New(name).Parse(tmpl)).Execute(&b, map[string]string{"API": h.srv.URL, "Dir": h.dir}); err != nil {
		h.t.Fatal(err)
	}
	p := filepath.Join(h.dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		h.t.Fatal(err)
	}
	h.config = p
	return p
}

// result is what one command printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

func (h *harness) run(args ...string) result {
	h.t.Helper()
	return h.runEnv(nil, args...)
}

// runEnv runs igexport in-process, with stdout and stderr captured (not a
// terminal), the test clock, and a fast heartbeat.
func (h *harness) runEnv(extra map[string]string, args ...string) result {
	h.t.Helper()
	var out, errb bytes.Buffer
	now := h.now
	vars := map[string]string{}
	for k, v := range h.env {
		vars[k] = v
	}
	for k, v := range extra {
		vars[k] = v
	}
	e := env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		LookupEnv:      func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		Now:            func() time.Time { return now },
		Heartbeat:      time.Hour,
		SetConcurrency: func(n int) { h.concurrency = append(h.concurrency, n) },
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := run(ctx, args, e)
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

func (h *harness) wantCode(r result, code int) {
	h.t.Helper()
	if r.code != code {
		h.t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

var (
	reRunID  = regexp.MustCompile(`\d{8}T\d{6}Z-[0-9a-f]{6}`)
	reBytes  = regexp.MustCompile(`\b\d+(\.\d+)?(B|KiB|MiB|GiB)\b`)
	reDur    = regexp.MustCompile(`\b(\d+h)?(\d+m)?\d+(\.\d+)?(ns|µs|ms|s|m|h)\b`)
	reSpaces = regexp.MustCompile(` {2,}`)
	reAPI    = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	reTime   = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	// The usage % the emulator reports depends on the order concurrent
	// streams' calls reach it.
	reBudget = regexp.MustCompile(`budget: usage was .*`)
)

var hostname, _ = os.Hostname()

// normalize replaces what changes from run to run: the test directory, the
// emulator's port, run ids; with table set also byte sizes and durations,
// and it collapses the column padding those change.
func (h *harness) normalize(s string, table bool) string {
	s = strings.ReplaceAll(s, h.dir, "$DIR")
	s = reAPI.ReplaceAllString(s, "$$API")
	s = reRunID.ReplaceAllString(s, "RUN_ID")
	if table {
		s = reTime.ReplaceAllString(s, "TIME")
		if hostname != "" {
			s = strings.ReplaceAll(s, " "+hostname+" ", " HOST ")
		}
		s = reBytes.ReplaceAllString(s, "BYTES")
		s = reDur.ReplaceAllString(s, "DUR")
		s = reBudget.ReplaceAllString(s, "budget: BUDGET")
		s = reSpaces.ReplaceAllString(s, "  ")
	}
	return s
}

// normalizeJSON rewrites the volatile values of a JSON document: sizes,
// hashes, durations and times that depend on the real clock.
func (h *harness) normalizeJSON(s string) string {
	h.t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		h.t.Fatalf("not JSON: %v\n%s", err, s)
	}
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				switch k {
				case "bytes":
					x[k] = "BYTES"
				case "sha256":
					x[k] = "SHA256"
				case "config_digest":
					x[k] = "DIGEST"
				case "duration", "throttle_waited":
					x[k] = "DUR"
				case "usage_percent":
					x[k] = "USAGE" // depends on the order concurrent streams' calls reach the emulator
				case "acquired_at", "expires_at":
					x[k] = "TIME"
				default:
					x[k] = walk(val)
				}
			}
			return x
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
			return x
		case string:
			return h.normalize(x, false)
		}
		return v
	}
	b, _ := json.MarshalIndent(walk(v), "", "  ")
	return string(b) + "\n"
}

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (go test -update rewrites it):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// noSecret fails when the canary token shows up in any of texts.
func noSecret(t *testing.T, what string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, canary) {
			t.Errorf("%s: the token appears in:\n%s", what, s)
		}
	}
}

// noControl fails on terminal control sequences: ESC and carriage returns.
func noControl(t *testing.T, what, s string) {
	t.Helper()
	if i := strings.IndexAny(s, "\x1b\r"); i >= 0 {
		lo := max(0, i-80)
		t.Errorf("%s has a terminal control sequence at byte %d: %q", what, i, s[lo:min(len(s), i+40)])
	}
}

// lakeFiles returns every object under the test's lake, by relative path.
func (h *harness) lakeFiles() map[string][]byte {
	h.t.Helper()
	out := map[string][]byte{}
	root := filepath.Join(h.dir, "lake")
	_ = filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			h.t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = b
		return nil
	})
	return out
}
