//go:build linux || darwin || freebsd

package main

import (
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/igexport/igexport/internal/igfake"
)

// TestTokenRefreshRefusesATerminal: without -out, token refresh prints the
// new token only when stdout is not a terminal; on one it refuses (exit 2)
// before any request, and the terminal shows no token.
func TestTokenRefreshRefusesATerminal(t *testing.T) {
	h := tokenHarness(t, igfake.TokenSpec{})
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	var screen strings.Builder
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(&screen, ptmx)
	}()
	var errb strings.Builder
	e := env{Stdout: tty, Stderr: &errb, Now: func() time.Time { return testNow },
		LookupEnv: func(k string) (string, bool) { v, ok := h.env[k]; return v, ok }}
	code := run(t.Context(), []string{"token", "refresh", "-config", h.config, "-account", "brand_a"}, e)
	tty.Close()
	wg.Wait()
	if code != exitUsage || !strings.Contains(errb.String(), "refusing to print a token on a terminal") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	if n := h.fake.Stats().RoundTrips; n != 0 || screen.Len() != 0 {
		t.Errorf("%d requests, terminal %q", n, screen.String())
	}
}
