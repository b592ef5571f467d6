//go:build unix

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestValidateNeverReadsSpecialFiles: validate of a config whose file()
// names /dev/zero or a FIFO, of a config or -var-file that is one, and
// apply of a saved plan that is a FIFO, each end at once with a diagnostic
// (file:line:col for file()) and exit 2, instead of filling memory or
// blocking forever.
func TestValidateNeverReadsSpecialFiles(t *testing.T) {
	h := newHarness(t, fakeOptions())
	fifo := filepath.Join(h.dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	withFile := func(name, arg string) string {
		return h.writeConfig(name, strings.Replace(baseConfig, "  access_token = var.token\n  start_date   = \"2026-11-15\"\n",
			"  access_token = trimspace(file(\""+arg+"\"))\n  start_date   = \"2026-11-15\"\n", 1))
	}
	zero, pipe := withFile("zero.hcl", "/dev/zero"), withFile("pipe.hcl", "fifo")
	// The place of the file( call in those configs: file:line:col.
	at := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range strings.Split(string(b), "\n") {
			if c := strings.Index(l, "file("); c >= 0 {
				return fmt.Sprintf("%s:%d:%d", filepath.Base(path), i+1, c+1)
			}
		}
		t.Fatalf("no file( in %s", path)
		return ""
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"file(/dev/zero)", []string{"validate", "-config", zero}, at(zero)},
		{"file(fifo)", []string{"validate", "-config", pipe}, at(pipe)},
		{"config is a fifo", []string{"validate", "-config", fifo}, "is a named pipe (FIFO), not a regular file"},
		{"var file is /dev/zero", []string{"validate", "-config", h.writeConfig("ok.hcl", baseConfig), "-var-file", "/dev/zero"}, "is a character device, not a regular file"},
		{"plan is a fifo", []string{"apply", fifo}, "is a named pipe (FIFO), not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan result, 1)
			go func() { done <- h.run(tc.args...) }()
			var r result
			select {
			case r = <-done:
			case <-time.After(time.Minute): // a watchdog: the command answers at once or hangs
				t.Fatal("blocked")
			}
			h.wantCode(r, exitUsage)
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, r.stderr)
			}
		})
	}
}
