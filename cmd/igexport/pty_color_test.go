//go:build linux || darwin || freebsd

package main

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestLiveDisplayNoColor: NO_COLOR (no-color.org) and TERM=dumb turn the
// live display's colours off; without them it is coloured.
func TestLiveDisplayNoColor(t *testing.T) {
	sgr := regexp.MustCompile(`\x1b\[[0-9;]*m`)
	for _, tc := range []struct {
		name  string
		env   map[string]string
		color bool
	}{
		{"default", nil, true},
		{"NO_COLOR", map[string]string{"NO_COLOR": "1"}, false},
		{"NO_COLOR empty", map[string]string{"NO_COLOR": ""}, true},
		{"TERM=dumb", map[string]string{"TERM": "dumb"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, fakeOptions())
			cfg := h.writeConfig("igexport.hcl", baseConfig)
			for k, v := range tc.env {
				h.env[k] = v
			}
			ptmx, tty, err := pty.Open()
			if err != nil {
				t.Skipf("no pseudo-terminal: %v", err)
			}
			defer ptmx.Close()
			var screen bytes.Buffer
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = io.Copy(&screen, ptmx)
			}()
			var out strings.Builder
			e := env{Stdout: &out, Stderr: tty, Now: func() time.Time { return testNow },
				LookupEnv: func(k string) (string, bool) { v, ok := h.env[k]; return v, ok }}
			code := run(t.Context(), []string{"apply", "-config", cfg}, e)
			tty.Close()
			wg.Wait()
			if code != exitOK {
				t.Fatalf("exit %d\n%s", code, screen.String())
			}
			if got := sgr.MatchString(screen.String()); got != tc.color {
				t.Errorf("colours %v, want %v:\n%q", got, tc.color, screen.String())
			}
		})
	}
}
