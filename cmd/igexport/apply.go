package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/igexport/igexport/export"
	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/internal/userfile"
)

func cmdValidate(_ context.Context, args []string, e env) int {
	var c common
	fs := newFlagSet("validate", "validate [-config FILE] [-var NAME=VALUE] [-var-file FILE] [-json]", e.Stderr)
	c.configFlags(fs)
	fs.BoolVar(&c.json, "json", false, "print the diagnostics as JSON on stdout")
	if !c.parse(fs, args) {
		return c.failed()
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.Stderr, "igexport validate: unexpected arguments %v (the config is -config FILE)\n", fs.Args())
		return exitUsage
	}
	lo, err := c.loadOptions(e)
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport validate: %v\n", err)
		return exitUsage
	}
	cfg, diags := hcl.Load(c.config, lo)
	if c.json {
		out := struct {
			Valid       bool             `json:"valid"`
			Config      string           `json:"config"`
			Diagnostics []hcl.Diagnostic `json:"diagnostics"`
		}{!diags.HasErrors(), c.config, diags.List()}
		writeJSON(e, out, nil)
	} else if diags.Len() > 0 {
		_ = diags.Write(e.Stderr, false)
	}
	if diags.HasErrors() {
		return exitUsage
	}
	if !c.json {
		fmt.Fprintf(e.Stdout, "%s is valid: %s, %s, streams %s\n", c.config, plural(len(cfg.Accounts), "account"),
			plural(len(cfg.Discover), "discover block"), joinComma(cfg.Streams))
	}
	return exitOK
}

func cmdApply(ctx context.Context, args []string, e env) int {
	var c common
	fs := newFlagSet("apply", "apply [flags] [PLAN]", e.Stderr)
	c.runFlags(fs)
	pos, ok := parseInterspersed(&c, fs, args)
	if !ok {
		return c.failed()
	}
	if len(pos) > 1 {
		fmt.Fprintf(e.Stderr, "igexport apply: at most one PLAN file, got %v\n", pos)
		return exitUsage
	}
	if err := c.checkLogFlags(); err != nil {
		fmt.Fprintf(e.Stderr, "igexport apply: %v\n", err)
		return exitUsage
	}

	var plan *export.Plan
	if len(pos) == 1 {
		for _, f := range selectionFlags {
			if c.set[f] {
				fmt.Fprintf(e.Stderr, "igexport apply: -%s cannot be used with a saved plan: the plan fixes the selection (run plan again instead)\n", f)
				return exitUsage
			}
		}
		var err error
		if plan, err = readPlan(pos[0]); err != nil {
			fmt.Fprintf(e.Stderr, "igexport apply: %v\n", err)
			return exitUsage
		}
		if !c.set["config"] {
			c.config = plan.Config
		}
	}
	o, err := c.exportOptions()
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport apply: %v\n", err)
		return exitUsage
	}
	cfg := c.load(e, false)
	if cfg == nil {
		return exitUsage
	}
	// With a plan the flags select nothing but -concurrency; the plan's
	// selection gets the same checks as flags.
	if !checkSelection(e, "apply", cfg, o.Selection(), "") || plan != nil && !checkSelection(e, "apply", cfg, plan.Selection, pos[0]) {
		return exitUsage
	}
	red := newRedactor(cfg.Secrets())
	if plan != nil {
		if err := plan.Check(ctx, cfg, e.now()); err != nil {
			if errors.Is(err, export.ErrStalePlan) {
				fmt.Fprintf(e.Stderr, "igexport apply: refusing %s: %s\n", pos[0], red.clean(err.Error()))
				return exitError
			}
			return failed(e, "apply", err, red)
		}
		concurrency := o.Concurrency
		o = plan.Options()
		o.Version = versionString()
		if c.set["concurrency"] {
			o.Concurrency = concurrency
		}
	}

	if err := checkTokens(cfg, o); err != nil {
		fmt.Fprintf(e.Stderr, "igexport apply: %v\n", err)
		return exitUsage
	}

	if e.SetConcurrency != nil {
		e.SetConcurrency(export.ResolveJob(cfg, o).Concurrency)
	}
	live := isTerminal(e)
	ui := newProgress(e, live, countStreams(cfg, o.Streams))
	defaultLevel := slog.LevelInfo
	if live {
		defaultLevel = slog.LevelWarn // the display shows the steps
	}
	log, err := c.logger(ui.LogWriter(), cfg.Secrets(), defaultLevel)
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport apply: %v\n", err)
		return exitUsage
	}
	ui.Start(log)
	o.Logger = log
	o.Progress = ui
	o.Now = e.Now
	sum, err := export.Apply(ctx, cfg, o)
	ui.Close()
	if err != nil {
		return failed(e, "apply", err, red)
	}
	if c.json {
		writeJSON(e, sum, red)
	} else {
		var b bytes.Buffer
		writeSummary(&b, sum)
		_, _ = e.Stdout.Write([]byte(red.clean(b.String())))
	}
	if ie := (*export.InterruptError)(nil); sum.Status == export.StatusInterrupted && errors.As(context.Cause(ctx), &ie) {
		fmt.Fprintf(e.Stderr, "igexport apply: %s: what finished is committed; run apply again to do the rest\n", ie.Error())
	}
	return sum.ExitCode
}

// countStreams is how many streams a run covers per account.
func countStreams(cfg *hcl.Config, only []string) int {
	if len(only) == 0 {
		return len(cfg.Streams)
	}
	n := 0
	for _, s := range cfg.Streams {
		if slices.Contains(only, s) {
			n++
		}
	}
	return n
}

// maxPlanSize bounds a saved plan (one with thousands of accounts is a few MB).
const maxPlanSize = 64 << 20

func readPlan(path string) (*export.Plan, error) {
	b, err := userfile.Read(path, maxPlanSize)
	if err != nil {
		return nil, fmt.Errorf("reading the plan: %w", err)
	}
	var p export.Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s is not a saved plan: %v", path, err)
	}
	if p.Format != export.PlanFormat {
		return nil, fmt.Errorf("%s is not a saved plan (format %q, want %q): make one with `igexport plan -out %s`",
			path, p.Format, export.PlanFormat, path)
	}
	return &p, nil
}

// writeJSON prints v as indented JSON on stdout, secrets redacted.
func writeJSON(e env, v any, red *redactor) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport: encoding JSON: %v\n", err)
		return
	}
	out := string(b) + "\n"
	if red != nil {
		out = red.clean(out)
	}
	_, _ = e.Stdout.Write([]byte(out))
}

func plural(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func joinComma(ss []string) string {
	var b bytes.Buffer
	for i, s := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s)
	}
	return b.String()
}
