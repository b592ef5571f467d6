package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/igexport/igexport/export"
	"github.com/igexport/igexport/hcl"
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
	st, err := sinks.Open(ctx, cfg.State.URL, cfg.State.Prefix)
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport state: opening the state store: %v\n", err)
		return exitError
	}
	defer st.Close()
	names, err := accountNames(ctx, cfg, st)
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport state: warning: %v\n", err)
	}
	red := newRedactor(cfg.Secrets())
	switch sub {
	case "list":
		return stateList(ctx, e, c.json, st, names, red)
	case "show":
		return stateShow(ctx, e, c.json, st, names, pos[0], red)
	default:
		return stateUnlock(ctx, e, c.json, st, names, pos[0], red)
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

// accountNames maps IG user ids to names: the account blocks, and the
// names recent run summaries give (discovered usernames).
func accountNames(ctx context.Context, cfg *hcl.Config, st *sinks.Store) (map[string]string, error) {
	names, err := export.AccountNames(ctx, st)
	if names == nil {
		names = map[string]string{}
	}
	for _, a := range cfg.Accounts {
		names[a.IGUserID] = a.Name
	}
	return names, err
}

// resolveAccount turns a name or an IG user id into the id.
func resolveAccount(arg string, names map[string]string) (string, error) {
	if _, ok := names[arg]; ok {
		return arg, nil
	}
	for _, id := range slices.Sorted(maps.Keys(names)) {
		if names[id] == arg {
			return id, nil
		}
	}
	if sinks.ValidateID(arg) == nil && strings.Trim(arg, "0123456789") == "" {
		return arg, nil
	}
	return "", fmt.Errorf("%q is neither an account name the config or recent runs know nor an IG user id", arg)
}

type stateRow struct {
	AccountID   string           `json:"account_id"`
	Name        string           `json:"name,omitempty"`
	Generation  int64            `json:"generation"`
	RunID       string           `json:"run_id"`
	CommittedAt time.Time        `json:"committed_at"`
	Lease       *sinks.LeaseInfo `json:"lease,omitempty"`
	LeaseLive   bool             `json:"lease_live,omitempty"`
}

func stateList(ctx context.Context, e env, asJSON bool, st *sinks.Store, names map[string]string, red *redactor) int {
	ids, err := st.ListAccounts(ctx)
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport state list: %s\n", red.clean(err.Error()))
		return exitError
	}
	rows := []stateRow{}
	for _, id := range ids {
		s, err := st.LoadState(ctx, id)
		if err != nil {
			fmt.Fprintf(e.Stderr, "igexport state list: %s\n", red.clean(err.Error()))
			return exitError
		}
		r := stateRow{AccountID: id, Name: names[id], Generation: s.Generation, RunID: s.RunID, CommittedAt: s.CommittedAt}
		if li, err := st.ReadLease(ctx, id); err == nil && li != nil {
			r.Lease, r.LeaseLive = li, !li.Expired(time.Now())
		}
		rows = append(rows, r)
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
			r.CommittedAt.UTC().Format(time.RFC3339), leaseText(r.Lease, time.Now()))
	}
	tw.Flush()
	return exitOK
}

// showFiles is how many files per stream `state show` lists.
const showFiles = 5

func stateShow(ctx context.Context, e env, asJSON bool, st *sinks.Store, names map[string]string, arg string, red *redactor) int {
	id, err := resolveAccount(arg, names)
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport state show: %v\n", err)
		return exitUsage
	}
	s, err := st.LoadState(ctx, id)
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport state show: %s\n", red.clean(err.Error()))
		return exitError
	}
	if s == nil {
		fmt.Fprintf(e.Stderr, "igexport state show: account %s has no state in %s (never exported, or another state location)\n", id, st)
		return exitError
	}
	li, lerr := st.ReadLease(ctx, id)
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
		fmt.Fprintf(w, "  lease: %s\n", leaseText(li, time.Now()))
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

func stateUnlock(ctx context.Context, e env, asJSON bool, st *sinks.Store, names map[string]string, arg string, red *redactor) int {
	id, err := resolveAccount(arg, names)
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport state unlock: %v\n", err)
		return exitUsage
	}
	li, _ := st.ReadLease(ctx, id) // an unreadable lock.json is deleted all the same
	if err := st.Unlock(ctx, id); err != nil {
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
	if li == nil {
		fmt.Fprintf(e.Stdout, "Account %s had no lease: nothing to unlock.\n", id)
		return exitOK
	}
	fmt.Fprintf(e.Stdout, "Unlocked account %s: removed the lease of run %s on host %s (%s).\n", id, li.RunID, li.Host,
		leaseText(li, time.Now()))
	if !li.Expired(time.Now()) {
		fmt.Fprintln(e.Stdout, "That lease was live: if its run is still going, its state commit still fails safely (generations are create-only), but stop it first if you can.")
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
