package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/net/netutil"
)

// shutdownTimeout bounds how long serve waits for in-flight requests and
// processing to finish after SIGINT/SIGTERM.
const shutdownTimeout = 30 * time.Second

// runServe is `hookledger serve`: the receiver, the processor and the
// scheduled jobs in one process until ctx ends.
func runServe(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "serve", "serve [--addr HOST:PORT] [--db PATH] [--no-schedule] [--ledger-only] [--log-format text|json] [--log-level L]",
		"STRIPE_WEBHOOK_SECRET=whsec_… hookledger serve --addr 127.0.0.1:8080")
	addr := fs.String("addr", "", "listen address (default $HOOKLEDGER_ADDR or 127.0.0.1:8080)")
	dbPath := fs.String("db", "", dbFlagUsage)
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
	cfg, err := loadConfigDB(env, *dbPath)
	if err != nil {
		return err
	}
	if *addr != "" {
		if err := checkAddr(*addr); err != nil {
			return usageError("--addr: " + err.Error())
		}
		cfg.Addr = *addr
	}
	if *noSchedule {
		cfg.Schedule = "off"
	}
	if !cfg.anyWebhookSecret() {
		return usageError("serve: no webhook source configured: set a webhook secret (STRIPE_WEBHOOK_SECRET, GITHUB_WEBHOOK_SECRET, " +
			"PADDLE_WEBHOOK_SECRET, SLACK_SIGNING_SECRET, ZOOM_WEBHOOK_SECRET_TOKEN, SHOPIFY_WEBHOOK_SECRET or HOOKLEDGER_STANDARD_SOURCES)")
	}
	if err := checkAdmin(cfg); err != nil {
		return err
	}
	a, err := newApp(ctx, env, cfg, newLogger(env, lc), nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.settle(ctx, "serve", *ledgerOnly); err != nil {
		return err
	}
	return a.serve(ctx, env)
}

// serve runs the receiver, the processor and the scheduled jobs until ctx
// ends, then shuts them down in order: stop accepting, finish in-flight
// commits and attempts, stop the jobs, close the ledger.
func (a *app) serve(ctx context.Context, env *Env) error {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	// A stranger's idle connections must not exhaust file descriptors or
	// memory: past the cap, new ones wait in the kernel's accept queue.
	ln = netutil.LimitListener(ln, max(a.cfg.Receiver.MaxConns, 1))
	srv := newHTTPServer(a.handler(), a.log)
	a.log.Info("hookledger serving", "addr", ln.Addr().String(), "db", a.cfg.DB,
		"sources", names(a.provs.Webhook), "reconcile_sources", names(a.provs.Reconcile))

	// Background work outlives ctx by design: it is stopped in order below.
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRun()
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("serve http: %w", err)
		}
	})
	if a.proc != nil {
		wg.Go(func() {
			if err := a.proc.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("run processor: %w", err)
			}
		})
	}
	stopJobs, err := a.startJobs(runCtx)
	if err != nil {
		srv.Close()
		stopRun()
		wg.Wait()
		return err
	}
	stopAdmin := func(context.Context) {}
	if a.cfg.AdminAddr != "" {
		if _, stopAdmin, err = a.startAdmin(env); err != nil {
			srv.Close()
			stopJobs(context.Background())
			stopRun()
			wg.Wait()
			return err
		}
	}
	if env.Ready != nil {
		env.Ready(ln.Addr().String())
	}

	var runErr error
	select {
	case <-ctx.Done():
		a.log.Info("shutting down", "timeout", shutdownTimeout.String())
	case runErr = <-errc:
		a.log.Error("shutting down after error", "error", runErr)
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	// Stop accepting first: every request already in flight finishes its
	// commit and gets its answer.
	if err := srv.Shutdown(shutCtx); err != nil {
		a.log.Warn("shut down http server", "error", err)
	}
	stopAdmin(shutCtx)
	stopJobs(shutCtx)
	stopRun()
	wg.Wait()
	if err := a.Close(); err != nil {
		return err
	}
	a.log.Info("stopped")
	return runErr
}

// newHTTPServer returns a server whose timeouts keep a slow client from
// pinning a connection.
func newHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.With("component", "http").Handler(), slog.LevelWarn),
	}
}
