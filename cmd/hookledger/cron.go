package main

import (
	"context"
	"log/slog"
	"strings"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// runCron is `hookledger cron`: the scheduled jobs (reconcile, deep,
// alerts) and alert delivery, without the receiver or the processor, for a
// deployment where those run in another process on the same ledger.
func runCron(ctx context.Context, env *app.Env, args []string) error {
	fs := newFlagSet(env, "cron", "cron [--db PATH] [--schedule 'name=spec;…'] [--log-format text|json] [--log-level L]",
		"HOOKLEDGER_SCHEDULE='reconcile=@every 15m;deep=@daily;alerts=@every 1m;prune=@hourly' hookledger cron")
	dbPath := fs.String("db", "", app.DBFlagUsage)
	schedule := fs.String("schedule", "", "jobs to run, name=spec pairs split by ; (default $HOOKLEDGER_SCHEDULE or the built-in schedule)")
	logf := addLogFlags(fs, slog.LevelInfo)
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
	if *schedule != "" {
		if _, err := app.ScheduleJobs(*schedule); err != nil {
			return app.UsageError("--schedule: " + err.Error())
		}
		cfg.Schedule = *schedule
	}
	if strings.TrimSpace(cfg.Schedule) == "off" {
		return app.UsageError("cron: the schedule is off; nothing to run")
	}
	a, err := app.New(ctx, env, cfg, app.NewLogger(env, lc), nil)
	if err != nil {
		return err
	}
	defer a.Close()
	// Jobs outlive ctx so that a stop waits for them under a deadline.
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRun()
	stopJobs, err := a.StartJobs(runCtx)
	if err != nil {
		return err
	}
	a.Log.Info("hookledger cron running", "db", cfg.DB, "reconcile_sources", app.Names(a.Provs.Reconcile))
	a.LogMode()
	if env.Ready != nil {
		env.Ready("")
	}
	<-ctx.Done()
	a.Log.Info("shutting down", "timeout", app.ShutdownTimeout.String())
	shutCtx, cancel := context.WithTimeout(context.Background(), app.ShutdownTimeout)
	defer cancel()
	stopJobs(shutCtx)
	stopRun()
	if err := a.Close(); err != nil {
		return err
	}
	a.Log.Info("stopped")
	return nil
}
