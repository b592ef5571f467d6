package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/igexport/igexport/internal/ddl"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

func cmdDDL(ctx context.Context, args []string, e env) int {
	var c common
	var o ddl.Options
	var streams listFlag
	fs := newFlagSet("ddl", "ddl -dialect athena|bigquery|duckdb [flags]", e.Stderr)
	c.configFlags(fs)
	fs.StringVar(&o.Dialect, "dialect", "", "SQL dialect: "+strings.Join(ddl.Dialects(), ", ")+" (required)")
	fs.StringVar(&o.Location, "location", "", "the lake's bucket `URL` or local directory (default: the config's destination url)")
	fs.StringVar(&o.Prefix, "prefix", "", "the destination `prefix` (default: the config's)")
	fs.StringVar(&o.Database, "database", "", "Athena database / BigQuery dataset (default "+ddl.DefaultDatabase+"); DuckDB: a schema for the views")
	fs.StringVar(&o.Projection, "projection", "", "Athena partition projection `type` of account_id: injected (the default: every query filters on account_id) or enum (lists the accounts of the config and the state; regenerate after adding one)")
	fs.StringVar(&o.StartDate, "start-date", "", "first dt of the Athena projection range, YYYY-MM-DD (default "+ddl.DefaultStartDate+")")
	fs.Var(&streams, "stream", "only this `stream` (repeatable)")
	if !c.parse(fs, args) {
		return c.failed()
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.Stderr, "igexport ddl: unexpected arguments %v\n", fs.Args())
		return exitUsage
	}
	if o.Dialect == "" {
		fmt.Fprintf(e.Stderr, "igexport ddl: -dialect is required (%s)\n", strings.Join(ddl.Dialects(), ", "))
		return exitUsage
	}
	o.Streams = streams
	// The config gives the location, unless -location is given and there
	// is no config to read.
	_, statErr := os.Stat(c.config)
	if !c.set["location"] || c.set["config"] || statErr == nil {
		cfg := c.load(e, true)
		if cfg == nil {
			return exitUsage
		}
		if !c.set["location"] {
			o.Location = cfg.Destination.URL
		}
		if len(o.Streams) == 0 {
			// The default streams, and the opt-in ones the config exports.
			o.Streams = schema.DefaultNames()
			for _, st := range cfg.Streams {
				if info, ok := schema.Lookup(st); ok && info.OptIn {
					o.Streams = append(o.Streams, st)
				}
			}
		}
		if !c.set["prefix"] {
			o.Prefix = cfg.Destination.Prefix
		}
		if o.Projection == "enum" {
			for _, a := range cfg.Accounts {
				if a.IGUserID != "" { // an Instagram Login block without one: its id is in the state once exported
					o.Accounts = append(o.Accounts, a.IGUserID)
				}
			}
			if st, err := sinks.Open(ctx, cfg.State.URL, cfg.State.Prefix); err == nil {
				ids, err := st.ListAccounts(ctx)
				st.Close()
				if err != nil {
					fmt.Fprintf(e.Stderr, "igexport ddl: warning: listing the accounts of the state: %v\n", err)
				}
				o.Accounts = append(o.Accounts, ids...)
			}
			slices.Sort(o.Accounts)
			o.Accounts = slices.Compact(o.Accounts)
		}
	}
	if o.Dialect == "duckdb" {
		o.Location = absLocal(o.Location)
	}
	out, err := ddl.Generate(o)
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport ddl: %s\n", sinks.RedactURL(err.Error()))
		return exitUsage
	}
	fmt.Fprint(e.Stdout, out)
	return exitOK
}

// absLocal makes a relative local lake location (file://./lake, ./lake)
// absolute, so the DuckDB views work from any directory; igexport reads
// such URLs relative to the working directory too.
func absLocal(loc string) string {
	u, err := url.Parse(loc)
	switch {
	case err != nil:
		return loc
	case u.Scheme == "file" && u.Host != "" && u.Host != "localhost":
		if abs, err := filepath.Abs(u.Host + u.Path); err == nil {
			return "file://" + filepath.ToSlash(abs)
		}
	case u.Scheme == "" && !filepath.IsAbs(loc):
		if abs, err := filepath.Abs(loc); err == nil {
			return abs
		}
	}
	return loc
}

func cmdVersion(_ context.Context, args []string, e env) int {
	var asJSON bool
	fs := newFlagSet("version", "version [-json]", e.Stderr)
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return helpOr(err)
	}
	v := versionString()
	if asJSON {
		writeJSON(e, struct {
			Version string `json:"version"`
			Go      string `json:"go"`
		}{v, goVersion()}, nil)
		return exitOK
	}
	fmt.Fprintf(e.Stdout, "igexport %s\n", v)
	return exitOK
}

// versionString is the -X main.version of the build, else the module
// version `go install …@version` records, else "dev".
func versionString() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

func goVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.GoVersion
	}
	return ""
}
