// Command igbench measures igexport's throughput and memory against the
// emulator (`make bench`, after `make build`).
//
// It runs ./bin/igfake (the emulator, on loopback, with a fixed latency per
// HTTP request) and ./bin/igexport apply as child processes, so the peak
// RSS it reports is the igexport process's own (getrusage of the child). For each scenario it prints:
//
//   - wall: the child's wall time, start to exit;
//   - calls and round trips: what the emulator counted (a batch POST is one
//     round trip and one call per operation);
//   - rows and rows/s: rows written to the lake over the wall time;
//   - peak RSS: the child's maximum resident set size;
//   - bound: max(chain × latency, round trips × latency / concurrency), a
//     lower bound on the wall time of any client with that concurrency:
//     chain is the longest sequence of requests that depend on each other
//     (see chainOf), and no client can finish round trips faster than
//     concurrency at a time;
//   - efficiency: bound / wall;
//   - cpu: igexport's user+system CPU; fake cpu: the emulator's (igbench's
//     own CPU during the run), since both share the machine.
//
// It also prints files: the data files the run wrote (run summary).
//
// Scenarios: the main one (default 50 accounts × 1,000 media, 3 stories,
// 30 days of account insights, latency 50 ms, concurrency 16); one account
// with 100, 1,000 and 10,000 media and 30 days at the same concurrency, to
// show that memory does not grow with the account; then the product's
// defaults: a config with no concurrency (hcl.DefaultConcurrency) and no
// start_date (two years of account insights on a first run), for one
// account × 1,000 media (and its 30-day run, to compare), and 100 accounts
// × 100 media, to show that memory grows neither with history nor with
// accounts; then the same three at -concurrency. Each scenario runs -runs
// times (3); a line shows the medians, and the range of peak RSS. igbench
// exits 1 when a run fails, and also when the targets are missed with
// -check: efficiency ≥ 0.7 for the main scenario, peak RSS ≤ 100 MB for
// every scenario, and flat within ±20 % (medians): over the one-account
// 30-day scenarios (account size), from the 30-day to the two-year
// one-account run of 1,000 media (history), and from that one account to
// many with two years (accounts), at each concurrency.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	igexport    string
	igfake      string
	accounts    int
	media       int
	stories     int
	days        int
	latency     time.Duration
	concurrency int
	single      []int
	defaults    bool
	manyAccts   int
	manyMedia   int
	seed        int64
	runs        int
	keep        bool
	check       bool
	dir         string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var c config
	fs := flag.NewFlagSet("igbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.igexport, "igexport", "./bin/igexport", "igexport `binary` to measure (make build)")
	fs.StringVar(&c.igfake, "igfake", "./bin/igfake", "emulator `binary` (make build)")
	fs.IntVar(&c.accounts, "accounts", 50, "accounts of the main scenario")
	fs.IntVar(&c.media, "media", 1000, "media per account of the main scenario")
	fs.IntVar(&c.stories, "stories", 3, "live stories per account")
	fs.IntVar(&c.days, "days", 30, "days of account insights of the main and one-account scenarios (start_date = today - days; 0: no start_date, two years)")
	fs.DurationVar(&c.latency, "latency", 50*time.Millisecond, "emulator latency per HTTP request")
	fs.IntVar(&c.concurrency, "concurrency", 16, "concurrency of the main and account-size scenarios (the default-history ones run at the product's default, and at this)")
	single := fs.String("single", "100,1000,10000", "media counts of the one-account scenarios (comma list; empty: none)")
	fs.BoolVar(&c.defaults, "defaults", true, "run the default-history scenarios (no start_date: two years of account insights)")
	fs.IntVar(&c.manyAccts, "many-accounts", 100, "accounts of the many-accounts default-history scenario")
	fs.IntVar(&c.manyMedia, "many-media", 100, "media per account of the many-accounts default-history scenario")
	fs.Int64Var(&c.seed, "seed", 1, "emulator seed")
	fs.IntVar(&c.runs, "runs", 3, "runs of each scenario: the figures printed are their medians, and peak RSS's range")
	fs.BoolVar(&c.keep, "keep", false, "keep the work directory (lakes, configs, logs)")
	fs.BoolVar(&c.check, "check", true, "exit 1 when a target is missed (efficiency ≥ 0.7, peak RSS ≤ 100 MB and flat ±20 %)")
	fs.StringVar(&c.dir, "dir", "", "work `directory` (default: a new temp directory)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	for _, s := range strings.Split(*single, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			fmt.Fprintf(stderr, "igbench: -single: %q is not a media count\n", s)
			return 2
		}
		c.single = append(c.single, n)
	}
	for _, p := range []*string{&c.igexport, &c.igfake} {
		if abs, err := filepath.Abs(*p); err == nil {
			*p = abs
		}
		if _, err := os.Stat(*p); err != nil {
			fmt.Fprintf(stderr, "igbench: %s not found: run `make build` first (or pass -igexport / -igfake)\n", *p)
			return 1
		}
	}
	dir := c.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "igbench-")
		if err != nil {
			fmt.Fprintf(stderr, "igbench: %v\n", err)
			return 1
		}
		dir = d
		if !c.keep {
			defer os.RemoveAll(dir)
		}
	}

	if c.runs < 1 {
		fmt.Fprintf(stderr, "igbench: -runs %d: want at least 1\n", c.runs)
		return 2
	}
	scenarios := []scenario{{name: fmt.Sprintf("%d accounts × %d media", c.accounts, c.media), accounts: c.accounts, media: c.media, days: c.days, concurrency: c.concurrency}}
	for _, n := range c.single {
		scenarios = append(scenarios, scenario{name: fmt.Sprintf("1 account × %d media", n), accounts: 1, media: n, days: c.days, concurrency: c.concurrency, flat: "size"})
	}
	if c.defaults {
		// The product's defaults (no concurrency in the config, no
		// start_date), then the same at -concurrency: history and accounts
		// are compared within each.
		for _, conc := range []int{0, c.concurrency} {
			scenarios = append(scenarios,
				scenario{name: "1 account × 1000 media", accounts: 1, media: 1000, days: 30, concurrency: conc, flat: "history-base"},
				scenario{name: "1 account × 1000 media", accounts: 1, media: 1000, concurrency: conc, flat: "history"},
				scenario{name: fmt.Sprintf("%d accounts × %d media", c.manyAccts, c.manyMedia), accounts: c.manyAccts, media: c.manyMedia, concurrency: conc, flat: "accounts"})
		}
	}
	fmt.Fprintf(stdout, "igbench: %s against %s, emulator latency %s per request, %d stories, %d CPUs, %d runs per scenario (medians)\n",
		c.igexport, c.igfake, c.latency, c.stories, runtime.NumCPU(), c.runs)
	fmt.Fprintf(stdout, "history: days of account insights of a first run (start_date = today - days; 2y: no start_date, the default)\n")
	fmt.Fprintf(stdout, "bound = max(chain × latency, round trips × latency / concurrency); efficiency = bound / wall\n\n")
	fmt.Fprintln(stdout, header())
	var results []result
	failed := false
	for i, sc := range scenarios {
		var runs []result
		for k := range c.runs {
			res, err := measure(ctx, c, sc, fmt.Sprintf("%s/%d-%d", dir, i, k))
			if err != nil {
				fmt.Fprintf(stderr, "igbench: %s: %v\n", sc.name, err)
				failed = true
				break
			}
			runs = append(runs, res)
		}
		if len(runs) < c.runs {
			continue
		}
		res := median(runs)
		results = append(results, res)
		fmt.Fprintln(stdout, res.line())
	}
	if c.keep {
		fmt.Fprintf(stdout, "\nwork directory kept: %s\n", dir)
	}
	if failed {
		return 1
	}
	problems := verdict(results)
	fmt.Fprintln(stdout)
	if len(problems) == 0 {
		fmt.Fprintln(stdout, "targets met: efficiency ≥ 0.70, peak RSS ≤ 100 MB, flat within ±20 % across accounts, account sizes and history")
		return 0
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, "target missed: "+p)
	}
	if c.check {
		return 1
	}
	return 0
}

// maxRSSMB is the peak RSS every scenario must stay under.
const maxRSSMB = 100

// verdict checks the targets of issues #4 and #13.
func verdict(results []result) []string {
	var problems []string
	var sizes []result
	for _, r := range results {
		if r.sc.flat == "size" {
			sizes = append(sizes, r)
		}
		if r.sc.flat != "" {
			continue
		}
		if r.efficiency() < 0.7 {
			problems = append(problems, fmt.Sprintf("%s: efficiency %.2f < 0.70", r.sc.name, r.efficiency()))
		}
	}
	for _, r := range results {
		if mb := r.rssMB(); mb > maxRSSMB {
			problems = append(problems, fmt.Sprintf("%s, %s: peak RSS %.0f MB > %d MB", r.sc.name, r.sc.history(), mb, maxRSSMB))
		}
	}
	flat := func(what string, base, r result) {
		if d := r.rssMB()/base.rssMB() - 1; d > 0.2 || d < -0.2 {
			problems = append(problems, fmt.Sprintf("%s: %s, %s: peak RSS %.1f MB is %+.0f %% of %s, %s: %.1f MB (want within ±20 %%)",
				what, r.sc.name, r.sc.history(), r.rssMB(), 100*d, base.sc.name, base.sc.history(), base.rssMB()))
		}
	}
	for _, r := range sizes[min(1, len(sizes)):] {
		flat("account size", sizes[0], r)
	}
	// History: the two-year run of an account against its 30-day run;
	// accounts: many accounts against that one account's two years; each
	// at the same concurrency.
	for _, r := range results {
		for _, base := range results {
			if base.sc.requests() != r.sc.requests() {
				continue
			}
			switch {
			case r.sc.flat == "history" && base.sc.flat == "history-base" && base.sc.media == r.sc.media:
				flat("history", base, r)
			case r.sc.flat == "accounts" && base.sc.flat == "history":
				flat("accounts", base, r)
			}
		}
	}
	return problems
}

var errExit = errors.New("igexport failed")
