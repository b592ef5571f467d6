package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/igexport/igexport/export"
)

func cmdValidate(_ context.Context, args []string, e env) int {
	var c common
	fs := newFlagSet("validate", e.Stderr)
	c.configFlags(fs)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	cfg := c.load(e)
	if cfg == nil {
		return exitUsage
	}
	fmt.Fprintf(e.Stdout, "%s is valid: %d account(s), %d discover block(s), streams %v\n",
		c.config, len(cfg.Accounts), len(cfg.Discover), cfg.Streams)
	return exitOK
}

func cmdApply(ctx context.Context, args []string, e env) int {
	var c common
	fs := newFlagSet("apply", e.Stderr)
	c.runFlags(fs)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(e.Stderr, "igexport apply: at most one PLAN file, got %v\n", fs.Args())
		return exitUsage
	}
	o, err := c.exportOptions()
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport apply: %v\n", err)
		return exitUsage
	}
	cfg := c.load(e)
	if cfg == nil {
		return exitUsage
	}
	log, err := c.logger(e, cfg.Secrets())
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport apply: %v\n", err)
		return exitUsage
	}
	o.Logger = log
	o.Progress = newProgress(e, log)
	sum, err := export.Apply(ctx, cfg, o)
	if err != nil {
		log.Error("apply failed", "err", err)
		return exitError
	}
	if c.json {
		enc := json.NewEncoder(e.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return exitError
		}
	} else {
		writeSummary(e.Stdout, sum)
	}
	return sum.ExitCode
}
