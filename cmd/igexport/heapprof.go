package main

import (
	"fmt"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"time"
)

// heapProfileEnv names the environment variable that, set to a file path,
// makes igexport write a heap profile there whenever the live heap reaches a
// new high (checked every heapProfileEvery; once more at exit if none was
// written): what was live at the peak, for `go tool pprof
// -sample_index=inuse_space`. Next to it, path.metrics holds the runtime's
// memory classes when the memory mapped by the runtime was at its highest,
// the live heap's peak, and the bytes allocated and GC cycles of the whole
// run; path.exit is a profile written at exit, for `-sample_index=
// alloc_space` of the whole run. A debugging aid for memory work (issue #13);
// nothing is printed.
const heapProfileEnv = "IGEXPORT_HEAPPROFILE"

// heapProfileEvery is how often the heap profiler samples the runtime's
// metrics.
const heapProfileEvery = 50 * time.Millisecond

// startHeapProfile starts the peak-heap profiler when heapProfileEnv is
// set; the returned function stops it and writes what it has.
func startHeapProfile(lookupEnv func(string) (string, bool)) (stop func()) {
	path, ok := lookupEnv(heapProfileEnv)
	if !ok || path == "" {
		return func() {}
	}
	p := &heapPeaks{path: path}
	for _, d := range metrics.All() {
		if strings.HasPrefix(d.Name, "/memory/classes/") || d.Name == "/gc/heap/goal:bytes" ||
			d.Name == "/gc/heap/live:bytes" || d.Name == "/sched/goroutines:goroutines" {
			p.samples = append(p.samples, metrics.Sample{Name: d.Name})
		}
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(heapProfileEvery)
		defer tick.Stop()
		for {
			select {
			case <-done:
				p.sample()
				if !p.written {
					writeHeapProfile(path)
				}
				writeHeapProfile(path + ".exit")
				run := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
				metrics.Read(run)
				out := fmt.Appendf([]byte(p.top), "peak /gc/heap/live:bytes %d\n", p.live)
				for _, s := range run {
					if s.Value.Kind() == metrics.KindUint64 {
						out = fmt.Appendf(out, "total %s %d\n", s.Name, s.Value.Uint64())
					}
				}
				_ = os.WriteFile(path+".metrics", out, 0o644)
				return
			case <-tick.C:
				p.sample()
			}
		}
	}()
	return func() { close(done); <-finished }
}

// heapPeaks is the state of the heap profiler.
type heapPeaks struct {
	path    string
	samples []metrics.Sample
	live    uint64 // highest live heap seen
	mapped  uint64 // highest memory mapped by the runtime (total − released)
	top     string // the samples when mapped was highest
	written bool   // a profile was written
}

// sample reads the metrics; a live heap 5 % over the last profiled one
// writes a new profile.
func (p *heapPeaks) sample() {
	metrics.Read(p.samples)
	var total, released, live uint64
	for _, s := range p.samples {
		if s.Value.Kind() != metrics.KindUint64 {
			continue
		}
		switch s.Name {
		case "/memory/classes/total:bytes":
			total = s.Value.Uint64()
		case "/memory/classes/heap/released:bytes":
			released = s.Value.Uint64()
		case "/gc/heap/live:bytes":
			live = s.Value.Uint64()
		}
	}
	if total-released > p.mapped {
		p.mapped = total - released
		var b strings.Builder
		for _, s := range p.samples {
			if s.Value.Kind() == metrics.KindUint64 {
				fmt.Fprintf(&b, "%s %d\n", s.Name, s.Value.Uint64())
			}
		}
		p.top = b.String()
	}
	if live > p.live {
		if live > p.live+p.live/20 {
			p.written = writeHeapProfile(p.path) || p.written
		}
		p.live = live
	}
}

// writeHeapProfile writes the heap profile as of the last GC to path
// (through a temporary file, so that a reader never sees half of one).
func writeHeapProfile(path string) bool {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return false
	}
	err = pprof.Lookup("heap").WriteTo(f, 0)
	if cerr := f.Close(); err != nil || cerr != nil {
		return false
	}
	return os.Rename(path+".tmp", path) == nil
}
