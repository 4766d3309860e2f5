// Package logging gives kassa structured JSON logs that carry the request's
// id and merchant wherever a log line is written from, without passing a
// logger around: attributes travel in the context, and the handler adds
// them to every record logged with that context.
//
// Never log a card number, CVC, password, API key, session token or
// signing secret: log ids and last fours.
package logging

import (
	"context"
	"io"
	"log/slog"
	"strings"
)

type attrsKey struct{}

// With returns ctx carrying attrs in addition to those it carries already.
func With(ctx context.Context, attrs ...slog.Attr) context.Context {
	prev, _ := ctx.Value(attrsKey{}).([]slog.Attr)
	next := make([]slog.Attr, 0, len(prev)+len(attrs))
	next = append(next, prev...)
	next = append(next, attrs...)
	return context.WithValue(ctx, attrsKey{}, next)
}

type handler struct{ slog.Handler }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	if attrs, ok := ctx.Value(attrsKey{}).([]slog.Attr); ok {
		r.AddAttrs(attrs...)
	}
	return h.Handler.Handle(ctx, r)
}

func (h handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return handler{h.Handler.WithAttrs(attrs)}
}

func (h handler) WithGroup(name string) slog.Handler { return handler{h.Handler.WithGroup(name)} }

// New returns a JSON logger writing to w at level ("debug", "info", "warn",
// "error"; default info).
func New(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	}
	return slog.New(handler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})})
}
