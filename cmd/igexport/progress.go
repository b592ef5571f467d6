package main

import (
	"log/slog"

	"github.com/igexport/igexport/export"
)

// logProgress reports each account/stream step as one plain log line: what
// CI logs need (no redraw frames).
type logProgress struct{ log *slog.Logger }

func newProgress(_ env, log *slog.Logger) export.Progress { return logProgress{log} }

func (p logProgress) AccountStarted(a string) { p.log.Info("account started", "account", a) }
func (p logProgress) StreamStarted(a, s string) {
	p.log.Debug("stream started", "account", a, "stream", s)
}
func (p logProgress) StreamProgress(a, s string, n int64) {}
func (p logProgress) StreamFinished(a, s string, r export.StreamResult) {
	p.log.Info("stream finished", "account", a, "stream", s, "status", string(r.Status), "rows", r.Counters.Rows,
		"files", r.Counters.Files, "calls", r.Counters.Calls)
}
func (p logProgress) AccountFinished(a string, r export.AccountResult) {
	p.log.Info("account finished", "account", a, "status", string(r.Status), "rows", r.Counters.Rows)
}
