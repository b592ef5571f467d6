package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/igexport/igexport/export"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

const stateUsage = `Usage: igexport state <subcommand> [-config FILE] [-json]

Subcommands:
  list             every account with state: generation, last run, lease
  show ACCOUNT     one account's state: cursors, last snapshots, committed files, lease
  unlock ACCOUNT   delete the account's lease (lock.json), whoever holds it

ACCOUNT is an account name (account block label, or a discovered username
known from recent run summaries) or an IG user id.
`

func cmdState(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		fmt.Fprint(e.Stderr, stateUsage)
		return exitUsage
	}
	if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		fmt.Fprint(e.Stderr, stateUsage)
		return exitOK
	}
	sub, rest := args[0], args[1:]
	var c common
	fs := newFlagSet("state "+sub, "state "+sub+" [-config FILE] [-json]", e.Stderr)
	c.configFlags(fs)
	fs.BoolVar(&c.json, "json", false, "print JSON on stdout")
	pos, ok := parseInterspersed(&c, fs, rest)
	if !ok {
		return c.failed()
	}
	want := map[string]int{"list": 0, "show": 1, "unlock": 1}
	n, known := want[sub]
	if !known {
		fmt.Fprintf(e.Stderr, "igexport state: unknown subcommand %q\n\n%s", sub, stateUsage)
		return exitUsage
	}
	if len(pos) != n {
		if n == 0 {
			fmt.Fprintf(e.Stderr, "igexport state %s: unexpected arguments %v\n", sub, pos)
		} else {
			fmt.Fprintf(e.Stderr, "igexport state %s: want one ACCOUNT (a name or an IG user id), got %d arguments\n", sub, len(pos))
		}
		return exitUsage
	}
	cfg := c.load(e, true)
	if cfg == nil {
		return exitUsage
	}
	st, err := export.ResolveJob(cfg, export.Options{}).OpenState(ctx)
	if st == nil {
		return failed(e, "state", err, newRedactor(cfg.Secrets()))
	}
	defer st.Close()
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport state: warning: %v\n", err)
	}
	red := newRedactor(cfg.Secrets())
	switch sub {
	case "list":
		return stateList(ctx, e, c.json, st, red)
	case "show":
		return stateShow(ctx, e, c.json, st, pos[0], red)
	default:
		return stateUnlock(ctx, e, c.json, st, pos[0], red)
	}
}

// parseInterspersed parses flags that may come before or after the
// positional arguments (`state show ACCOUNT -json`).
func parseInterspersed(c *common, fs *flag.FlagSet, args []string) ([]string, bool) {
	var pos []string
	set := map[string]bool{}
	defer func() {
		for k := range set {
			c.set[k] = true
		}
	}()
	for {
		if !c.parse(fs, args) {
			return nil, false
		}
		for k := range c.set {
			set[k] = true
		}
		if fs.NArg() == 0 {
			return pos, true
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func stateList(ctx context.Context, e env, asJSON bool, st *export.StateView, red *redactor) int {
	rows, err := st.ListState(ctx, e.now())
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport state list: %s\n", red.clean(err.Error()))
		return exitError
	}
	if asJSON {
		writeJSON(e, rows, red)
		return exitOK
	}
	if len(rows) == 0 {
		fmt.Fprintf(e.Stdout, "No account has state in %s yet: `igexport apply` makes it.\n", st)
		return exitOK
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT ID\tNAME\tGENERATION\tLAST RUN\tCOMMITTED\tLEASE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", r.AccountID, dash(r.Name), r.Generation, r.RunID,
			r.CommittedAt.UTC().Format(time.RFC3339), leaseText(r.Lease, e.now()))
	}
	tw.Flush()
	return exitOK
}

// showFiles is how many files per stream `state show` lists.
const showFiles = 5

func stateShow(ctx context.Context, e env, asJSON bool, st *export.StateView, arg string, red *redactor) int {
	id, err := st.ResolveAccount(arg)
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport state show: %v\n", err)
		return exitUsage
	}
	names := st.Names
	s, li, lerr, err := st.ShowState(ctx, id)
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport state show: %s\n", red.clean(err.Error()))
		return exitError
	}
	if s == nil {
		fmt.Fprintf(e.Stderr, "igexport state show: account %s has no state in %s (never exported, or another state location)\n", id, st)
		return exitError
	}
	if asJSON {
		out := struct {
			*sinks.State
			Name  string           `json:"name,omitempty"`
			Lease *sinks.LeaseInfo `json:"lease,omitempty"`
		}{s, names[id], li}
		writeJSON(e, out, red)
		return exitOK
	}
	w := e.Stdout
	name := names[id]
	if name != "" {
		name = " " + name
	}
	fmt.Fprintf(w, "Account %s%s\n", id, name)
	fmt.Fprintf(w, "  state generation %d, committed %s by run %s (igexport %s)\n", s.Generation,
		s.CommittedAt.UTC().Format(time.RFC3339), s.RunID, s.Version)
	switch {
	case lerr != nil:
		fmt.Fprintf(w, "  lease: unreadable: %s\n", red.clean(lerr.Error()))
	default:
		fmt.Fprintf(w, "  lease: %s\n", leaseText(li, e.now()))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  STREAM\tCURSOR\tLAST SNAPSHOT\tFILES\tROWS\tBYTES\tLAST UPDATED BY")
	for _, name := range schema.Names() {
		ss, ok := s.Streams[name]
		if !ok {
			continue
		}
		var rows, size int64
		for _, f := range ss.Files {
			rows += f.Rows
			size += f.Bytes
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t%s\t%s\n", name, dateText(ss.Cursor), dateText(ss.LastSnapshot),
			len(ss.Files), rows, bytesText(size), dash(ss.UpdatedRunID))
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, "  Files committed by each stream's last run (the newest of each; -json lists all):")
	for _, name := range schema.Names() {
		ss, ok := s.Streams[name]
		if !ok {
			continue
		}
		files := ss.Files
		if len(files) > showFiles {
			fmt.Fprintf(w, "    %s: %d older file(s) not shown\n", name, len(files)-showFiles)
			files = files[len(files)-showFiles:]
		}
		for _, f := range files {
			fmt.Fprintf(w, "    %s  %d rows  %s\n", f.Key, f.Rows, bytesText(f.Bytes))
		}
	}
	return exitOK
}

func stateUnlock(ctx context.Context, e env, asJSON bool, st *export.StateView, arg string, red *redactor) int {
	id, err := st.ResolveAccount(arg)
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport state unlock: %v\n", err)
		return exitUsage
	}
	li, lerr, err := st.Unlock(ctx, id) // an unreadable lock.json is deleted all the same
	corrupt := errors.Is(lerr, sinks.ErrLeaseCorrupt)
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport state unlock: %s\n", red.clean(err.Error()))
		return exitError
	}
	if asJSON {
		writeJSON(e, struct {
			AccountID string           `json:"account_id"`
			Removed   *sinks.LeaseInfo `json:"removed_lease"`
		}{id, li}, red)
		return exitOK
	}
	if corrupt {
		fmt.Fprintf(e.Stdout, "Unlocked account %s: removed its lock.json, which did not parse.\n", id)
		return exitOK
	}
	if li == nil {
		fmt.Fprintf(e.Stdout, "Account %s had no lease: nothing to unlock.\n", id)
		return exitOK
	}
	fmt.Fprintf(e.Stdout, "Unlocked account %s: removed the lease of run %s on host %s (%s).\n", id, li.RunID, li.Host,
		leaseText(li, e.now()))
	if !li.Expired(e.now()) {
		fmt.Fprintln(e.Stdout, "That lease was live: if its run is still going, it finds the lease gone before its next upload and before its state commit, "+
			"and stops there without committing; an upload it had already started may still land, until the next run rewrites that file. Stop it first if you can.")
	}
	return exitOK
}

func leaseText(li *sinks.LeaseInfo, now time.Time) string {
	if li == nil {
		return "none"
	}
	if li.Expired(now) {
		return fmt.Sprintf("expired %s (run %s, %s)", li.ExpiresAt.UTC().Format(time.RFC3339), li.RunID, li.Host)
	}
	return fmt.Sprintf("held by run %s on %s until %s", li.RunID, li.Host, li.ExpiresAt.UTC().Format(time.RFC3339))
}

func dateText(d *schema.Date) string {
	if d == nil {
		return "-"
	}
	return d.String()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
