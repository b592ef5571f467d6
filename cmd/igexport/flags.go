package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/igexport/igexport/export"
	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/internal/schema"
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
		return err
	}
	f.d = &d
	return nil
}

// common holds the flags shared by plan and apply (and validate's subset).
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
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func (c *common) configFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.config, "config", "igexport.hcl", "config `file`")
	fs.Var(&c.vars, "var", "set a variable: `NAME=VALUE` (repeatable)")
	fs.Var(&c.varFiles, "var-file", "read variables from an HCL `file` (repeatable)")
}

func (c *common) runFlags(fs *flag.FlagSet) {
	c.configFlags(fs)
	fs.Var(&c.accounts, "account", "only this account `name` or IG user id (repeatable)")
	fs.Var(&c.streams, "stream", "only this `stream` (repeatable)")
	fs.StringVar(&c.shard, "shard", "", "only shard `I/N` of the accounts (stable hash of the IG user id, 0-based)")
	fs.Var(&c.from, "from", "backfill user_insights from this `date` (YYYY-MM-DD)")
	fs.Var(&c.to, "to", "backfill user_insights up to this `date` (default: yesterday)")
	fs.Var(&c.snapshot, "snapshot-date", "write snapshot partitions for this `date` instead of today (UTC)")
	fs.IntVar(&c.concurrency, "concurrency", 0, "requests in flight across all accounts (default: the config's)")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format: text or json (logs go to stderr)")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn, error")
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
	return hcl.LoadOptions{Vars: vars, VarFiles: c.varFiles, LookupEnv: e.LookupEnv}, nil
}

// load reads the config; on failure it prints the diagnostics and returns
// nil. Warnings are printed in every case.
func (c *common) load(e env) *hcl.Config {
	lo, err := c.loadOptions(e)
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport: %v\n", err)
		return nil
	}
	cfg, diags := hcl.Load(c.config, lo)
	if diags.Len() > 0 {
		_ = diags.Write(e.Stderr, false)
	}
	if diags.HasErrors() {
		return nil
	}
	return cfg
}

func (c *common) exportOptions() (export.Options, error) {
	o := export.Options{Accounts: c.accounts, Streams: c.streams, From: c.from.d, To: c.to.d,
		SnapshotDate: c.snapshot.d, Concurrency: c.concurrency, Version: version}
	if c.to.d != nil && c.from.d == nil {
		return o, errors.New("-to needs -from")
	}
	if c.from.d != nil && c.to.d != nil && *c.to.d < *c.from.d {
		return o, fmt.Errorf("-to %s is before -from %s", c.to.d, c.from.d)
	}
	if c.shard != "" {
		i, n, ok := strings.Cut(c.shard, "/")
		si, err1 := strconv.Atoi(i)
		sn, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || sn < 1 || si < 0 || si >= sn {
			return o, fmt.Errorf("-shard %q: want I/N with 0 <= I < N", c.shard)
		}
		o.Shard, o.Shards = si, sn
	}
	return o, nil
}

func (c *common) logger(e env, secrets []string) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, fmt.Errorf("-log-level %q: want debug, info, warn or error", c.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch c.logFormat {
	case "text":
		h = slog.NewTextHandler(e.Stderr, opts)
	case "json":
		h = slog.NewJSONHandler(e.Stderr, opts)
	default:
		return nil, fmt.Errorf("-log-format %q: want text or json", c.logFormat)
	}
	return slog.New(newRedactHandler(h, secrets)), nil
}
