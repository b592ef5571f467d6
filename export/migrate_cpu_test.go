//go:build unix

package export

import (
	"os"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"

	"github.com/igexport/igexport/internal/igfake"
	"github.com/igexport/igexport/internal/schema"
)

// TestMigrateDayLayoutCPU measures the migration of a two-year day-layout
// lake of two accounts (2 × 728 day files): it logs the process CPU time
// of the migrating apply alone and, with IGEXPORT_MIGRATE_PROFILE=file,
// writes its CPU profile there. A measurement, not an assertion (run it
// with IGEXPORT_MIGRATE_CPU=1):
//
//	IGEXPORT_MIGRATE_CPU=1 go test -count=1 -run TestMigrateDayLayoutCPU -v ./export/
func TestMigrateDayLayoutCPU(t *testing.T) {
	if os.Getenv("IGEXPORT_MIGRATE_CPU") == "" {
		t.Skip("a measurement: set IGEXPORT_MIGRATE_CPU=1")
	}
	day1 := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
	f := newFixture(t, igfake.Options{Accounts: 2, Media: 1, Stories: -1, Seed: 11, Now: func() time.Time { return day1 }})
	f.cfg.Streams = []string{schema.UserInsights}
	start := schema.DateOf(day1).AddDays(-maxHistoryDays)
	for i := range f.cfg.Accounts {
		f.cfg.Accounts[i].StartDate = &start
	}
	f.now = day1
	if sum := f.apply(Options{dayLayout: true}); sum.ExitCode != 0 {
		t.Fatalf("day-layout run: exit %d", sum.ExitCode)
	}
	if n := len(userInsightsLake(t, f.store())); n != 2*maxHistoryDays {
		t.Fatalf("old layout: %d files, want %d", n, 2*maxHistoryDays)
	}
	if p := os.Getenv("IGEXPORT_MIGRATE_PROFILE"); p != "" {
		out, err := os.Create(filepath.Clean(p))
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		if err := pprof.StartCPUProfile(out); err != nil {
			t.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	before := cpuTime(t)
	sum := f.apply(Options{})
	cpu := cpuTime(t) - before
	if sum.ExitCode != 0 {
		t.Fatalf("migrating run: exit %d", sum.ExitCode)
	}
	rows := 0
	for _, days := range byAccountDate(t, userInsightsLake(t, f.store())) {
		rows += len(days)
	}
	t.Logf("migrating apply: %d day files folded, %d rows, CPU %.2fs", 2*maxHistoryDays, rows, cpu.Seconds())
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
