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

// TestLiveDisplayInPTY drives apply with stderr on a pseudo-terminal: the
// live per-account display redraws in place (cursor movements), ends with
// a final frame of finished accounts, and gives the cursor back; the
// summary still goes to stdout, free of control sequences.
func TestLiveDisplayInPTY(t *testing.T) {
	fo := fakeOptions()
	fo.Latency = 20 * time.Millisecond // long enough for a few frames
	h := newHarness(t, fo)
	cfg := h.writeConfig("igexport.hcl", baseConfig)

	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 30, Cols: 100}); err != nil {
		t.Fatal(err)
	}
	var screen bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(&screen, ptmx) // ends when tty closes (EIO)
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
	s := screen.String()
	for _, want := range []string{
		csiHideCursor, csiShowCursor, // the cursor is hidden while drawing, then restored
		csiClearDown,                          // redrawn in place: up over the frame, erase it
		"igexport apply", "2/2 accounts done", // header of the final frame
		"brand_a", "brand_b", "7/7 streams", "✓",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the terminal output lacks %q:\n%q", want, s)
		}
	}
	if !regexp.MustCompile(`\x1b\[[0-9]+A`).MatchString(s) {
		t.Errorf("no cursor-up: the display is not redrawn in place:\n%q", s)
	}
	if strings.Contains(s, "level=INFO") {
		t.Errorf("info log lines tear the live display:\n%q", s)
	}
	noControl(t, "stdout", out.String())
	if !strings.Contains(out.String(), "TOTAL") {
		t.Errorf("no summary on stdout:\n%s", out.String())
	}
	noSecret(t, "terminal", s, out.String())
}
