package main

import (
	"runtime/debug"
	"slices"
	"testing"

	"github.com/igexport/igexport/export"
)

// TestApplySizesMemoryLimitByConcurrency: apply tells the process the
// concurrency of the run before it starts (the config's, or -concurrency),
// which main turns into the soft memory limit.
func TestApplySizesMemoryLimitByConcurrency(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"config", nil, 4},
		{"flag", []string{"-concurrency", "12"}, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, fakeOptions())
			h.writeConfig("c.hcl", baseConfig)
			h.wantCode(h.run(append([]string{"apply", "-config", h.config, "-stream", "users"}, tc.args...)...), exitOK)
			if !slices.Equal(h.concurrency, []int{tc.want}) {
				t.Fatalf("SetConcurrency got %v, want [%d]", h.concurrency, tc.want)
			}
		})
	}
}

// TestSetMemoryLimit: the limit follows the concurrency (32 MiB at 16),
// and GOMEMLIMIT, when set, wins.
func TestSetMemoryLimit(t *testing.T) {
	orig := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(orig) })
	if got, want := export.MemoryLimit(16), int64(32<<20); got != want {
		t.Fatalf("MemoryLimit(16) = %d, want %d", got, want)
	}
	if export.MemoryLimit(0) != export.MemoryLimit(1) || export.MemoryLimit(64) <= export.MemoryLimit(16) {
		t.Fatal("MemoryLimit must grow with the concurrency, from 1")
	}
	none := func(string) (string, bool) { return "", false }
	setMemoryLimit(none, 8)
	if got := debug.SetMemoryLimit(-1); got != export.MemoryLimit(8) {
		t.Fatalf("limit %d, want %d", got, export.MemoryLimit(8))
	}
	debug.SetMemoryLimit(123 << 20)
	setMemoryLimit(func(k string) (string, bool) { return "1GiB", k == "GOMEMLIMIT" }, 8)
	if got := debug.SetMemoryLimit(-1); got != 123<<20 {
		t.Fatalf("with GOMEMLIMIT set the limit changed to %d", got)
	}
}
