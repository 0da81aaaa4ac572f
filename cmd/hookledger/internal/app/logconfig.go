package app

import (
	"io"
	"log/slog"
)

// LogConfig is how a command logs.
type LogConfig struct {
	JSON  bool
	Level slog.Level
	Set   bool // the level was chosen (flag or environment), not the command's default
}

// LogHandler is the handler of lc writing to w.
func LogHandler(w io.Writer, lc LogConfig) slog.Handler {
	opts := &slog.HandlerOptions{Level: lc.Level}
	if lc.JSON {
		return slog.NewJSONHandler(w, opts)
	}
	return slog.NewTextHandler(w, opts)
}

// NewLogger returns a command's logger on env.Stderr, as lc says,
// redacted of the environment's secrets.
func NewLogger(env *Env, lc LogConfig) *slog.Logger {
	return slog.New(env.Redact.Handler(LogHandler(env.Stderr, lc)))
}
