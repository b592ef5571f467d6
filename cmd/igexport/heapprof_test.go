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
// leaves a heap profile (gzipped pprof) and its .metrics file; unset, it
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
	if err != nil || !strings.Contains(string(m), "/memory/classes/total:bytes ") || !strings.Contains(string(m), "peak /gc/heap/live:bytes ") {
		t.Fatalf("metrics: %v\n%s", err, m)
	}
}
