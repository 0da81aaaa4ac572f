package main

import (
	"context"
	"log/slog"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// runServe is `hookledger serve`: the receiver, the processor and the
// scheduled jobs in one process until ctx ends.
func runServe(ctx context.Context, env *app.Env, args []string) error {
	fs := newFlagSet(env, "serve", "serve [--addr HOST:PORT] [--db PATH] [--no-schedule] [--ledger-only] [--log-format text|json] [--log-level L]",
		"STRIPE_WEBHOOK_SECRET=whsec_… hookledger serve --addr 127.0.0.1:8080")
	addr := fs.String("addr", "", "listen address (default $HOOKLEDGER_ADDR or 127.0.0.1:8080)")
	dbPath := fs.String("db", "", app.DBFlagUsage)
	noSchedule := fs.Bool("no-schedule", false, "do not run the scheduled jobs (reconcile, alerts)")
	logf := addLogFlags(fs, slog.LevelInfo)
	ledgerOnly := fs.Bool("ledger-only", false, "on a new ledger with no handler: make it ledger-only\n(events recorded, never delivered; recorded in the ledger)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	lc, err := logf.config(env, slog.LevelInfo)
	if err != nil {
		return err
	}
	cfg, err := app.LoadConfigDB(env, *dbPath)
	if err != nil {
		return err
	}
	if *addr != "" {
		if err := app.CheckAddr(*addr); err != nil {
			return app.UsageError("--addr: " + err.Error())
		}
		cfg.Addr = *addr
	}
	if *noSchedule {
		cfg.Schedule = "off"
	}
	if !cfg.AnyWebhookSecret() {
		return app.UsageError("serve: no webhook source configured: set a webhook secret (STRIPE_WEBHOOK_SECRET, GITHUB_WEBHOOK_SECRET, " +
			"PADDLE_WEBHOOK_SECRET, SLACK_SIGNING_SECRET, ZOOM_WEBHOOK_SECRET_TOKEN, SHOPIFY_WEBHOOK_SECRET or HOOKLEDGER_STANDARD_SOURCES)")
	}
	if err := app.CheckAdmin(cfg); err != nil {
		return err
	}
	a, err := app.New(ctx, env, cfg, app.NewLogger(env, lc), nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Settle(ctx, "serve", *ledgerOnly); err != nil {
		return err
	}
	return a.Serve(ctx, env)
}
