package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestSignalInterrupts sends SIGINT or SIGTERM to `igexport apply` once its
// first stream has finished: the run ends "interrupted" with 130 or 143,
// the finished stream is committed, and the account that never started says
// so instead of "acquiring the lease: context canceled".
func TestSignalInterrupts(t *testing.T) {
	const token = "e2e-interrupt-token-71c2"
	for _, tc := range []struct {
		sig  syscall.Signal
		name string
		code int
	}{{syscall.SIGINT, "SIGINT", 130}, {syscall.SIGTERM, "SIGTERM", 143}} {
		t.Run(tc.name, func(t *testing.T) {
			// Every request takes 200 ms: after the first stream, the run
			// has seconds of requests left for the signal to land in.
			fake := startFake(t, "-accounts", "2", "-media", "30", "-stories", "1", "-latency", "200ms", "-token", token)
			dir := t.TempDir()
			cfg := writeConfig(t, dir, cfgOpts{URL: fake.URL, Accounts: accountsOf(ids(2)), Concurrency: 1})
			cmd := exec.Command(igexportBin, "apply", "-json", "-config", cfg)
			cmd.SysProcAttr = procAttr()
			cmd.Dir = dir
			cmd.Env = env{envName("token"): token}.list()
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			pipe, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			sc := bufio.NewScanner(pipe)
			signalled := false
			for sc.Scan() {
				stderr.WriteString(sc.Text() + "\n")
				if !signalled && strings.Contains(sc.Text(), `msg="stream finished"`) {
					signalled = true
					_ = cmd.Process.Signal(tc.sig)
				}
			}
			_ = cmd.Wait()
			if !signalled {
				t.Fatalf("no stream finished:\n%s", stderr.String())
			}
			if code := cmd.ProcessState.ExitCode(); code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout.String(), stderr.String())
			}
			if strings.Contains(stderr.String(), "acquiring the lease") || strings.Contains(stdout.String(), "acquiring the lease") {
				t.Errorf("an account never started reports a lease error:\n%s", stderr.String())
			}
			var s summary
			if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
				t.Fatalf("%v\n%s", err, stdout.String())
			}
			if s.Status != "interrupted" || s.ExitCode != tc.code || len(s.Accounts) != 2 {
				t.Fatalf("summary: %+v", s)
			}
			a1, a2 := s.Accounts[0], s.Accounts[1]
			if a1.Status != "interrupted" || a1.Generation != 1 {
				t.Errorf("a1: %s, generation %d (its finished stream must be committed): %s", a1.Status, a1.Generation, a1.Error)
			}
			if a2.Status != "interrupted" || !strings.Contains(a2.Error, "before it started") {
				t.Errorf("a2: %s %q", a2.Status, a2.Error)
			}
			if !strings.Contains(stderr.String(), "igexport apply: interrupted by "+tc.name) {
				t.Errorf("stderr does not say interrupted:\n%s", stderr.String())
			}
		})
	}
}
