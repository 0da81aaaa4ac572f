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

	"github.com/prometheus/client_golang/prometheus"

	"hookledger/ledger"
	"hookledger/ledger/metrics"
	"hookledger/sources"
)

// shutdownTimeout bounds how long serve waits for in-flight requests and
// processing to finish after SIGINT/SIGTERM.
const shutdownTimeout = 30 * time.Second

func runServe(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "serve", "serve [--addr HOST:PORT] [--db PATH] [--no-schedule]",
		"STRIPE_WEBHOOK_SECRET=whsec_… hookledger serve --addr 127.0.0.1:8080")
	addr := fs.String("addr", "", "listen address (default $HOOKLEDGER_ADDR or 127.0.0.1:8080)")
	dbPath := fs.String("db", "", "ledger path (default $HOOKLEDGER_DB or hookledger.db)")
	noSchedule := fs.Bool("no-schedule", false, "do not run the scheduled jobs (reconcile, alerts)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(env.Getenv)
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Addr = *addr
	}
	if *dbPath != "" {
		cfg.DB = *dbPath
	}
	if *noSchedule {
		cfg.Schedule = "off"
	}
	logger := newLogger(env)
	return serve(ctx, env, cfg, logger)
}

// serve runs the receiver, the processor and the scheduled jobs until ctx
// ends, then shuts them down in order: stop accepting, finish in-flight
// commits and attempts, close the ledger.
func serve(ctx context.Context, env *Env, cfg Config, logger *slog.Logger) error {
	provs, err := buildProviders(cfg, logger, nil)
	if err != nil {
		return err
	}
	if len(provs.Webhook) == 0 {
		return usageError("serve: no webhook source configured: set STRIPE_WEBHOOK_SECRET and/or GITHUB_WEBHOOK_SECRET")
	}
	db, err := ledger.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer db.Close()

	reg := prometheus.NewRegistry()
	m := metrics.New(reg, db)
	handler, desc, err := newHandler(cfg, logger)
	if err != nil {
		return err
	}
	var proc *ledger.Processor
	if handler == nil {
		db.SetLedgerOnly(true)
		logger.Warn("no handler configured: ledger-only mode, events are stored and marked processed on record",
			"hint", "set HOOKLEDGER_FORWARD_URL or HOOKLEDGER_EXEC to process events")
	} else {
		pcfg := processorConfig(cfg)
		pcfg.Logger, pcfg.Observer = logger, m
		if proc, err = ledger.NewProcessor(db, handler, pcfg); err != nil {
			return err
		}
		logger.Info("processor on", "handler", desc, "workers", pcfg.Workers, "max_attempts", cfg.MaxAttempts)
	}

	rv := sources.NewReceiver(db, provs.Webhook, sources.ReceiverOptions{Logger: logger, Observer: m})
	mux := http.NewServeMux()
	mux.Handle("/", rv)
	mux.Handle("GET /metrics", m.Handler())
	srv := newHTTPServer(mux, logger)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	logger.Info("hookledger serving", "addr", ln.Addr().String(), "db", cfg.DB,
		"sources", names(provs.Webhook), "reconcile_sources", names(provs.Reconcile))
	if env.Ready != nil {
		env.Ready(ln.Addr().String())
	}

	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRun()
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("serve http: %w", err)
		}
	})
	if proc != nil {
		wg.Go(func() {
			if err := proc.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("processor: %w", err)
			}
		})
	}
	stopJobs, err := startJobs(runCtx, cfg, db, provs, proc, logger)
	if err != nil {
		srv.Close()
		return err
	}

	var runErr error
	select {
	case <-ctx.Done():
		logger.Info("shutting down", "timeout", shutdownTimeout.String())
	case runErr = <-errc:
		logger.Error("shutting down after error", "error", runErr)
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	// Stop accepting first: every request already in flight finishes its
	// commit and gets its answer.
	if err := srv.Shutdown(shutCtx); err != nil {
		logger.Warn("http shutdown", "error", err)
	}
	stopJobs(shutCtx)
	stopRun()
	wg.Wait()
	if err := db.Close(); err != nil {
		return fmt.Errorf("close ledger: %w", err)
	}
	logger.Info("stopped")
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
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.With("component", "http").Handler(), slog.LevelWarn),
	}
}

// newLogger returns the text logger on env.Stderr that serve and demo use.
func newLogger(env *Env) *slog.Logger {
	return slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
