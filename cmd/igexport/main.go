// Command igexport exports Instagram Business and Creator account data from
// the Instagram Graph API into date-partitioned Parquet files in object
// storage, driven by a declarative HCL file: validate, plan, apply.
//
// See README.md for the user documentation and ../../docs/architecture.md
// for how a run flows through the packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/igexport/igexport/export"
	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/sinks"
)

// Exit codes (SPEC §6).
const (
	exitOK      = 0
	exitError   = 1
	exitUsage   = 2
	exitPartial = 3
)

// failed prints the error that stopped command cmd (apply, plan, state…)
// and returns its exit code: exitUsage for a bucket without usable cloud
// credentials, a set-up problem like an empty token, printed as the
// [sinks.CredentialsError] alone (its message says what to set); exitError
// for the rest, secrets redacted.
func failed(e env, cmd string, err error, red *redactor) int {
	if ce := (*sinks.CredentialsError)(nil); errors.As(err, &ce) {
		fmt.Fprintf(e.Stderr, "igexport %s: %s\n", cmd, red.clean(ce.Error()))
		return exitUsage
	}
	fmt.Fprintf(e.Stderr, "igexport %s: %s\n", cmd, red.clean(err.Error()))
	return exitError
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	setMemoryLimit(os.LookupEnv, hcl.DefaultConcurrency)
	stopProfile := startHeapProfile(os.LookupEnv)
	ctx, stop := notifyInterrupt(context.Background())
	code := run(ctx, os.Args[1:], env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, LookupEnv: os.LookupEnv,
		SetConcurrency: func(n int) { setMemoryLimit(os.LookupEnv, n) }})
	stop()
	stopProfile()
	os.Exit(code)
}

// setMemoryLimit sets the Go runtime's soft memory limit to
// export.MemoryLimit(concurrency) unless GOMEMLIMIT is set (the runtime has
// read it then, and it wins): main calls it at start with the default
// concurrency, and apply again with the run's. Past the limit (a working set
// larger than the concurrency's share) the collector runs more often,
// spending at most half the CPU on it (the runtime's own cap).
// GOMEMLIMIT=off or a larger value (see docs/operations.md) trades memory
// back for CPU.
func setMemoryLimit(lookupEnv func(string) (string, bool), concurrency int) {
	if _, ok := lookupEnv("GOMEMLIMIT"); !ok {
		debug.SetMemoryLimit(export.MemoryLimit(concurrency))
	}
}

// notifyInterrupt returns a context cancelled by the first SIGINT or
// SIGTERM with an [export.InterruptError] as its cause (exit 130 or 143):
// a run then commits what finished and says "interrupted". A second signal
// ends the process at once (the default action is restored).
func notifyInterrupt(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			signal.Reset(os.Interrupt, syscall.SIGTERM)
			cancel(interruptCause(s))
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// interruptCause maps a signal to the interruption it causes: exit 128 +
// the signal number, as shells report it.
func interruptCause(s os.Signal) *export.InterruptError {
	if s == syscall.SIGTERM {
		return &export.InterruptError{Signal: "SIGTERM", ExitCode: 128 + int(syscall.SIGTERM)}
	}
	return &export.InterruptError{Signal: "SIGINT", ExitCode: 128 + int(syscall.SIGINT)}
}

// env is what a command may touch of the outside world (tests swap it).
// Results go to Stdout, logs, diagnostics and progress to Stderr.
type env struct {
	Stdin     io.Reader
	Stdout    io.Writer
	Stderr    io.Writer
	LookupEnv func(string) (string, bool) // nil: os.LookupEnv
	// Terminal reports whether Stderr, where progress is drawn, is a
	// terminal that takes a live display (nil: detect).
	Terminal func() bool
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Heartbeat is the interval of the progress line printed when Stderr
	// is not a terminal (0: 30 s).
	Heartbeat time.Duration
	// SetConcurrency is told the concurrency of a run before it starts, to
	// size the process's memory limit (nil: nothing; the runtime's limit
	// is process-wide, so only main sets it, not the in-process tests).
	SetConcurrency func(int)
}

func (e env) lookupEnv(name string) (string, bool) {
	if e.LookupEnv == nil {
		return os.LookupEnv(name)
	}
	return e.LookupEnv(name)
}

func (e env) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

const usage = `Usage: igexport <command> [flags]

Commands:
  validate   parse and type-check the config; opens nothing
  plan       show what apply would fetch and write; reads the state; asks Instagram only debug_token (-offline: nothing)
  apply      run the export, or apply a plan saved with plan -out
  state      list | show ACCOUNT | unlock ACCOUNT
  fmt        rewrite config files in canonical HCL format (-check: only report)
  ddl        print CREATE EXTERNAL TABLE / VIEW statements for Athena, BigQuery or DuckDB
  token      check [-json] | refresh -account NAME [-out FILE]: token health; opt-in refresh
  version    print the version

Run 'igexport <command> -h' for a command's flags.
Exit codes: 0 success, 1 error, 2 invalid config or usage, 3 partial (deferred; picked up next run).
`

func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		fmt.Fprint(e.Stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "validate":
		return cmdValidate(ctx, rest, e)
	case "plan":
		return cmdPlan(ctx, rest, e)
	case "apply":
		return cmdApply(ctx, rest, e)
	case "state":
		return cmdState(ctx, rest, e)
	case "fmt":
		return cmdFmt(ctx, rest, e)
	case "ddl":
		return cmdDDL(ctx, rest, e)
	case "token":
		return cmdToken(ctx, rest, e)
	case "version", "-version", "--version":
		return cmdVersion(ctx, rest, e)
	case "help", "-h", "-help", "--help":
		if cmd == "help" && len(rest) > 0 && isCommand(rest[0]) {
			// igexport help apply: apply's usage, on stdout as asked for.
			e.Stderr = e.Stdout
			return run(ctx, []string{rest[0], "-h"}, e)
		}
		fmt.Fprint(e.Stdout, usage)
		return exitOK
	}
	if strings.HasPrefix(cmd, "-") {
		// igexport -config f plan: the flags belong to the command.
		for i, a := range args {
			if isCommand(a) {
				fmt.Fprintf(e.Stderr, "igexport: flags go after the command: igexport %s\n",
					strings.Join(slices.Concat([]string{a}, args[:i], args[i+1:]), " "))
				return exitUsage
			}
		}
	}
	fmt.Fprintf(e.Stderr, "igexport: unknown command %q\n\n%s", cmd, usage)
	return exitUsage
}

// commands are igexport's commands, as run dispatches them.
var commands = []string{"validate", "plan", "apply", "state", "fmt", "ddl", "version"}

func isCommand(s string) bool { return slices.Contains(commands, s) }
