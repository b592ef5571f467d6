package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/igexport/igexport/hcl"
)

// benchToken is the emulator's token; it reaches igexport through the
// environment, as a user's would.
const benchToken = "igbench-token-9f1c2a7e"

// pageSize is the page size igexport asks /media for.
const pageSize = 100

type scenario struct {
	name     string
	accounts int
	media    int
	days     int // days of account insights (start_date); 0: the default, two years
	// concurrency is the config's concurrency; 0: none written, the
	// product's default (hcl.DefaultConcurrency).
	concurrency int
	// flat says what the scenario's peak RSS must not grow with: "size"
	// (compared with the first one-account scenario), "history" (with the
	// 30-day one-account scenario of as many media), "accounts" (with the
	// "history" one); "" for the main scenario.
	flat string
}

// requests is the run's concurrency: what its config says, or the
// product's default.
func (sc scenario) requests() int {
	if sc.concurrency == 0 {
		return hcl.DefaultConcurrency
	}
	return sc.concurrency
}

// history says how much account insights history the scenario's first run
// reads.
func (sc scenario) history() string {
	if sc.days == 0 {
		return "2y"
	}
	return fmt.Sprintf("%dd", sc.days)
}

type result struct {
	sc         scenario
	c          config
	wall       time.Duration
	calls      int64 // counted by the emulator
	roundTrips int64 // HTTP requests the emulator served
	rows       int64 // rows written (run summary)
	files      int64
	retries    int64
	maxRSSKB   int64 // child's peak RSS (of several runs: the median)
	// minRSSKB and maxRSSKBAll are the lowest and highest peak RSS of the
	// scenario's runs.
	minRSSKB, maxRSSKBAll int64
	user, sys             time.Duration
	fakeCPU               time.Duration // the emulator's CPU
	chain                 int           // longest chain of dependent requests
	summaryCall           int64
}

// chainOf is the longest chain of requests that depend on each other in one
// account's export, each taking one latency at least:
//
//   - media: the list pages, each found through the previous page's
//     paging.next (⌈media/100⌉, at least 1), then the insights batch of the
//     last page's media;
//   - stories: the list, then the insights batch of the stories;
//   - user_insights: the time-series batch, then the total_value batch
//     (whose day boundaries come from the first);
//   - users and user_lifetime_insights: one request each.
//
// Accounts do not depend on each other.
func chainOf(media, stories int) int {
	pages := max(1, (media+pageSize-1)/pageSize)
	chain := pages
	if media > 0 {
		chain++
	}
	storyChain := 1
	if stories > 0 {
		storyChain++
	}
	return max(chain, storyChain, 2)
}

func (r result) bound() time.Duration {
	byChain := time.Duration(r.chain) * r.c.latency
	byRT := time.Duration(float64(r.roundTrips) * float64(r.c.latency) / float64(r.sc.requests()))
	return max(byChain, byRT)
}

func (r result) efficiency() float64 { return r.bound().Seconds() / r.wall.Seconds() }

func (r result) rssMB() float64 { return float64(r.maxRSSKB) / 1024 }

func header() string {
	return fmt.Sprintf("%-26s %7s %5s %9s %8s %7s %9s %10s %7s %9s %15s %6s %9s %6s %9s %9s",
		"scenario", "history", "conc", "wall", "calls", "RTs", "rows", "rows/s", "files", "peak RSS", "RSS range", "chain", "bound", "eff.", "cpu", "fake cpu")
}

func (r result) line() string {
	return fmt.Sprintf("%-26s %7s %5d %9s %8d %7d %9d %10.0f %7d %6.1f MB %15s %6d %9s %6.2f %9s %9s",
		r.sc.name, r.sc.history(), r.sc.requests(), r.wall.Round(time.Millisecond), r.calls, r.roundTrips, r.rows, float64(r.rows)/r.wall.Seconds(),
		r.files, r.rssMB(), fmt.Sprintf("%.1f–%.1f", float64(r.minRSSKB)/1024, float64(r.maxRSSKBAll)/1024), r.chain, r.bound().Round(time.Millisecond),
		r.efficiency(), (r.user + r.sys).Round(10*time.Millisecond), r.fakeCPU.Round(10*time.Millisecond))
}

// median combines the runs of one scenario: the counts of the first run
// (the emulator is deterministic: they are the same in every run), the
// median of each measured figure (wall, peak RSS, CPU), and the range of
// peak RSS over the runs.
func median(runs []result) result {
	r := runs[0]
	mid := func(get func(result) int64) int64 {
		v := make([]int64, len(runs))
		for i, x := range runs {
			v[i] = get(x)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	r.wall = time.Duration(mid(func(x result) int64 { return int64(x.wall) }))
	r.maxRSSKB = mid(func(x result) int64 { return x.maxRSSKB })
	r.user = time.Duration(mid(func(x result) int64 { return int64(x.user + x.sys) }))
	r.sys = 0
	r.fakeCPU = time.Duration(mid(func(x result) int64 { return int64(x.fakeCPU) }))
	r.minRSSKB, r.maxRSSKBAll = r.maxRSSKB, r.maxRSSKB
	for _, x := range runs {
		r.minRSSKB = min(r.minRSSKB, x.maxRSSKB)
		r.maxRSSKBAll = max(r.maxRSSKBAll, x.maxRSSKB)
	}
	return r
}

// summary is the part of igexport's -json run summary igbench reads.
type summary struct {
	ExitCode int `json:"exit_code"`
	Totals   struct {
		Rows       int64 `json:"rows"`
		Files      int64 `json:"files"`
		Calls      int64 `json:"api_calls"`
		RoundTrips int64 `json:"round_trips"`
		Retries    int64 `json:"retries"`
	} `json:"totals"`
	Accounts []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		Error  string `json:"error"`
	} `json:"accounts"`
}

// measure runs one scenario in dir: igfake and igexport as child processes
// of igbench, which stays small. (It must: a child's ru_maxrss starts from
// the RSS of the process that forked it, since the exec'ed child shares its
// parent's memory until exec. With the emulator in-process, igbench's own
// size would show up as igexport's peak.)
func measure(ctx context.Context, c config, sc scenario, dir string) (result, error) {
	res := result{sc: sc, c: c, chain: chainOf(sc.media, c.stories)}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	args := []string{"-addr", "127.0.0.1:0", "-accounts", strconv.Itoa(sc.accounts), "-media", strconv.Itoa(sc.media),
		"-stories", strconv.Itoa(c.stories), "-seed", strconv.FormatInt(c.seed, 10), "-token", benchToken,
		"-latency", c.latency.String()}
	if sc.accounts == 1 {
		// The emulator's budget is 4,800 calls per account per day; an
		// account with 10,000 media needs ~10,300, so its usage headers
		// would pass max_usage_percent and pace the run (as they should:
		// rate limits are tested elsewhere). Measure throughput without them.
		args = append(args, "-usage-header", "none")
	}
	fake, err := startFake(ctx, c.igfake, args, filepath.Join(dir, "igfake.log"))
	if err != nil {
		return res, err
	}
	defer fake.stop()

	cfgPath := filepath.Join(dir, "bench.hcl")
	if err := os.WriteFile(cfgPath, []byte(configHCL(c, sc, fake.url, filepath.Join(dir, "lake"))), 0o644); err != nil {
		return res, err
	}
	logPath := filepath.Join(dir, "igexport.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return res, err
	}
	defer logf.Close()
	var stdout bytes.Buffer
	cmd := exec.CommandContext(ctx, c.igexport, "apply", "-config", cfgPath, "-json", "-log-format", "json")
	cmd.SysProcAttr = procAttr()
	cmd.Env = append(os.Environ(), "IG_ACCESS_TOKEN="+benchToken)
	cmd.Stdout = &stdout
	cmd.Stderr = logf
	cmd.Dir = dir
	start := time.Now()
	err = cmd.Run()
	res.wall = time.Since(start)
	if cmd.ProcessState == nil {
		return res, fmt.Errorf("starting %s: %w", c.igexport, err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.maxRSSKB = ru.Maxrss // kilobytes on Linux
	}
	res.user, res.sys = cmd.ProcessState.UserTime(), cmd.ProcessState.SystemTime()
	var sum summary
	if jerr := json.Unmarshal(stdout.Bytes(), &sum); jerr != nil {
		return res, fmt.Errorf("%w (exit %d): no JSON summary on stdout (%v); log: %s", errExit, cmd.ProcessState.ExitCode(), jerr, logPath)
	}
	if err != nil || sum.ExitCode != 0 {
		var bad []string
		for _, a := range sum.Accounts {
			if a.Status != "ok" {
				bad = append(bad, a.Name+": "+a.Status+": "+a.Error)
			}
		}
		return res, fmt.Errorf("%w (exit %d): %s; log: %s", errExit, cmd.ProcessState.ExitCode(), strings.Join(bad, "; "), logPath)
	}
	st, err := fake.stats()
	if err != nil {
		return res, err
	}
	res.calls, res.roundTrips = st.Calls, st.RoundTrips
	res.rows, res.files, res.retries, res.summaryCall = sum.Totals.Rows, sum.Totals.Files, sum.Totals.Retries, sum.Totals.Calls
	res.fakeCPU = fake.stop()
	return res, nil
}

// fakeProc is a running igfake.
type fakeProc struct {
	cmd  *exec.Cmd
	url  string
	cpu0 time.Duration
	done bool
}

var listenRE = regexp.MustCompile(`listening on (http://\S+)`)

// startFake runs igfake with args and waits for its listening URL.
func startFake(ctx context.Context, bin string, args []string, logPath string) (*fakeProc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = procAttr()
	// The emulator's garbage collector need not be frugal: only igexport's
	// memory is measured, and CPU the emulator does not spend is CPU
	// igexport has.
	cmd.Env = append(os.Environ(), "GOGC=400")
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w (run make build)", bin, err)
	}
	f := &fakeProc{cmd: cmd}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
			f.url = m[1]
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	if f.url == "" {
		f.stop()
		return nil, fmt.Errorf("%s did not start; see %s", bin, logPath)
	}
	return f, nil
}

// fakeStats are the counters of igfake's GET /__igfake/stats.
type fakeStats struct{ Calls, RoundTrips int64 }

func (f *fakeProc) stats() (fakeStats, error) {
	var st fakeStats
	resp, err := http.Get(f.url + "/__igfake/stats")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// stop ends igfake and returns the CPU time it used.
func (f *fakeProc) stop() time.Duration {
	if f.done {
		return 0
	}
	f.done = true
	_ = f.cmd.Process.Signal(syscall.SIGTERM)
	_ = f.cmd.Wait()
	if f.cmd.ProcessState == nil {
		return 0
	}
	return f.cmd.ProcessState.UserTime() + f.cmd.ProcessState.SystemTime()
}

// configHCL is the igexport.hcl of a scenario: every account of the
// emulator (ids "178414" + the account number on 11 digits) listed
// explicitly, with start_date bounding user_insights to the last sc.days
// days (none when sc.days is 0: the default, two years), and the
// scenario's concurrency (none when 0: the default).
func configHCL(c config, sc scenario, url, lake string) string {
	var b strings.Builder
	if sc.concurrency == 0 {
		fmt.Fprintf(&b, "igexport {\n  graph_api_url = %q\n}\n\n", url)
	} else {
		fmt.Fprintf(&b, "igexport {\n  graph_api_url = %q\n  concurrency   = %d\n}\n\n", url, sc.concurrency)
	}
	b.WriteString("variable \"token\" {\n  sensitive = true\n  default   = env(\"IG_ACCESS_TOKEN\")\n}\n\n")
	start := ""
	if sc.days > 0 {
		start = fmt.Sprintf("  start_date   = %q\n", time.Now().UTC().AddDate(0, 0, -sc.days).Format(time.DateOnly))
	}
	for i := 1; i <= sc.accounts; i++ {
		fmt.Fprintf(&b, "account \"igfake_%d\" {\n  ig_user_id   = \"178414%011d\"\n  access_token = var.token\n%s}\n\n", i, i, start)
	}
	fmt.Fprintf(&b, "destination {\n  url = %q\n}\n", "file://"+filepath.ToSlash(lake))
	return b.String()
}
