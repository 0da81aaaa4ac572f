package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
)

// runProcess is `hookledger process`: one drain of the queue through the
// configured handler, for a deployment that processes from cron.
func runProcess(ctx context.Context, env *app.Env, args []string) error {
	fs := newFlagSet(env, "process", "process [--db PATH] [--workers N] [--log-format text|json] [--log-level L]",
		"HOOKLEDGER_FORWARD_URL=http://127.0.0.1:9000/hooks hookledger process")
	dbPath := fs.String("db", "", app.DBFlagUsage)
	workers := fs.Int("workers", 0, "concurrent handler calls (default $HOOKLEDGER_WORKERS or 8)")
	logf := addLogFlags(fs, slog.LevelInfo)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	lc, err := logf.config(env, slog.LevelInfo)
	if err != nil {
		return err
	}
	if *workers < 0 {
		return app.UsageError("--workers: want a positive number")
	}
	cfg, err := app.LoadConfigDB(env, *dbPath)
	if err != nil {
		return err
	}
	h, desc, err := app.NewHandler(cfg)
	if err != nil {
		return err
	}
	if h == nil {
		return processWithoutHandler(ctx, env, cfg.DB)
	}
	db, err := app.OpenWritable(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	mode, err := app.SettleMode(ctx, db, "process", true, false)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stderr, app.ModeLine(app.LedgerName(db), mode))
	pcfg := app.ProcessorConfig(cfg)
	if *workers > 0 {
		pcfg.Workers = *workers
	}
	pcfg.Logger = app.NewLogger(env, lc)
	p, err := ledger.NewProcessor(db, h, pcfg)
	if err != nil {
		return err
	}
	start := time.Now()
	stats, err := p.Drain(ctx)
	fmt.Fprintf(env.Stdout, "processed %d, retry scheduled %d, dead %d, released %d in %s via %s\n",
		stats.Processed, stats.Retried, stats.Dead, stats.Released, time.Since(start).Round(time.Millisecond), desc)
	if err != nil {
		return fmt.Errorf("drain queue: %w", err)
	}
	return nil
}

// processWithoutHandler is `process` with no handler configured: nothing
// to do on a ledger-only ledger, else a usage error. It only reads the
// ledger at path, and never creates one.
func processWithoutHandler(ctx context.Context, env *app.Env, path string) error {
	db, err := app.OpenReadOnly(ctx, env, path)
	if err != nil {
		return err
	}
	defer db.Close()
	mode, err := db.Mode(ctx)
	if err != nil {
		return err
	}
	if mode != ledger.ModeLedgerOnly {
		return app.UsageError(fmt.Sprintf("%s; ledger %s is not ledger-only, so its events wait for a handler", app.ErrNoHandler, app.LedgerName(db)))
	}
	fmt.Fprintln(env.Stderr, app.ModeLine(app.LedgerName(db), mode))
	fmt.Fprintln(env.Stdout, "ledger-only: nothing to deliver")
	return nil
}
