package interop

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/igexport/igexport/export"
	"github.com/igexport/igexport/internal/catalog"
	"github.com/igexport/igexport/internal/igfake"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/internal/testenv"
)

// The emulator every test exports from: two accounts of 30 media (three
// carousels of 5 children each) and 2 live stories, on a frozen clock.
const (
	nAccounts = 2
	nMedia    = 30
	nChildren = 5
	nStories  = 2
	// insightsDays is how far back start_date is: a first run fetches
	// user_insights from there to yesterday.
	insightsDays = 10
)

var (
	// fake is the emulator, served at fakeURL with the token canary.
	fake    *igfake.Server
	fakeURL string
	// canary is the only token the emulator accepts. It must never appear
	// in any object on any backend, nor in igexport's output.
	canary string
	// now is the emulator's frozen clock. igexport itself runs on the real
	// clock; the snapshot streams are pinned to now's date with -snapshot-date.
	now time.Time
	// workDir holds the binary and the shared lake (removed by TestMain).
	workDir string
	// raceEnabled is set by race_test.go.
	raceEnabled bool
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var err error
	workDir, err = os.MkdirTemp("", "igexport-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(workDir)
	var b [8]byte
	_, _ = rand.Read(b[:])
	canary = "IGQVJ-interop-canary-" + hex.EncodeToString(b[:])
	now = time.Now().UTC().Truncate(time.Second)
	fake = igfake.New(igfake.Options{Accounts: nAccounts, Media: nMedia, Children: nChildren, Stories: nStories,
		Seed: 7, Token: canary, Now: func() time.Time { return now },
		SharedToFacebook: "all"}) // every v24+ metric served: none NULL for want of a Facebook share
	srv := httptest.NewServer(fake)
	defer srv.Close()
	fakeURL = srv.URL
	return m.Run()
}

// snapshotDate is the dt of the snapshot streams (the emulator's UTC date).
func snapshotDate() schema.Date { return schema.DateOf(now) }

// startDate is every account's start_date.
func startDate() schema.Date { return schema.DateOf(now).AddDays(-insightsDays) }

// ---------------------------------------------------------------------------
// The binary.

var build struct {
	once sync.Once
	path string
	err  error
	took time.Duration
}

// igexportBin builds ./cmd/igexport once (with -race when the tests run
// with it) and returns the binary's path.
func igexportBin(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		start := time.Now()
		root, err := testenv.ModuleRoot()
		if err != nil {
			build.err = err
			return
		}
		out := filepath.Join(workDir, "bin", "igexport")
		if runtime.GOOS == "windows" {
			out += ".exe"
		}
		args := []string{"build", "-o", out}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "./cmd/igexport")
		cmd := exec.Command(goTool(), args...)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, b)
			return
		}
		build.path, build.took = out, time.Since(start)
	})
	if build.err != nil {
		t.Fatalf("building igexport: %v", build.err)
	}
	return build.path
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// result is one run of the binary.
type result struct {
	stdout, stderr string
	code           int
}

// igexport runs the binary in dir with the test process's environment (the
// testenv Start functions put the stores' credentials there) plus the
// token, and fails the test if it could not run or leaked the token.
func igexport(t testing.TB, dir string, args ...string) result {
	t.Helper()
	bin := igexportBin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "IG_ACCESS_TOKEN="+canary)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		t.Fatalf("igexport %s: %v\nstderr:\n%s", strings.Join(args, " "), err, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, canary) {
		t.Errorf("igexport %s printed the access token", strings.Join(args, " "))
	}
	if strings.Contains(r.stderr, "WARNING: DATA RACE") {
		t.Errorf("igexport %s: data race:\n%s", strings.Join(args, " "), r.stderr)
	}
	return r
}

// writeConfig writes dir/igexport.hcl: both accounts, the token from the
// environment, the emulator as the Graph API, and the destination URL.
func writeConfig(t testing.TB, dir, destination string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "igexport {\n  graph_api_url = %q\n  concurrency   = 8\n}\n\n", fakeURL)
	b.WriteString("variable \"token\" {\n  sensitive = true\n  default   = env(\"IG_ACCESS_TOKEN\")\n}\n")
	for i, a := range fake.Dataset().Accounts {
		fmt.Fprintf(&b, "\naccount \"brand_%d\" {\n  ig_user_id   = %q\n  access_token = var.token\n  start_date   = %q\n}\n",
			i+1, a.ID, startDate())
	}
	// The Facebook-share-only metrics are opt-in: list them with the
	// defaults, so every v24+ column is checked against the emulator.
	for _, stream := range []string{schema.MediaInsights, schema.StoryInsights} {
		metrics, err := json.Marshal(withShareOnly(t, stream))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "\nstream %q {\n  metrics = %s\n}\n", stream, metrics)
	}
	fmt.Fprintf(&b, "\ndestination {\n  url = %q\n}\n", destination)
	path := filepath.Join(dir, "igexport.hcl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// withShareOnly returns the default metrics of stream at the default API
// version plus the Facebook-share-only ones.
func withShareOnly(t testing.TB, stream string) []string {
	t.Helper()
	c, err := catalog.For(catalog.Newest())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range c.Metrics() {
		if (m.Default || m.FacebookShareOnly) && !m.Removed && slices.ContainsFunc(catalog.StreamKinds(stream), m.AppliesTo) &&
			!slices.Contains(names, m.Name) {
			names = append(names, m.Name)
		}
	}
	return names
}

// apply runs `igexport apply -json` into destination with a config in a
// fresh directory, and checks that every account committed generation 1.
func apply(t testing.TB, destination string) (dir string, sum *export.Summary) {
	t.Helper()
	dir = t.TempDir()
	writeConfig(t, dir, destination)
	start := time.Now()
	r := igexport(t, dir, "apply", "-json", "-snapshot-date", snapshotDate().String())
	t.Logf("igexport apply into %s: exit %d in %v", scheme(destination), r.code, time.Since(start).Round(time.Millisecond))
	if r.code != 0 {
		t.Fatalf("igexport apply into %s: exit %d\nstdout:\n%s\nstderr:\n%s", destination, r.code, r.stdout, r.stderr)
	}
	sum = &export.Summary{}
	if err := json.Unmarshal([]byte(r.stdout), sum); err != nil {
		t.Fatalf("apply -json output: %v\n%s", err, r.stdout)
	}
	checkSummary(t, sum)
	return dir, sum
}

func checkSummary(t testing.TB, sum *export.Summary) {
	t.Helper()
	if sum.ExitCode != 0 || len(sum.Accounts) != nAccounts {
		t.Fatalf("summary: exit %d, %d accounts: %+v", sum.ExitCode, len(sum.Accounts), sum)
	}
	for _, a := range sum.Accounts {
		if a.Generation != 1 {
			t.Errorf("account %s committed generation %d, want 1", a.AccountID, a.Generation)
		}
	}
}

func scheme(u string) string {
	if i := strings.Index(u, "://"); i > 0 {
		return u[:i+3]
	}
	return u
}

// ---------------------------------------------------------------------------
// The shared file:// lake the DuckDB tests read.

var shared struct {
	once sync.Once
	root string // the lake directory
	dir  string // where igexport.hcl is
	sum  *export.Summary
	err  string
}

// fileLake exports once into a file:// lake shared by the tests that only
// read it, and returns its directory and the config's directory.
func fileLake(t *testing.T) (root, dir string) {
	t.Helper()
	shared.once.Do(func() {
		// A failing apply must fail this test, not panic the others:
		// run it in a throwaway test context and keep its verdict.
		shared.root = filepath.Join(workDir, "lake")
		shared.dir = filepath.Join(workDir, "cfg")
		if err := os.MkdirAll(shared.dir, 0o755); err != nil {
			shared.err = err.Error()
			return
		}
		path := writeConfig(t, shared.dir, "file://"+filepath.ToSlash(shared.root))
		// This lake has every stream, the opt-in comments included.
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err == nil {
			_, err = fmt.Fprintf(f, "\nstreams = [%s]\n", `"`+strings.Join(schema.Names(), `", "`)+`"`)
			err = errors.Join(err, f.Close())
		}
		if err != nil {
			shared.err = err.Error()
			return
		}
		r := igexport(t, shared.dir, "apply", "-json", "-snapshot-date", snapshotDate().String())
		if r.code != 0 {
			shared.err = fmt.Sprintf("igexport apply: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			return
		}
		shared.sum = &export.Summary{}
		if err := json.Unmarshal([]byte(r.stdout), shared.sum); err != nil {
			shared.err = err.Error()
		}
	})
	if shared.err != "" || shared.sum == nil {
		t.Fatalf("shared file:// lake: %s", cmp.Or(shared.err, "the first attempt failed"))
	}
	checkSummary(t, shared.sum)
	return shared.root, shared.dir
}
