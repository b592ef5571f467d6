package hcl_test

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/igexport/igexport/hcl"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// testNow is the fixed "now" of every test (metric deprecations depend on it).
var testNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// testEnv is the environment every fixture sees.
var testEnv = map[string]string{
	"IG_ACCESS_TOKEN":    "EAAB-test-token-0001",
	"IG_APP_SECRET":      "test-app-secret-0001",
	"IGEXPORT_VAR_token": "EAAB-var-token-0002",
	// overrides the literal default of var.overridden in invalid/secrets.hcl
	"IGEXPORT_VAR_overridden": "app-secret-from-env",
	"IGEXPORT_VAR_not_decl":   "ignored: undeclared variables in the environment are not an error",
}

func fakeEnv(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

// testSchemes are the bucket URL schemes of the igexport binary.
var testSchemes = []string{"azblob", "file", "gs", "mem", "s3"}

func testOptions() hcl.LoadOptions {
	return hcl.LoadOptions{LookupEnv: fakeEnv(testEnv), Now: func() time.Time { return testNow }, Schemes: testSchemes}
}

func TestValidFixturesLoadWithoutDiagnostics(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid/*.hcl")
	if len(files) < 4 {
		t.Fatalf("found %d valid fixtures, want at least 4", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			cfg, diags := hcl.Load(path, testOptions())
			if diags.Len() > 0 {
				t.Fatalf("unexpected diagnostics:\n%s", diags.Error())
			}
			if cfg == nil {
				t.Fatal("nil config without diagnostics")
			}
		})
	}
}

// TestExamplesLoad keeps the documentation's examples honest: every
// examples/*.hcl must load without errors (warnings are allowed).
func TestExamplesLoad(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.hcl")
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			env := fakeEnv(map[string]string{}) // every env() is "": must still be valid
			_, diags := hcl.Load(path, hcl.LoadOptions{LookupEnv: func(k string) (string, bool) {
				if v, ok := env(k); ok {
					return v, ok
				}
				if strings.HasPrefix(k, hcl.EnvVarPrefix) {
					return "example-value-" + k, true
				}
				return "", false
			}})
			if diags.HasErrors() {
				t.Fatalf("example does not load:\n%s", diags.Error())
			}
		})
	}
}

// expectation is one "# ERROR: text" or "# WARNING: text" marker.
type expectation struct {
	severity string // "error" or "warning"
	text     string // must appear in "Summary: Detail"
}

var markerRE = regexp.MustCompile(`#\s*(ERROR|WARNING):`)

// readMarkers returns the markers of a fixture by line number. A line may
// carry several markers; a marker on a comment-only line is about that
// line too (e.g. line 1 for problems of the whole file).
func readMarkers(t *testing.T, path string) map[int][]expectation {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int][]expectation{}
	sc := bufio.NewScanner(bytes.NewReader(src))
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		locs := markerRE.FindAllStringSubmatchIndex(text, -1)
		for i, loc := range locs {
			end := len(text)
			if i+1 < len(locs) {
				end = locs[i+1][0]
			}
			out[line] = append(out[line], expectation{
				severity: strings.ToLower(text[loc[2]:loc[3]]),
				text:     strings.TrimSpace(text[loc[1]:end]),
			})
		}
	}
	return out
}

func TestInvalidFixturesReportEveryMarkedProblem(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid/*.hcl")
	if len(files) == 0 {
		t.Fatal("no invalid fixtures")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := readMarkers(t, path)
			if len(want) == 0 {
				t.Fatal("fixture has no markers")
			}
			_, diags := hcl.Load(path, testOptions())

			got := map[int][]hcl.Diagnostic{}
			for _, d := range diags.List() {
				if d.Filename != path {
					t.Errorf("diagnostic without a place in the fixture: %+v", d)
					continue
				}
				got[d.Line] = append(got[d.Line], d)
			}
			for line, exps := range want {
				for _, e := range exps {
					i := slices.IndexFunc(got[line], func(d hcl.Diagnostic) bool {
						return d.Severity == e.severity && strings.Contains(d.Summary+": "+d.Detail, e.text)
					})
					if i < 0 {
						t.Errorf("line %d: missing %s %q; got at that line: %s", line, e.severity, e.text, describe(got[line]))
						continue
					}
					got[line] = slices.Delete(got[line], i, i+1)
				}
			}
			for line, ds := range got {
				for _, d := range ds {
					t.Errorf("line %d: unexpected %s %q: %s", line, d.Severity, d.Summary, d.Detail)
				}
			}
		})
	}
}

func describe(ds []hcl.Diagnostic) string {
	if len(ds) == 0 {
		return "nothing"
	}
	var parts []string
	for _, d := range ds {
		parts = append(parts, fmt.Sprintf("%s %q: %s", d.Severity, d.Summary, d.Detail))
	}
	return strings.Join(parts, "; ")
}

// TestRenderedDiagnosticsGolden pins what a user sees: the Terraform-style
// rendering (with file:line:col, the source line and carets) and the
// one-line-per-problem form.
func TestRenderedDiagnosticsGolden(t *testing.T) {
	for _, name := range []string{"values", "unknown"} {
		t.Run(name, func(t *testing.T) {
			_, diags := hcl.Load("testdata/invalid/"+name+".hcl", testOptions())
			var buf bytes.Buffer
			if err := diags.Write(&buf, false); err != nil {
				t.Fatal(err)
			}
			buf.WriteString("---- Error() ----\n")
			buf.WriteString(diags.Error())
			buf.WriteString("\n")
			golden(t, "testdata/golden/"+name+".txt", buf.Bytes())
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./hcl -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test ./hcl -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
