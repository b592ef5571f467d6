package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"time"
)

// heapProfileEnv names the environment variable that, set to a file path,
// makes igexport write a heap profile there whenever the live heap reaches a
// new high (checked every 50 ms): what was live at the peak, for `go tool
// pprof -sample_index=inuse_space`. A debugging aid for memory work
// (issue #13); nothing is printed.
const heapProfileEnv = "IGEXPORT_HEAPPROFILE"

// startHeapProfile starts the peak-heap profiler when heapProfileEnv is
// set; the returned function stops it.
func startHeapProfile(lookupEnv func(string) (string, bool)) (stop func()) {
	path, ok := lookupEnv(heapProfileEnv)
	if !ok || path == "" {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		var peak uint64
		var classes []metrics.Sample
		for _, d := range metrics.All() {
			if strings.HasPrefix(d.Name, "/memory/classes/") || strings.HasPrefix(d.Name, "/gc/heap/goal") || d.Name == "/sched/goroutines:goroutines" {
				classes = append(classes, metrics.Sample{Name: d.Name})
			}
		}
		var mapped, top uint64
		var topText string
		defer func() {
			_ = os.WriteFile(path+".metrics", fmt.Appendf([]byte(topText), "peak /gc/heap/live:bytes %d\n", peak), 0o644)
		}()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			metrics.Read(classes)
			var total, released uint64
			for _, c := range classes {
				switch c.Name {
				case "/memory/classes/total:bytes":
					total = c.Value.Uint64()
				case "/memory/classes/heap/released:bytes":
					released = c.Value.Uint64()
				}
			}
			if mapped = total - released; mapped > top {
				top = mapped
				var b strings.Builder
				for _, c := range classes {
					fmt.Fprintf(&b, "%s %d\n", c.Name, c.Value.Uint64())
				}
				topText = b.String()
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() != metrics.KindUint64 {
				return
			}
			live := sample[0].Value.Uint64()
			if live > peak {
				if live > peak+peak/20 {
					writeHeapProfile(path)
				}
				peak = live
			}
		}
	}()
	return func() { close(done); <-finished }
}

// writeHeapProfile writes the heap profile as of the last GC to path.
func writeHeapProfile(path string) {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return
	}
	err = pprof.Lookup("heap").WriteTo(f, 0)
	if cerr := f.Close(); err == nil && cerr == nil {
		_ = os.Rename(path+".tmp", path)
	}
	runtime.KeepAlive(f)
}
