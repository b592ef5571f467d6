package main

import (
	"context"
	"fmt"
)

func cmdPlan(_ context.Context, _ []string, e env) int {
	fmt.Fprintln(e.Stderr, "igexport plan: not built yet (issue #6)")
	return exitError
}

func cmdState(_ context.Context, _ []string, e env) int {
	fmt.Fprintln(e.Stderr, "igexport state: not built yet (issue #6)")
	return exitError
}

func cmdFmt(_ context.Context, _ []string, e env) int {
	fmt.Fprintln(e.Stderr, "igexport fmt: not built yet (issue #6)")
	return exitError
}

func cmdDDL(_ context.Context, _ []string, e env) int {
	fmt.Fprintln(e.Stderr, "igexport ddl: not built yet (issue #5)")
	return exitError
}
