package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/igexport/igexport/internal/igfake"
	"github.com/igexport/igexport/internal/testenv"
	"github.com/igexport/igexport/sinks"
)

// holdGate holds every export request of a token (all but the token health
// check, which comes before the lease) until the test releases it, then
// hands it to next (a tokenGate): the test decides where each run is,
// without timing.
type holdGate struct {
	next http.Handler
	mu   sync.Mutex
	// arrived[tok] is closed when tok's first request arrives; release[tok]
	// is closed to let its requests through.
	arrived, release map[string]chan struct{}
}

func newHoldGate(next http.Handler, tokens ...string) *holdGate {
	g := &holdGate{next: next, arrived: map[string]chan struct{}{}, release: map[string]chan struct{}{}}
	for _, tok := range tokens {
		g.arrived[tok], g.release[tok] = make(chan struct{}), make(chan struct{})
	}
	return g
}

func (g *holdGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if strings.HasSuffix(r.URL.Path, "/debug_token") {
		g.next.ServeHTTP(w, r)
		return
	}
	g.mu.Lock()
	arrived, ok := g.arrived[tok]
	if ok {
		select {
		case <-arrived:
		default:
			close(arrived)
		}
	}
	g.mu.Unlock()
	if ok {
		select {
		case <-g.release[tok]:
		case <-r.Context().Done():
			return
		}
	}
	g.next.ServeHTTP(w, r)
}

// startIgexport runs the binary in the background; the channel gets its
// result (Code -1 and the error in Stderr if it could not run).
func startIgexport(dir string, e env, args ...string) <-chan runResult {
	ch := make(chan runResult, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, igexportBin, args...)
		cmd.SysProcAttr = procAttr()
		cmd.Dir = dir
		cmd.Env = e.list()
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		r := runResult{Code: -1, Stdout: stdout.String(), Stderr: stderr.String()}
		if cmd.ProcessState != nil {
			r.Code = cmd.ProcessState.ExitCode()
		} else {
			r.Stderr += err.Error()
		}
		ch <- r
	}()
	return ch
}

// waitFor returns when ch is closed, and fails the test if run ends first
// (the run was to be held there) or nothing happens for a long time (a
// watchdog, never the expected path).
func waitFor(t *testing.T, what string, ch <-chan struct{}, run <-chan runResult) {
	t.Helper()
	select {
	case <-ch:
	case r := <-run:
		t.Fatalf("%s: the run ended first: exit %d\n%s\n%s", what, r.Code, r.Stdout, r.Stderr)
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s: nothing happened", what)
	}
}

// TestLeaseLostStopsTheRun is issue 10 item 4: run A holds an account and is
// fetching; an operator runs `igexport state unlock`; run B takes the
// account. When A goes on, it must find its lease gone before uploading
// anything and stop: no data file of A's, no state commit. B then
// succeeds, and the state it commits matches the files (SHA-256). On
// file:// and on S3 (versitygw).
func TestLeaseLostStopsTheRun(t *testing.T) {
	for _, backend := range []string{"file", "s3"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			var dest string
			if backend == "s3" {
				dest, _ = testenv.StartVersityGW(t)
			}
			testLeaseLost(t, dir, dest)
		})
	}
}

func testLeaseLost(t *testing.T, dir, dest string) {
	const tokA, tokB = "e2e-lease-run-a-5d0c", "e2e-lease-run-b-81fe"
	o := igfake.Options{Accounts: 1, Media: 30, Stories: 1, Seed: 21, Token: "igfake-inner-token"}
	tokens := &tokenGate{next: igfake.New(o), real: o.Token, calls: map[string]int{},
		budget: map[string]int{tokA: 0, tokB: 0}, deny: map[string]string{}}
	gate := newHoldGate(tokens, tokA, tokB)
	srv := httptest.NewServer(gate)
	t.Cleanup(srv.Close)
	// Let held requests go when the test ends, whatever happened.
	t.Cleanup(func() {
		for _, tok := range []string{tokA, tokB} {
			select {
			case <-gate.release[tok]:
			default:
				close(gate.release[tok])
			}
		}
	})
	cfg := writeConfig(t, dir, cfgOpts{URL: srv.URL, Accounts: accountsOf(ids(1)), Destination: dest})
	envA, envB := env{envName("token"): tokA}, env{envName("token"): tokB}

	// A takes the lease and is held at its first API request.
	runA := startIgexport(dir, envA, "apply", "-json", "-config", cfg)
	waitFor(t, "run A's first request", gate.arrived[tokA], runA)

	// The operator forces the lease; B takes the account and is held too.
	u := igexport(t, dir, envB, "state", "unlock", "a1", "-config", cfg)
	if u.Code != 0 || !strings.Contains(u.Stdout, "That lease was live") || strings.Contains(u.Stdout, "fails safely") {
		t.Fatalf("state unlock: exit %d\n%s%s", u.Code, u.Stdout, u.Stderr)
	}
	runB := startIgexport(dir, envB, "apply", "-json", "-config", cfg)
	waitFor(t, "run B's first request", gate.arrived[tokB], runB)

	// A goes on while B holds the lease: it must stop, commit nothing, exit 1.
	close(gate.release[tokA])
	var a runResult
	select {
	case a = <-runA:
	case r := <-runB:
		t.Fatalf("run B ended while held: exit %d\n%s", r.Code, r.Stderr)
	}
	sa := a.summary(t)
	if a.Code != 1 || len(sa.Accounts) != 1 || sa.Accounts[0].Status != "failed" ||
		!strings.Contains(sa.Accounts[0].Error, "lease") || sa.Accounts[0].Generation != 0 {
		t.Fatalf("run A: exit %d, %+v; want 1, the account failed for its lost lease, no generation\n%s", a.Code, sa.Accounts, a.Stderr)
	}
	st, data := openLake(t, dir, dest)
	if gens, err := st.Generations(context.Background(), ids(1)[0]); err != nil || len(gens) != 0 {
		t.Fatalf("after run A: generations %v, %v; want none", gens, err)
	}
	if keys := parquetKeys(t, data); len(keys) != 0 {
		t.Fatalf("run A wrote data after losing its lease: %v", keys)
	}

	// B, which holds the lease, succeeds.
	close(gate.release[tokB])
	b := <-runB
	sb := b.summary(t)
	if b.Code != 0 || sb.Accounts[0].Status != "ok" || sb.Accounts[0].Generation != 1 {
		t.Fatalf("run B: exit %d, %+v\n%s", b.Code, sb.Accounts, b.Stderr)
	}
	state, err := st.LoadState(context.Background(), ids(1)[0])
	if err != nil || state == nil || state.RunID != sb.RunID || state.Generation != 1 {
		t.Fatalf("state %+v, %v; want generation 1 by run B (%s)", state, err, sb.RunID)
	}
	// The committed state names every data file, with its SHA-256.
	named := map[string]bool{}
	for name, ss := range state.Streams {
		for _, f := range ss.Files {
			named[f.Key] = true
			body, err := data.Bucket().ReadAll(context.Background(), f.Key)
			if err != nil {
				t.Errorf("%s: %s: %v", name, f.Key, err)
				continue
			}
			if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(body)) != f.Bytes {
				t.Errorf("%s: %s does not match the state's SHA-256/size", name, f.Key)
			}
		}
	}
	for _, k := range parquetKeys(t, data) {
		if !named[k] {
			t.Errorf("%s is in the lake but not in the state", k)
		}
	}
	if li, err := st.ReadLease(context.Background(), ids(1)[0]); err != nil || li != nil {
		t.Errorf("lease left behind: %+v, %v", li, err)
	}
}

// openLake opens the test's state and data stores (file:// lake in dir, or
// the S3 bucket).
func openLake(t *testing.T, dir, dest string) (state, data *sinks.Store) {
	t.Helper()
	if dest == "" {
		dest = "file://" + filepath.ToSlash(filepath.Join(dir, "lake"))
	}
	ctx := context.Background()
	data, err := sinks.Open(ctx, dest, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { data.Close() })
	state, err = sinks.Open(ctx, dest, "_igexport")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { state.Close() })
	return state, data
}

// parquetKeys lists the data files of a store.
func parquetKeys(t *testing.T, s *sinks.Store) []string {
	t.Helper()
	var out []string
	it := s.Bucket().List(&blob.ListOptions{})
	for {
		obj, err := it.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(obj.Key, ".parquet") {
			out = append(out, obj.Key)
		}
	}
	return out
}
