package demo

import (
	"context"
	"io"
	"log/slog"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// newDemoLogger returns the demo's logger on w, in lc's format. With
// verbose, every record at info and above goes through. Otherwise only
// warnings and errors do, less the ones the story retells from the ledger:
// each retry the outage causes, and the alerts the log transport "posts".
// A level lc sets (--log-level) replaces either default.
func newDemoLogger(w io.Writer, verbose bool, lc app.LogConfig) *slog.Logger {
	if !lc.Set {
		lc.Level = slog.LevelWarn
		if verbose {
			lc.Level = slog.LevelInfo
		}
	}
	if verbose {
		return slog.New(app.LogHandler(w, lc))
	}
	return slog.New(demoLogFilter{Handler: app.LogHandler(w, lc)})
}

// demoRetold are the records, by component and message, that the story prints
// itself.
var demoRetold = map[string]string{
	"alerts":    "alert",
	"processor": "attempt failed, will retry",
}

// demoLogFilter drops the records in retold; everything else passes.
type demoLogFilter struct {
	slog.Handler
	component string // the component attribute the logger was made with
}

// Handle drops a retold record and passes everything else on.
func (h demoLogFilter) Handle(ctx context.Context, r slog.Record) error {
	if msg, ok := demoRetold[h.component]; ok && r.Message == msg {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs notes the component the new logger belongs to.
func (h demoLogFilter) WithAttrs(attrs []slog.Attr) slog.Handler {
	component := h.component
	for _, a := range attrs {
		if a.Key == "component" {
			component = a.Value.String()
		}
	}
	return demoLogFilter{Handler: h.Handler.WithAttrs(attrs), component: component}
}

// WithGroup keeps the component.
func (h demoLogFilter) WithGroup(name string) slog.Handler {
	return demoLogFilter{Handler: h.Handler.WithGroup(name), component: h.component}
}

var _ slog.Handler = demoLogFilter{}
