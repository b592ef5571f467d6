package docs

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/igexport/igexport/internal/testenv"
)

// tourCommands returns the shell lines of README.md's five-minute tour, in
// order, with the multi-line commands (a quoted SQL string) kept whole.
func tourCommands(t *testing.T) []string {
	t.Helper()
	s := read(t, "../README.md")
	i := strings.Index(s, "\n## Try it in five minutes")
	if i < 0 {
		t.Fatal("README.md has no five-minute tour")
	}
	s = s[i+1:]
	if j := strings.Index(s, "\n## "); j >= 0 {
		s = s[:j]
	}
	var out []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(s, -1) {
		var cmd string
		for _, line := range strings.Split(strings.TrimRight(m[1], "\n"), "\n") {
			if cmd != "" {
				cmd += "\n" + line
			} else {
				cmd = line
			}
			if strings.Count(cmd, `"`)%2 == 0 { // not inside a quoted string
				out = append(out, cmd)
				cmd = ""
			}
		}
	}
	if len(out) < 5 {
		t.Fatalf("the tour has %d commands: %q", len(out), out)
	}
	return out
}

// copyRepo copies the module's files (tracked and not ignored) to a fresh
// directory: the tour runs in a clone.
func copyRepo(t *testing.T) string {
	t.Helper()
	ls := exec.Command("git", "ls-files", "-co", "--exclude-standard")
	ls.Dir = ".."
	b, err := ls.Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	dst := filepath.Join(t.TempDir(), "igexport")
	for _, f := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		src := filepath.Join("..", f)
		fi, err := os.Lstat(src)
		if err != nil || !fi.Mode().IsRegular() {
			continue // deleted in the work tree, or a symlink such as .tools
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dst, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// sh runs one command with bash in dir.
func sh(t *testing.T, dir string, env []string, cmd string) (string, string, error) {
	t.Helper()
	c := exec.Command("bash", "-o", "pipefail", "-c", cmd)
	c.Dir = dir
	c.Env = env
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	return stdout.String(), stderr.String(), err
}

// TestFiveMinuteTour runs README.md's five-minute tour verbatim in a copy of
// the repository: make demo (on a free PORT), the DuckDB DDL, and the
// DuckDB commands. `git clone` is not run (the copy is the clone) and
// neither is `pip install duckdb-cli` (tests install nothing): a `duckdb`
// on PATH is used when there is one, else a stand-in over the test suite's
// DuckDB (.tools). First, make demo must stop at once on a port in use.
func TestFiveMinuteTour(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and runs the demo")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	cmds := tourCommands(t)
	repo := copyRepo(t)
	env := os.Environ()
	if p, err := exec.LookPath("duckdb"); err == nil {
		t.Logf("duckdb: %s", p)
	} else {
		bin := testenv.DuckDB(t).CLIShim(t, t.TempDir())
		env = append(env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		t.Logf("no duckdb on PATH: the DuckDB commands run through the test suite's DuckDB (.tools/node)")
	}

	t.Run("port in use", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		port := l.Addr().(*net.TCPAddr).Port
		_, stderr, err := sh(t, repo, append(env, fmt.Sprintf("PORT=%d", port)), "make demo")
		if err == nil {
			t.Fatal("make demo succeeded on a port in use")
		}
		want := fmt.Sprintf("port %d is in use (another igfake?)", port)
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
		if _, err := os.Stat(filepath.Join(repo, "lake")); err == nil {
			t.Error("make demo ran the export although the port was taken")
		}
	})

	env = append(env, fmt.Sprintf("PORT=%d", freePort(t)))
	for _, cmd := range cmds {
		switch {
		case strings.HasPrefix(cmd, "git clone "):
			t.Logf("not run (the copy is the clone): %s", cmd)
			continue
		case strings.HasPrefix(cmd, "pip install duckdb-cli"):
			t.Logf("not run (tests install nothing; see above for the duckdb used): %s", cmd)
			continue
		}
		stdout, stderr, err := sh(t, repo, env, cmd)
		if err != nil {
			t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", cmd, err, stdout, stderr)
		}
		if strings.HasPrefix(cmd, "duckdb lake.duckdb -c") && !strings.Contains(stdout, "account_id") && !strings.Contains(stdout, "username") {
			t.Errorf("%s: no rows:\n%s", cmd, stdout)
		}
	}
	// The views read the lake by its absolute path: they work from anywhere.
	sql, err := os.ReadFile(filepath.Join(repo, "lake.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sql), filepath.Join(repo, "lake")+"/") {
		t.Errorf("lake.sql does not read the lake by its absolute path:\n%s", sql)
	}
	stdout, stderr, err := sh(t, t.TempDir(), env, "duckdb "+filepath.Join(repo, "lake.duckdb")+` -c "SELECT count(*) AS n FROM users"`)
	if err != nil || !strings.Contains(stdout, `"n"`) {
		t.Errorf("querying lake.duckdb from another directory: %v\n%s\n%s", err, stdout, stderr)
	}
	// What the tour leaves in the clone is ignored by git.
	for _, f := range []string{"lake.sql", "lake.duckdb", "lake/users/x.parquet", "bin/igexport"} {
		ci := exec.Command("git", "check-ignore", "-q", f)
		ci.Dir = ".."
		if err := ci.Run(); err != nil {
			t.Errorf("%s is not git-ignored (%v)", f, err)
		}
	}
}
