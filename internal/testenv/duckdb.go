package testenv

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

//go:embed duckdb.mjs
var duckdbScript []byte

// QueryTimeout bounds one DuckDB query (a node process).
const QueryTimeout = 60 * time.Second

// Duck runs SQL through DuckDB (the @duckdb/node-api package in .tools/node),
// an independent Parquet reader. Each query is one node process on the same
// database file, so views and tables created by one query are there for the
// next. DuckDB here has the parquet, json and icu extensions but no httpfs:
// read local paths.
type Duck struct {
	node, script, nodeDir, db string
	mu                        sync.Mutex // one process at a time: DuckDB locks its file
}

// DuckDB returns a Duck on a fresh database file in t.TempDir().
func DuckDB(t testing.TB) *Duck {
	t.Helper()
	node := nodeBin(t)
	tool(t, "node/node_modules/@duckdb/node-api/package.json")
	dir := t.TempDir()
	script := filepath.Join(dir, "duckdb.mjs")
	if err := os.WriteFile(script, duckdbScript, 0o644); err != nil {
		t.Fatal(err)
	}
	return &Duck{node: node, script: script, nodeDir: filepath.Join(Tools(t), "node"), db: filepath.Join(dir, "test.duckdb")}
}

// Query runs sql (one or more statements) and returns the rows of the last
// statement, failing the test on error. Row values are JSON-decoded from
// DuckDB's JSON rendering: BIGINT/HUGEINT/DECIMAL are strings (exact),
// INTEGER/SMALLINT/TINYINT/DOUBLE are float64, DATE and TIMESTAMP are strings,
// LISTs are []any, STRUCTs map[string]any, NULL is nil.
func (d *Duck) Query(t testing.TB, sql string) []map[string]any {
	t.Helper()
	rows, err := d.Run(sql)
	if err != nil {
		t.Fatalf("duckdb: %v\nSQL:\n%s", err, sql)
	}
	return rows
}

// Run is Query returning the error (DuckDB's message) instead of failing the test.
func (d *Duck) Run(sql string) ([]map[string]any, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	cmd := exec.Command(d.node, d.script, d.db)
	cmd.Env = append(os.Environ(), "IGEXPORT_NODE_DIR="+d.nodeDir)
	cmd.Stdin = strings.NewReader(sql)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting node: %w", err)
	}
	var timedOut atomic.Bool
	timer := time.AfterFunc(QueryTimeout, func() {
		timedOut.Store(true)
		_ = cmd.Process.Kill()
	})
	err := cmd.Wait()
	timer.Stop()
	if timedOut.Load() {
		return nil, fmt.Errorf("query killed after %v (QueryTimeout)", QueryTimeout)
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, errors.New(msg)
	}
	var rows []map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &rows); err != nil {
		return nil, fmt.Errorf("decoding DuckDB output: %w (stdout %q, stderr %q)", err, stdout.String(), stderr.String())
	}
	return rows, nil
}

// CLIShim writes into dir an executable `duckdb` that stands in for the
// DuckDB CLI in documented commands: `duckdb DATABASE -c SQL` and
// `duckdb DATABASE < file.sql` run the SQL through this DuckDB and print
// the last statement's rows as JSON. It returns dir (put it first on PATH).
func (d *Duck) CLIShim(t testing.TB, dir string) string {
	t.Helper()
	// @duckdb/node-api may fail in its teardown ("Error in native
	// callback") after the rows are printed: that is not the query's
	// outcome, so the stand-in lets it pass when a result was printed.
	sh := fmt.Sprintf(`#!/bin/bash
# duckdb stand-in (internal/testenv): duckdb DATABASE [-c SQL]
db="$1"; shift
export IGEXPORT_NODE_DIR=%q
err=$(mktemp); trap 'rm -f "$err"' EXIT
if [ "$1" = "-c" ]; then
  out=$(printf '%%s' "$2" | %q %q "$db" 2>"$err"); rc=$?
else
  out=$(%q %q "$db" 2>"$err"); rc=$?
fi
printf '%%s' "$out"
if [ $rc -ne 0 ] && [ "$(cat "$err")" = "Error in native callback" ] && [ "${out:0:1}" = "[" ]; then
  echo "duckdb stand-in: ignored a teardown error of @duckdb/node-api" >&2; exit 0
fi
cat "$err" >&2
exit $rc
`, d.nodeDir, d.node, d.script, d.node, d.script)
	if err := os.WriteFile(filepath.Join(dir, "duckdb"), []byte(sh), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
