package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/cmd/hookledger/internal/demo"
)

// runDemo is `hookledger demo`: the whole pipeline offline against the
// built-in fakes, checked at the end.
func runDemo(ctx context.Context, env *app.Env, args []string) error {
	opts, err := parseDemoFlags(env, args)
	if err != nil {
		return err
	}
	return demo.Run(ctx, env, opts)
}

// parseDemoFlags parses demo's flags; a --db that exists is a usage error.
func parseDemoFlags(env *app.Env, args []string) (demo.Options, error) {
	fs := newFlagSet(env, "demo", "demo [--seed N] [--db PATH] [--verbose] [--stay] [--log-format text|json] [--log-level L]",
		"hookledger demo --seed 7 --db demo.db")
	var o demo.Options
	fs.Uint64Var(&o.Seed, "seed", 1, "seed for event ids and for which events are dropped, duplicated and reordered")
	fs.StringVar(&o.DB, "db", "", "keep the ledger at this path (a new file); default a temporary one removed at exit")
	fs.BoolVar(&o.Verbose, "verbose", false, "log what every component does on stderr")
	logf := addLogFlags(fs, slog.LevelWarn)
	fs.BoolVar(&o.Stay, "stay", false, "after the story, keep the status page (and the fakes) up until interrupted")
	if err := parseNoArgs(fs, args); err != nil {
		return o, err
	}
	var err error
	if o.Log, err = logf.config(env, slog.LevelWarn); err != nil {
		return o, err
	}
	if o.DB != "" {
		if _, err := os.Stat(o.DB); err == nil {
			return o, app.UsageError(fmt.Sprintf("demo: %s exists; the demo needs a new ledger: remove it or pick another path", o.DB))
		}
		o.Keep = true
	}
	return o, nil
}
