// Package testenv starts the out-of-process test servers igexport's tests run
// against — versitygw (S3), fake-gcs-server (GCS), Azurite (Azure Blob) — and
// runs SQL through DuckDB (@duckdb/node-api) as an independent Parquet reader.
// Import it from _test.go files only.
//
// The binaries and node modules live in <module root>/.tools, installed at
// pinned versions by scripts/install-tools.sh (make tools). When a tool is
// missing the test is skipped with the install hint, or fails when the
// environment sets IGEXPORT_REQUIRE_TOOLS=1 (make test does, so CI never
// silently skips). IGEXPORT_TOOLS overrides the tools directory.
//
// Every server listens on 127.0.0.1 on a free port, in its own process group,
// is waited for with a bounded timeout (its output is in the failure message),
// and is killed when the test ends. The Start functions set environment
// variables with t.Setenv, so they cannot be used from parallel tests.
package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// InstallHint says how to install the tools.
const InstallHint = "install the test tools with `make tools` (scripts/install-tools.sh)"

// RequireToolsEnv names the variable that turns a missing tool from a skip into a failure.
const RequireToolsEnv = "IGEXPORT_REQUIRE_TOOLS"

// StartTimeout bounds how long a server may take to become ready.
const StartTimeout = 30 * time.Second

// Tools returns the absolute path of the tools directory (<module root>/.tools,
// or $IGEXPORT_TOOLS). If it does not exist the test is skipped, or fails
// under IGEXPORT_REQUIRE_TOOLS=1.
func Tools(t testing.TB) string {
	t.Helper()
	dir, err := toolsDir()
	if err != nil {
		missing(t, err.Error())
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		missing(t, fmt.Sprintf("tools directory %s not found", dir))
	}
	return dir
}

func toolsDir() (string, error) {
	if d := os.Getenv("IGEXPORT_TOOLS"); d != "" {
		return filepath.Abs(d)
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, ".tools"), nil
}

// ModuleRoot returns the directory of the nearest go.mod at or above the
// working directory (a test's working directory is its package directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod found above the working directory")
		}
		dir = parent
	}
}

// tool returns the path of a file under the tools directory, applying the
// missing-tool policy when it is absent.
func tool(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(Tools(t), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		missing(t, fmt.Sprintf("%s not found", p))
	}
	return p
}

// nodeBin returns the node executable, applying the missing-tool policy.
func nodeBin(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("node")
	if err != nil {
		missing(t, "node (Node.js >= 20) not found in PATH")
	}
	return p
}

func missing(t testing.TB, what string) {
	t.Helper()
	msg := what + ": " + InstallHint
	if os.Getenv(RequireToolsEnv) == "1" {
		t.Fatalf("%s (%s=1 makes a missing tool a failure)", msg, RequireToolsEnv)
	}
	t.Skip(msg)
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ---------------------------------------------------------------------------
// Processes.

// syncBuffer collects a process's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 1<<20 { // keep memory bounded; the head has the startup errors
		return len(p), nil
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type proc struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{} // closed when the process has exited
	err  error         // exit status, valid after done
	// reported is set once the output went into a failure message.
	reported bool
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// output is the process's combined stdout and stderr, for failure messages.
func (p *proc) output() string {
	s := strings.TrimSpace(p.out.String())
	if s == "" {
		return "(no output)"
	}
	const max = 8 << 10
	if len(s) > max {
		s = s[:max] + "\n…(truncated)"
	}
	return s
}

// startProc starts bin in its own process group; the process group is killed
// when the test ends, and its output is logged if the test failed.
func startProc(t testing.TB, name, bin string, args []string, dir string, env []string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		t.Fatalf("testenv: starting %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() && !p.reported {
			t.Logf("testenv: %s output:\n%s", name, p.output())
		}
	})
	return p
}

// stop terminates the process group: SIGTERM, then SIGKILL after 5 s.
func (p *proc) stop() {
	if p.exited() {
		return
	}
	terminate(p.cmd)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		kill(p.cmd)
		<-p.done
	}
}

// waitReady polls ready until it returns nil, the process exits, or the
// start timeout passes; the last two return an error carrying the server's output.
func waitReady(p *proc, ready func(ctx context.Context) error) error {
	deadline := time.Now().Add(StartTimeout)
	for {
		if p.exited() {
			p.reported = true
			return fmt.Errorf("%s exited before it was ready (%v); output:\n%s", p.name, p.err, p.output())
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := ready(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			p.stop()
			p.reported = true
			return fmt.Errorf("%s not ready after %v (last error: %v); output:\n%s", p.name, StartTimeout, err, p.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startServer starts a server on a free port and waits until it is ready,
// retrying on another port when the chosen one was taken in between.
func startServer(t testing.TB, start func(port int) *proc, ready func(ctx context.Context, port int) error) (*proc, int) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		port := freePort(t)
		p := start(port)
		err := waitReady(p, func(ctx context.Context) error { return ready(ctx, port) })
		if err == nil {
			return p, port
		}
		if attempt < 3 && p.exited() && strings.Contains(p.out.String(), "address already in use") {
			continue
		}
		t.Fatalf("testenv: %v", err)
	}
}

// tcpReady succeeds once something accepts connections on 127.0.0.1:port.
func tcpReady(ctx context.Context, port int) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return err
	}
	return c.Close()
}
