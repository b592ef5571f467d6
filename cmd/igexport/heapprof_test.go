package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestHeapProfile: with IGEXPORT_HEAPPROFILE set, stopping the profiler
// leaves a heap profile (gzipped pprof), its .metrics file (with the run's
// totals) and the exit profile; unset, it
// writes nothing.
func TestHeapProfile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "heap.pprof")
	env := func(v string) func(string) (string, bool) {
		return func(k string) (string, bool) { return v, k == heapProfileEnv && v != "" }
	}
	startHeapProfile(env(""))()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("unset: wrote %d files", len(entries))
	}
	stop := startHeapProfile(env(path))
	runtime.GC()
	stop()
	prof, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(prof, []byte{0x1f, 0x8b}) {
		t.Fatalf("profile: %v, %d bytes, want gzipped pprof", err, len(prof))
	}
	m, err := os.ReadFile(path + ".metrics")
	for _, want := range []string{"/memory/classes/total:bytes ", "peak /gc/heap/live:bytes ", "total /gc/heap/allocs:bytes ", "total /gc/cycles/total:gc-cycles "} {
		if err != nil || !strings.Contains(string(m), want) {
			t.Fatalf("metrics: %v: want %q in\n%s", err, want, m)
		}
	}
	if exit, err := os.ReadFile(path + ".exit"); err != nil || !bytes.HasPrefix(exit, []byte{0x1f, 0x8b}) {
		t.Fatalf("exit profile: %v, %d bytes, want gzipped pprof", err, len(exit))
	}
}
