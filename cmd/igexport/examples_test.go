package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// exampleEnv is what the examples read with env(): every token set, so that
// validate reports no "empty access_token" warning.
var exampleEnv = map[string]string{
	"IG_ACCESS_TOKEN": "example-token-1234", "IG_APP_SECRET": "example-secret-1234", "CLIENT_X_TOKEN": "example-token-5678",
}

// TestExamplesValidate runs `igexport validate` on every example config:
// the .hcl files and the igexport.hcl embedded in the Kubernetes manifests.
func TestExamplesValidate(t *testing.T) {
	h := newHarness(t, fakeOptions())
	files, err := filepath.Glob("../../examples/*.hcl")
	if err != nil || len(files) < 4 {
		t.Fatalf("examples: %v %v", files, err)
	}
	manifests, _ := filepath.Glob("../../examples/*.yaml")
	for _, m := range manifests {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		cfg := embeddedConfig(string(b))
		if cfg == "" {
			t.Errorf("%s: no igexport.hcl in a ConfigMap", m)
			continue
		}
		p := filepath.Join(h.dir, filepath.Base(m)+".hcl")
		if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := h.runEnv(exampleEnv, "validate", "-config", f)
			h.wantCode(r, exitOK)
			if r.stderr != "" {
				t.Errorf("validate printed diagnostics:\n%s", r.stderr)
			}
		})
	}
}

// embeddedConfig returns the block scalar under `igexport.hcl: |`.
func embeddedConfig(manifest string) string {
	lines := strings.Split(manifest, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "igexport.hcl: |" {
			continue
		}
		indent := -1
		var out []string
		for _, x := range lines[i+1:] {
			if strings.TrimSpace(x) == "" {
				out = append(out, "")
				continue
			}
			n := len(x) - len(strings.TrimLeft(x, " "))
			if indent < 0 {
				indent = n
			}
			if n < indent {
				break
			}
			out = append(out, x[indent:])
		}
		return strings.Join(out, "\n")
	}
	return ""
}

// TestExamplesCI checks what the CI examples promise: secrets from the
// environment, exit code 3 as a warning, the shard from the completion
// index with N equal to the completions.
func TestExamplesCI(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("../../examples", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	gha := read("github-actions-nightly.yml")
	for _, want := range []string{"secrets.IG_ACCESS_TOKEN", "actions/cache@", `"$rc" -eq 3`, "::warning", "igexport apply", "schedule:"} {
		if !strings.Contains(gha, want) {
			t.Errorf("github-actions-nightly.yml lacks %q", want)
		}
	}
	if strings.Contains(gha, "IG_ACCESS_TOKEN=") {
		t.Error("github-actions-nightly.yml writes a token literally")
	}
	cron := read("kubernetes-cronjob.yaml")
	for _, want := range []string{"kind: CronJob", "secretRef:", `"$rc" -eq 3`, "concurrencyPolicy: Forbid"} {
		if !strings.Contains(cron, want) {
			t.Errorf("kubernetes-cronjob.yaml lacks %q", want)
		}
	}
	job := read("kubernetes-indexed-job.yaml")
	m := regexp.MustCompile(`-shard "\$JOB_COMPLETION_INDEX/(\d+)"`).FindStringSubmatch(job)
	c := regexp.MustCompile(`(?m)^\s*completions: (\d+)`).FindStringSubmatch(job)
	if m == nil || c == nil || m[1] != c[1] || !strings.Contains(job, "completionMode: Indexed") {
		t.Errorf("kubernetes-indexed-job.yaml: -shard %v and completions %v must agree in an Indexed Job", m, c)
	}
}

// TestExampleDemoPlans: the demo config (make demo) plans against the
// emulator's URL without touching it.
func TestExampleDemoPlans(t *testing.T) {
	h := newHarness(t, fakeOptions())
	b, err := os.ReadFile("../../examples/demo.hcl")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.ReplaceAll(string(b), "http://127.0.0.1:8089", h.srv.URL)
	cfg = strings.ReplaceAll(cfg, "file://./lake", "file://"+h.dir+"/lake")
	p := filepath.Join(h.dir, "demo.hcl")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	r := h.run("plan", "-config", p)
	h.wantCode(r, exitOK)
	if !strings.Contains(r.stdout, "accounts discovered at apply time") {
		t.Errorf("plan of a discover-only config:\n%s", r.stdout)
	}
	r = h.run("apply", "-config", p, "-stream", "users") // two years of user_insights take long
	h.wantCode(r, exitOK)
	r = h.run("plan", "-config", p)
	h.wantCode(r, exitOK)
	golden(t, "plan_demo_known_from_state.txt", h.normalize(r.stdout, false))
}
