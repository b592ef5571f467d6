package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/igexport/igexport/export"
	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/sinks"
)

func cmdPlan(ctx context.Context, args []string, e env) int {
	var c common
	var out string
	fs := newFlagSet("plan", "plan [flags] [-out PLAN] [-json]", e.Stderr)
	c.runFlags(fs)
	fs.StringVar(&out, "out", "", "save the plan to `file`, for `igexport apply FILE`")
	offline := fs.Bool("offline", false, "send no request at all: skip the token health check (one GET /debug_token per distinct token)")
	if !c.parse(fs, args) {
		return c.failed()
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.Stderr, "igexport plan: unexpected arguments %v\n", fs.Args())
		return exitUsage
	}
	if err := c.checkLogFlags(); err != nil {
		fmt.Fprintf(e.Stderr, "igexport plan: %v\n", err)
		return exitUsage
	}
	o, err := c.exportOptions()
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport plan: %v\n", err)
		return exitUsage
	}
	cfg := c.load(e, true)
	if cfg == nil {
		return exitUsage
	}
	if !checkSelection(e, "plan", cfg, o.Selection(), "") {
		return exitUsage
	}
	if err := checkTokens(cfg, o); err != nil {
		fmt.Fprintf(e.Stderr, "igexport plan: %v\n", err)
		return exitUsage
	}
	red := newRedactor(cfg.Secrets())
	log, _ := c.logger(e.Stderr, cfg.Secrets(), 0)
	o.Logger = log
	o.Now = e.Now
	o.Offline = *offline
	p, err := export.MakePlan(ctx, cfg, o)
	if err != nil {
		return failed(e, "plan", err, red)
	}
	if out != "" {
		b, err := json.MarshalIndent(p, "", "  ")
		if err == nil {
			err = writeFileAtomic(out, []byte(red.clean(string(b))+"\n"), 0o644)
		}
		if err != nil {
			fmt.Fprintf(e.Stderr, "igexport plan: saving the plan: %v\n", err)
			return exitError
		}
	}
	code := exitOK
	for _, a := range p.Accounts {
		if a.Error != "" {
			code = exitError
		}
	}
	if c.json {
		writeJSON(e, p, red)
		return code
	}
	var b bytes.Buffer
	writePlan(&b, p)
	if out != "" {
		fmt.Fprintf(&b, "\nSaved the plan to %s. Apply exactly this with:\n  igexport apply %s\n", out, out)
	}
	_, _ = e.Stdout.Write([]byte(red.clean(b.String())))
	return code
}

// writePlan renders a plan for people.
func writePlan(w io.Writer, p *export.Plan) {
	fmt.Fprintf(w, "Plan for %s, %s (UTC): snapshot partitions dt=%s\n", p.Config, p.Today, p.SnapshotDate)
	fmt.Fprintf(w, "Destination %s, state %s\n", location(p.Destination), location(p.State))
	if s := p.Selection; len(s.Accounts) > 0 || len(s.Streams) > 0 || s.Shards > 1 || s.From != nil {
		var sel []string
		if len(s.Accounts) > 0 {
			sel = append(sel, "accounts "+strings.Join(s.Accounts, ", "))
		}
		if len(s.Streams) > 0 {
			sel = append(sel, "streams "+strings.Join(s.Streams, ", "))
		}
		if s.Shards > 1 {
			sel = append(sel, fmt.Sprintf("shard %d/%d", s.Shard, s.Shards))
		}
		if s.From != nil {
			to := "yesterday"
			if s.To != nil {
				to = s.To.String()
			}
			sel = append(sel, fmt.Sprintf("backfill %s..%s", s.From, to))
		}
		fmt.Fprintf(w, "Selection: %s\n", strings.Join(sel, "; "))
	}
	for _, a := range p.Accounts {
		fmt.Fprintln(w)
		head := fmt.Sprintf("Account %s (%s)", a.Name, a.AccountID)
		if a.Error != "" {
			fmt.Fprintf(w, "%s: not planned\n  error: %s\n  fix: %s\n", head, a.Error, a.Advice)
			continue
		}
		if a.Source == "state" {
			head += ", discovered by an earlier run (exported if discovery still finds it)"
		}
		if a.Generation == 0 {
			head += ": no state yet, first run"
		} else {
			head += fmt.Sprintf(": state generation %d, last run %s", a.Generation, a.LastRunID)
		}
		fmt.Fprintln(w, head)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  STREAM\tFETCH\tPARTITIONS\tCALLS\tROUND TRIPS\tBASIS")
		for _, s := range a.Streams {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", s.Stream, fetchText(s), partitionsText(s),
				estText(s.Estimate.Calls, s.Estimate.LowerBound), estText(s.Estimate.RoundTrips, s.Estimate.LowerBound), s.Basis)
		}
		fmt.Fprintf(tw, "  total\t\t\t%s\t%s\t\n", estText(a.Estimate.Calls, a.Estimate.LowerBound),
			estText(a.Estimate.RoundTrips, a.Estimate.LowerBound))
		tw.Flush()
		for _, s := range a.Streams {
			for _, n := range s.Notes {
				fmt.Fprintf(w, "  note: %s: %s\n", s.Stream, n)
			}
		}
		for _, n := range a.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
		if a.Source != "state" {
			writePlanToken(w, p, a.Name, false) // token.go
		}
		if b := a.Budget; b != nil {
			fmt.Fprintf(w, "  budget: usage was %d%% after run %s; the %s of the 24 h up to it made %d calls: about %d calls a day; the runs of the last 24 h made %d, ≈%d left now\n",
				b.UsagePercent, b.RunID, plural(b.WindowRuns, "run"), b.WindowCalls, b.Total, b.RecentCalls, b.Left)
		}
		for _, m := range a.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", m)
		}
	}
	for _, d := range p.Discover {
		fmt.Fprintln(w)
		globs := ""
		if len(d.Include) > 0 {
			globs += " include " + strings.Join(d.Include, ", ")
		}
		if len(d.Exclude) > 0 {
			globs += " exclude " + strings.Join(d.Exclude, ", ")
		}
		if d.Login == hcl.LoginInstagram {
			fmt.Fprintf(w, "Discover %q:%s: the Instagram Login token's account, found at apply time (GET /me?fields=user_id,username on instagram_api_url, %s)\n",
				d.Name, globs, plural(int(d.Estimate.Calls), "call"))
		} else {
			fmt.Fprintf(w, "Discover %q:%s: accounts discovered at apply time (GET /me/accounts, at least %s)\n",
				d.Name, globs, plural(int(d.Estimate.Calls), "call"))
		}
		if len(d.Known) > 0 {
			fmt.Fprintf(w, "  known from the state and planned above: %s\n", strings.Join(d.Known, ", "))
		} else {
			fmt.Fprintln(w, "  none known from the state yet: their streams are not estimated")
		}
		writePlanToken(w, p, d.Name, true) // token.go
	}
	if len(p.Warnings) > 0 {
		fmt.Fprintln(w)
		for _, m := range p.Warnings {
			fmt.Fprintf(w, "warning: %s\n", m)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Plan: %s, %s: %s API calls in %s round trips", plural(len(p.Accounts), "account"),
		plural(len(p.Streams), "stream"), estText(p.Totals.Calls, p.Totals.LowerBound), estText(p.Totals.RoundTrips, p.Totals.LowerBound))
	if len(p.Discover) > 0 {
		fmt.Fprintf(w, ", plus the accounts discovered at apply time")
	}
	fmt.Fprintln(w, ".")
	fmt.Fprintln(w, "Estimates count what igexport sends; retries, rejected metrics and throttling add to them.")
}

func location(l export.Location) string {
	if l.Prefix == "" {
		return l.URL
	}
	return fmt.Sprintf("%s (prefix %s)", l.URL, l.Prefix)
}

func fetchText(s export.StreamPlan) string {
	switch s.Fetch {
	case "window", "backfill":
		t := fmt.Sprintf("%s %s..%s", s.Fetch, s.Since, s.Until)
		if s.TooOld != nil {
			t += fmt.Sprintf(" (%s..%s too old)", s.TooOld.From, s.TooOld.To)
		}
		return t
	case "none":
		if s.TooOld != nil {
			return fmt.Sprintf("none (%s..%s too old)", s.TooOld.From, s.TooOld.To)
		}
		return "none: up to date"
	case "live":
		return "live stories"
	}
	return s.Fetch
}

// partitionsText shows the partitions by stream and dt (the key's
// account_id and file name are the same for every row).
func partitionsText(s export.StreamPlan) string {
	p := s.Partitions
	switch {
	case p.Count == 0 && p.Pattern != "":
		return "dt=*" // the items' own dates, known at apply time (comments)
	case p.Count == 0:
		return "-"
	case len(p.Keys) == 1:
		return "dt=" + dtOf(p.Keys[0])
	case len(p.Keys) > 1:
		var dts []string
		for _, k := range p.Keys {
			dts = append(dts, dtOf(k))
		}
		return "dt=" + strings.Join(dts, ",")
	}
	return fmt.Sprintf("dt=%s..%s (%d)", p.From, p.To, p.Count)
}

func dtOf(key string) string {
	if k, err := sinks.ParseDataKey(key); err == nil {
		return k.Date.String()
	}
	return key
}

func estText(n int64, lowerBound bool) string {
	if lowerBound {
		return fmt.Sprintf("≥%d", n)
	}
	return fmt.Sprint(n)
}

// writeFileAtomic writes a file through a temp file and a rename.
func writeFileAtomic(path string, b []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Chmod(f.Name(), perm); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}
