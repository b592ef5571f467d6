package main

import (
	"context"
	"log/slog"
	"sort"
	"strings"

	"github.com/igexport/igexport/internal/graph"
)

// redactHandler removes secrets (tokens, app secrets, sensitive variables)
// and token-bearing URL parameters from every log record: the last line of
// defence behind the graph package's own redaction.
type redactHandler struct {
	next    slog.Handler
	secrets []string
}

func newRedactHandler(next slog.Handler, secrets []string) *redactHandler {
	var s []string
	for _, v := range secrets {
		if len(v) >= 4 { // a 1–3 character "secret" would redact half the log
			s = append(s, v)
		}
	}
	sort.Slice(s, func(i, j int) bool { return len(s[i]) > len(s[j]) })
	return &redactHandler{next: next, secrets: s}
}

func (h *redactHandler) clean(v string) string {
	for _, s := range h.secrets {
		v = strings.ReplaceAll(v, s, "[REDACTED]")
	}
	return graph.Redact(v)
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.clean(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.clean(v.String()))
	case slog.KindGroup:
		var as []any
		for _, g := range v.Group() {
			as = append(as, h.attr(g))
		}
		return slog.Group(a.Key, as...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, h.clean(err.Error()))
		}
		return slog.String(a.Key, h.clean(v.String()))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

func (h *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = h.attr(a)
	}
	return &redactHandler{next: h.next.WithAttrs(clean), secrets: h.secrets}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{next: h.next.WithGroup(name), secrets: h.secrets}
}

// redactor removes secrets from text printed outside the logger (summaries,
// errors, JSON): the same last line of defence as redactHandler.
type redactor struct{ h *redactHandler }

func newRedactor(secrets []string) *redactor {
	return &redactor{h: newRedactHandler(nil, secrets)}
}

func (r *redactor) clean(s string) string {
	if r == nil {
		return graph.Redact(s)
	}
	return r.h.clean(s)
}
