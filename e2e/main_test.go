// Package e2e drives the built igexport and igfake binaries the way a user
// does, and checks the failure rules of SPEC §4, §6 and §7 end to end:
// crash safety under SIGKILL, concurrent runs on the same accounts, throttle
// deferral, token and permission errors, retried transient faults, and that
// the access token never leaves the process.
//
// TestMain builds ./cmd/igexport and ./cmd/igfake once with `go build`.
// Most tests run the igfake binary; the ones that need what its flags cannot
// express (two tokens, a permission error on one endpoint) serve
// internal/igfake in-process behind a small fault-injecting handler, and
// still run the igexport binary.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
	_ "time/tzdata" // America/Los_Angeles everywhere

	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// Binaries built by TestMain.
var (
	igexportBin string
	igfakeBin   string
)

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: skipped in -short mode")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "igexport-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	igexportBin = filepath.Join(dir, "igexport")
	igfakeBin = filepath.Join(dir, "igfake")
	for bin, pkg := range map[string]string{igexportBin: "../cmd/igexport", igfakeBin: "../cmd/igfake"} {
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: go build %s: %v\n", pkg, err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fakeProc is a running igfake binary.
type fakeProc struct {
	URL string
	cmd *exec.Cmd
	out *bytes.Buffer
}

var listenRE = regexp.MustCompile(`listening on (http://\S+)`)

// ids are the IG user ids of the emulator's first n accounts: "178414" and
// the account number on 11 digits.
func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("178414%011d", i+1)
	}
	return out
}

// startFake runs igfake on a free loopback port with args and stops it when
// the test ends.
func startFake(t *testing.T, args ...string) *fakeProc {
	t.Helper()
	cmd := exec.Command(igfakeBin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	cmd.SysProcAttr = procAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f := &fakeProc{cmd: cmd, out: &bytes.Buffer{}}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	sc := bufio.NewScanner(stdout)
	deadline := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		line := sc.Text()
		f.out.WriteString(line + "\n")
		if m := listenRE.FindStringSubmatch(line); m != nil {
			f.URL = m[1]
		}
		if strings.Contains(line, "graph_api_url") {
			break // the rest of the banner lists accounts, which ids() knows
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	if f.URL == "" {
		t.Fatalf("igfake did not start:\n%s%s", f.out, errBuf.String())
	}
	return f
}

// fakeStats are the counters of GET /__igfake/stats.
type fakeStats struct {
	Calls, RoundTrips, Throttled, Faults, NullOps int64
	ByEndpoint                                    map[string]int64
}

func (f *fakeProc) stats(t *testing.T) fakeStats {
	t.Helper()
	resp, err := http.Get(f.URL + "/__igfake/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st fakeStats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// account is one account block of a test config.
type account struct {
	Name, ID, TokenVar string
}

// cfgOpts are the parts of a test config that vary.
type cfgOpts struct {
	URL         string
	Accounts    []account
	Concurrency int
	MaxWait     string // rate_limit.max_wait; "" → default
	MaxUsage    int    // rate_limit.max_usage_percent; 0 → default
	StartDays   int    // start_date = today − StartDays (user_insights); 0 → 3
	AppSecret   bool   // app_secret = env("IG_APP_SECRET") on every account
	Igexport    string // more lines of the igexport block, verbatim
	Extra       string // appended verbatim
	Destination string // destination bucket URL; "" → file://<dir>/lake
}

// writeConfig writes igexport.hcl in dir with a file:// lake in dir/lake.
// Tokens come from the environment, as the SPEC recommends.
func writeConfig(t *testing.T, dir string, o cfgOpts) string {
	t.Helper()
	var b strings.Builder
	conc := o.Concurrency
	if conc == 0 {
		conc = 8
	}
	fmt.Fprintf(&b, "igexport {\n  graph_api_url = %q\n  concurrency   = %d\n%s}\n\n", o.URL, conc, o.Igexport)
	vars := map[string]bool{}
	for _, a := range o.Accounts {
		v := a.TokenVar
		if v == "" {
			v = "token"
		}
		if !vars[v] {
			vars[v] = true
			fmt.Fprintf(&b, "variable %q {\n  sensitive = true\n  default   = env(%q)\n}\n\n", v, envName(v))
		}
	}
	days := o.StartDays
	if days == 0 {
		days = 3
	}
	start := time.Now().UTC().AddDate(0, 0, -days).Format(time.DateOnly)
	for _, a := range o.Accounts {
		v := a.TokenVar
		if v == "" {
			v = "token"
		}
		fmt.Fprintf(&b, "account %q {\n  ig_user_id   = %q\n  access_token = var.%s\n  start_date   = %q\n", a.Name, a.ID, v, start)
		if o.AppSecret {
			b.WriteString("  app_secret   = env(\"IG_APP_SECRET\")\n")
		}
		b.WriteString("}\n\n")
	}
	if o.MaxWait != "" || o.MaxUsage != 0 {
		b.WriteString("rate_limit {\n")
		if o.MaxWait != "" {
			fmt.Fprintf(&b, "  max_wait = %q\n", o.MaxWait)
		}
		if o.MaxUsage != 0 {
			fmt.Fprintf(&b, "  max_usage_percent = %d\n", o.MaxUsage)
		}
		b.WriteString("}\n\n")
	}
	dest := o.Destination
	if dest == "" {
		dest = "file://" + filepath.ToSlash(filepath.Join(dir, "lake"))
	}
	fmt.Fprintf(&b, "destination {\n  url = %q\n}\n", dest)
	b.WriteString(o.Extra)
	path := filepath.Join(dir, "igexport.hcl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// envName is the environment variable of a token variable.
func envName(v string) string { return "E2E_TOKEN_" + strings.ToUpper(v) }

// accountsOf names the emulator's accounts a1, a2, … with one token variable.
func accountsOf(ids []string) []account {
	out := make([]account, len(ids))
	for i, id := range ids {
		out[i] = account{Name: fmt.Sprintf("a%d", i+1), ID: id}
	}
	return out
}

// runResult is one finished igexport invocation.
type runResult struct {
	Code           int
	Stdout, Stderr string
	Dur            time.Duration
}

// summary is what the tests read of `apply -json`.
type summary struct {
	RunID    string `json:"run_id"`
	Status   string `json:"status"`
	ExitCode int    `json:"exit_code"`
	Accounts []struct {
		Name       string `json:"name"`
		AccountID  string `json:"account_id"`
		Status     string `json:"status"`
		Error      string `json:"error"`
		Advice     string `json:"advice"`
		Generation int64  `json:"generation"`
		Streams    []struct {
			Stream   string `json:"stream"`
			Status   string `json:"status"`
			Error    string `json:"error"`
			Counters struct {
				Rows          int64 `json:"rows"`
				Retries       int64 `json:"retries"`
				ThrottleWaits int64 `json:"throttle_waits"`
			} `json:"counters"`
		} `json:"streams"`
	} `json:"accounts"`
	Totals struct {
		Rows          int64  `json:"rows"`
		Calls         int64  `json:"api_calls"`
		RoundTrips    int64  `json:"round_trips"`
		Retries       int64  `json:"retries"`
		ThrottleWaits int64  `json:"throttle_waits"`
		PaceWaits     int64  `json:"pace_waits"`
		PaceWaited    string `json:"pace_waited"`
		UsagePercent  int    `json:"usage_percent"`
	} `json:"totals"`
}

func (r runResult) summary(t *testing.T) summary {
	t.Helper()
	var s summary
	if err := json.Unmarshal([]byte(r.Stdout), &s); err != nil {
		t.Fatalf("apply -json printed no summary (%v):\nstdout:\n%s\nstderr:\n%s", err, r.Stdout, r.Stderr)
	}
	return s
}

// env is the environment of igexport runs: the real one plus tokens.
type env map[string]string

func (e env) list() []string {
	out := os.Environ()
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	return out
}

// igexport runs the binary in dir and waits for it.
func igexport(t *testing.T, dir string, e env, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, igexportBin, args...)
	cmd.SysProcAttr = procAttr()
	cmd.Dir = dir
	cmd.Env = e.list()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := runResult{Stdout: stdout.String(), Stderr: stderr.String(), Dur: time.Since(start)}
	if cmd.ProcessState == nil {
		t.Fatalf("igexport %v: %v", args, err)
	}
	r.Code = cmd.ProcessState.ExitCode()
	return r
}

// lakeRows reads every Parquet file of a file:// lake (outside _igexport)
// and returns, per key relative to the lake, its rows rendered as JSON with
// fetched_at zeroed, sorted; a user_insights month file gives one entry
// per day, keyed "<key>#date=YYYY-MM-DD".
func lakeRows(t *testing.T, lake string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	st, err := sinks.Open(ctx, "file://"+filepath.ToSlash(lake), "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string][]string{}
	err = filepath.WalkDir(lake, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, lake+string(filepath.Separator)))
		if d.IsDir() {
			if rel == "_igexport" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".parquet") {
			return nil // temp files: see leftovers
		}
		stream, _, _ := strings.Cut(rel, "/")
		if stream == schema.UserInsights {
			// One entry per day of a month file: a lake with an extra day
			// shows as "extra user_insights/…#date=…".
			uis, err := sinks.ReadRows[schema.UserInsight](ctx, st, rel)
			if err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
			for _, r := range uis {
				rows, err := render([]schema.UserInsight{r}, nil)
				if err != nil {
					return err
				}
				out[rel+"#date="+r.Date.String()] = rows
			}
			return nil
		}
		rows, err := readAny(ctx, st, stream, rel)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		sort.Strings(rows)
		out[rel] = rows
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readAny(ctx context.Context, st *sinks.Store, stream, key string) ([]string, error) {
	switch stream {
	case schema.Users:
		return render(sinks.ReadRows[schema.User](ctx, st, key))
	case schema.Media:
		return render(sinks.ReadRows[schema.MediaRow](ctx, st, key))
	case schema.MediaInsights:
		return render(sinks.ReadRows[schema.MediaInsight](ctx, st, key))
	case schema.Stories:
		return render(sinks.ReadRows[schema.Story](ctx, st, key))
	case schema.StoryInsights:
		return render(sinks.ReadRows[schema.StoryInsight](ctx, st, key))
	case schema.UserInsights:
		return render(sinks.ReadRows[schema.UserInsight](ctx, st, key))
	case schema.UserLifetimeInsights:
		return render(sinks.ReadRows[schema.LifetimeInsight](ctx, st, key))
	}
	return nil, fmt.Errorf("unknown stream %q", stream)
}

// render zeroes FetchedAt and marshals each row.
func render[T any](rows []T, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	out := make([]string, len(rows))
	for i := range rows {
		v := reflect.ValueOf(&rows[i]).Elem()
		if f := v.FieldByName("FetchedAt"); f.IsValid() {
			f.Set(reflect.Zero(f.Type()))
		}
		b, err := json.Marshal(rows[i])
		if err != nil {
			return nil, err
		}
		out[i] = string(b)
	}
	return out, nil
}

// diffLakes reports how got differs from want (nil when identical).
func diffLakes(want, got map[string][]string) []string {
	var d []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			d = append(d, "missing "+k)
		case !slices.Equal(w, g):
			d = append(d, fmt.Sprintf("%s: %d rows, want %d (or different values)", k, len(g), len(w)))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			d = append(d, "extra "+k)
		}
	}
	sort.Strings(d)
	return d
}

// checkState verifies every account's state under lake/_igexport: every
// generation parses, and every file any generation names exists with the
// size it records. It returns the newest state per account id.
func checkState(t *testing.T, lake string) map[string]*sinks.State {
	t.Helper()
	ctx := context.Background()
	st, err := sinks.Open(ctx, "file://"+filepath.ToSlash(lake), "_igexport")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ids, err := st.ListAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*sinks.State{}
	for _, id := range ids {
		gens, err := st.Generations(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gens {
			s, err := st.LoadGeneration(ctx, id, g)
			if err != nil {
				t.Errorf("state of %s generation %d: %v", id, g, err)
				continue
			}
			for name, ss := range s.Streams {
				for _, f := range ss.Files {
					fi, err := os.Stat(filepath.Join(lake, filepath.FromSlash(f.Key)))
					switch {
					case err != nil:
						t.Errorf("state of %s generation %d names %s/%s, which is not there: %v", id, g, name, f.Key, err)
					case fi.Size() != f.Bytes && g == gens[len(gens)-1]:
						// Older generations may name a file a later run rewrote.
						t.Errorf("state of %s generation %d: %s has %d bytes, state says %d", id, g, f.Key, fi.Size(), f.Bytes)
					}
				}
			}
			out[id] = s
		}
	}
	return out
}

// dayGuard notes the day now (UTC: igexport's snapshot dt; US Pacific:
// the emulator's account-insights day). crossed reports whether either
// changed since: lakes written on both sides of midnight legitimately
// differ, and a test comparing them should skip rather than fail.
func dayGuard() (crossed func() bool) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		la = time.FixedZone("PST", -8*3600)
	}
	day := func() string {
		now := time.Now()
		return now.UTC().Format(time.DateOnly) + "/" + now.In(la).Format(time.DateOnly)
	}
	start := day()
	return func() bool { return day() != start }
}

// assertNoSecret fails if any secret appears in the outputs or in any file
// under root.
func assertNoSecret(t *testing.T, root string, outputs []string, secrets ...string) {
	t.Helper()
	for i, o := range outputs {
		for _, s := range secrets {
			if strings.Contains(o, s) {
				t.Errorf("output %d contains a secret (%.6s…)", i, s)
			}
		}
	}
	files := 0
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s contains a secret (%.6s…)", p, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Errorf("no file under %s to check", root)
	}
}
