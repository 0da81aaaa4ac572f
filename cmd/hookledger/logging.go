package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// logFlags are --log-format and --log-level, which every command that
// logs (serve, cron, demo, process, reconcile, alerts flush) takes; the
// environment's HOOKLEDGER_LOG_FORMAT and HOOKLEDGER_LOG_LEVEL are their
// defaults.
type logFlags struct{ format, level string }

// addLogFlags adds the log flags to fs; def names the command's own
// default level in the usage text.
func addLogFlags(fs *flagSet, def slog.Level) *logFlags {
	f := &logFlags{}
	fs.StringVar(&f.format, "log-format", "", "log format on stderr: text or json (default $HOOKLEDGER_LOG_FORMAT or text)")
	fs.StringVar(&f.level, "log-level", "", "lowest level logged: debug, info, warn or error (default $HOOKLEDGER_LOG_LEVEL or "+
		strings.ToLower(def.String())+")")
	return f
}

// config returns the logging f and env ask for, def the level when
// neither names one. A bad value is a usage error naming the flag or the
// variable it came from.
func (f *logFlags) config(env *app.Env, def slog.Level) (app.LogConfig, error) {
	lc := app.LogConfig{Level: def}
	format, from := pick(f.format, "--log-format", env.Getenv("HOOKLEDGER_LOG_FORMAT"), "HOOKLEDGER_LOG_FORMAT")
	switch strings.ToLower(format) {
	case "", "text":
	case "json":
		lc.JSON = true
	default:
		return lc, app.UsageError(fmt.Sprintf("%s: want text or json", from))
	}
	level, from := pick(f.level, "--log-level", env.Getenv("HOOKLEDGER_LOG_LEVEL"), "HOOKLEDGER_LOG_LEVEL")
	if level == "" {
		return lc, nil
	}
	l, ok := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn,
		"warning": slog.LevelWarn, "error": slog.LevelError}[strings.ToLower(level)]
	if !ok {
		return lc, app.UsageError(fmt.Sprintf("%s: want debug, info, warn or error", from))
	}
	lc.Level, lc.Set = l, true
	return lc, nil
}

// pick returns the flag's value and name when it is set, else the
// variable's.
func pick(flagValue, flagName, envValue, envName string) (string, string) {
	if flagValue != "" {
		return flagValue, flagName
	}
	return envValue, envName
}
