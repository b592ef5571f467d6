package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/igexport/igexport/export"
	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// dateFlag is an optional YYYY-MM-DD flag.
type dateFlag struct{ d *schema.Date }

func (f *dateFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.String()
}

func (f *dateFlag) Set(v string) error {
	d, err := schema.ParseDate(v)
	if err != nil {
		return errors.New("want a date as YYYY-MM-DD")
	}
	f.d = &d
	return nil
}

// common holds the flags shared by the commands that read a config.
type common struct {
	config      string
	vars        listFlag
	varFiles    listFlag
	accounts    listFlag
	streams     listFlag
	shard       string
	from, to    dateFlag
	snapshot    dateFlag
	concurrency int
	logFormat   string
	logLevel    string
	json        bool

	set  map[string]bool // flags given on the command line
	help bool            // -h was given: usage printed, exit 0
}

// selectionFlags are the flags a saved plan fixes.
var selectionFlags = []string{"account", "stream", "shard", "from", "to", "snapshot-date"}

// newFlagSet returns the flag set of a command: -h prints its usage; a bad
// flag or value prints the flag package's error and one line pointing at
// -h, not the whole usage.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	out := &watchWriter{w: stderr}
	fs.SetOutput(out)
	fs.Usage = func() {
		if out.wrote { // the flag package printed an error first
			fmt.Fprintf(stderr, "Run 'igexport %s -h' for its flags.\n", name)
			return
		}
		fmt.Fprintf(stderr, "Usage: igexport %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// watchWriter notes whether anything was written through it.
type watchWriter struct {
	w     io.Writer
	wrote bool
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.wrote = true
	return w.w.Write(p)
}

// parse parses args and records which flags were given. It returns false
// on a usage error or -h (the flag package printed the usage); then the
// command returns c.failed().
func (c *common) parse(fs *flag.FlagSet, args []string) bool {
	if err := fs.Parse(args); err != nil {
		c.help = errors.Is(err, flag.ErrHelp)
		return false
	}
	c.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { c.set[f.Name] = true })
	return true
}

func (c *common) configFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.config, "config", "igexport.hcl", "config `file`")
	fs.Var(&c.vars, "var", "set a variable: `NAME=VALUE` (repeatable; wins over -var-file and IGEXPORT_VAR_NAME)")
	fs.Var(&c.varFiles, "var-file", "read variables from a `file` of NAME = \"value\" lines (repeatable)")
}

func (c *common) logFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.logFormat, "log-format", "text", "log format on stderr: text or json")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
}

func (c *common) runFlags(fs *flag.FlagSet) {
	c.configFlags(fs)
	fs.Var(&c.accounts, "account", "only this account: its `name` (account label or discovered username) or IG user id (repeatable)")
	fs.Var(&c.streams, "stream", "only this `stream` (repeatable)")
	fs.StringVar(&c.shard, "shard", "", "only shard `I/N` of the accounts, 0 <= I < N (a stable hash of the IG user id)")
	fs.Var(&c.from, "from", "backfill user_insights from this `date` (YYYY-MM-DD); the cursor never moves backwards")
	fs.Var(&c.to, "to", "end the -from backfill at this `date` (default: yesterday)")
	fs.Var(&c.snapshot, "snapshot-date", "write the snapshot streams' partitions for this `date` (YYYY-MM-DD) instead of today (UTC)")
	fs.IntVar(&c.concurrency, "concurrency", 0, "requests in flight across all accounts (default: the config's concurrency)")
	c.logFlags(fs)
	fs.BoolVar(&c.json, "json", false, "print the result as JSON on stdout")
}

func (c *common) loadOptions(e env) (hcl.LoadOptions, error) {
	vars := map[string]string{}
	for _, v := range c.vars {
		name, value, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return hcl.LoadOptions{}, fmt.Errorf("-var %q: want NAME=VALUE", v)
		}
		vars[name] = value
	}
	return hcl.LoadOptions{Vars: vars, VarFiles: c.varFiles, LookupEnv: e.lookupEnv, Now: e.now, Schemes: sinks.Schemes(), QueryParams: sinks.QueryParams}, nil
}

// load reads the config; on failure it prints the diagnostics and returns
// nil. Warnings are printed unless quiet (commands that use no token need
// no warning about an empty one).
func (c *common) load(e env, quiet bool) *hcl.Config {
	lo, err := c.loadOptions(e)
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport: %v\n", err)
		return nil
	}
	cfg, diags := hcl.Load(c.config, lo)
	if diags.HasErrors() || (!quiet && diags.Len() > 0) {
		_ = diags.Write(e.Stderr, false)
	}
	if diags.HasErrors() && c.json {
		// -json: the diagnostics on stdout too, as validate -json prints them.
		writeJSON(e, struct {
			Valid       bool             `json:"valid"`
			Config      string           `json:"config"`
			Diagnostics []hcl.Diagnostic `json:"diagnostics"`
		}{false, c.config, diags.List()}, nil)
	}
	if diags.HasErrors() {
		return nil
	}
	return cfg
}

// exportOptions returns the selection flags as Options; only their syntax
// is checked here: checkSelection validates them once the config is loaded.
func (c *common) exportOptions() (export.Options, error) {
	o := export.Options{Accounts: c.accounts, Streams: c.streams, From: c.from.d, To: c.to.d,
		SnapshotDate: c.snapshot.d, Concurrency: c.concurrency, Version: versionString()}
	if c.shard != "" {
		i, n, err := export.ParseShard(c.shard)
		if err != nil {
			return o, err
		}
		o.Shard, o.Shards = i, n
	}
	return o, nil
}

// checkSelection validates a run's selectors, from flags or from a saved
// plan (from names where they come from: "" for flags), with the one
// validation export.CheckSelection, and prints the error. It returns false
// on an invalid selection: the command exits 2.
func checkSelection(e env, cmd string, cfg *hcl.Config, s export.Selection, from string) bool {
	err := export.CheckSelection(cfg, s, e.now())
	if err == nil {
		return true
	}
	if from != "" {
		fmt.Fprintf(e.Stderr, "igexport %s: the selection saved in %s is invalid: %v (run plan -out again)\n", cmd, from, err)
	} else {
		fmt.Fprintf(e.Stderr, "igexport %s: %v\n", cmd, err)
	}
	return false
}

// logger returns the logger of a command: slog on w (stderr, or the live
// display), secrets redacted. defaultLevel applies when -log-level was not
// given.
func (c *common) logger(w io.Writer, secrets []string, defaultLevel slog.Level) (*slog.Logger, error) {
	level := defaultLevel
	if c.set["log-level"] || defaultLevel == slog.LevelInfo {
		if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
			return nil, fmt.Errorf("-log-level %q: want debug, info, warn or error", c.logLevel)
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch c.logFormat {
	case "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("-log-format %q: want text or json", c.logFormat)
	}
	return slog.New(newRedactHandler(h, secrets)), nil
}

// checkLogFlags validates -log-format and -log-level before anything runs.
func (c *common) checkLogFlags() error {
	_, err := c.logger(io.Discard, nil, slog.LevelInfo)
	return err
}

// failed is the exit code after parse returned false: 0 for -h, else 2.
func (c *common) failed() int {
	if c.help {
		return exitOK
	}
	return exitUsage
}

// helpOr is failed() for commands parsing with fs.Parse.
func helpOr(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}
