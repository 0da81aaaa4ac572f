package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookledger/hookledger/alerts"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/metrics"
	"github.com/hookledger/hookledger/reconcile"
	"github.com/hookledger/hookledger/sources"
)

// app is hookledger wired together from a Config: the ledger, the
// providers, the processor, the alerter and the metrics. serve, cron and
// demo all run this one wiring.
type app struct {
	cfg     Config
	log     *slog.Logger
	db      *ledger.DB
	provs   providers
	metrics *metrics.Metrics
	proc    *ledger.Processor // nil in ledger-only mode
	alerter *alerts.Alerter

	warnedVacuum atomic.Bool // the prune job said once that the file keeps freed pages
}

// newApp opens the ledger and builds every component the configuration
// turns on. client, when not nil, is the HTTP client for provider APIs.
// The caller closes the app.
func newApp(ctx context.Context, env *Env, cfg Config, logger *slog.Logger, client *http.Client) (*app, error) {
	logger = redactedLogger(env, cfg, logger)
	provs, err := buildProviders(cfg, logger, client)
	if err != nil {
		return nil, err
	}
	return openApp(ctx, env, cfg, logger, provs)
}

// redactedLogger returns logger with every secret of cfg and env redacted
// from its records.
func redactedLogger(env *Env, cfg Config, logger *slog.Logger) *slog.Logger {
	return slog.New(appRedactor(env, cfg).Handler(logger.Handler()))
}

// openApp is newApp with the providers already built, for a command that
// checks its flags against them before it touches the ledger. logger must
// be redacted (redactedLogger). Every error text the ledger stores and
// every alert passes through the one redaction of the configured secrets.
func openApp(ctx context.Context, env *Env, cfg Config, logger *slog.Logger, provs providers) (*app, error) {
	if err := checkRetention(&cfg, provs); err != nil {
		return nil, err
	}
	db, err := ledger.OpenWith(ctx, cfg.DB, ledger.Options{AutoCheckpoint: cfg.AutoCheckpoint})
	if err != nil {
		return nil, err
	}
	db.SetRedact(appRedactor(env, cfg).String)
	for _, name := range db.Tightened() {
		logger.Warn("ledger file was readable by other users: made it private (mode 0600)", "file", name)
	}
	a := &app{cfg: cfg, log: logger, db: db, provs: provs}
	if err := a.build(); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

// build makes the metrics, the processor (unless no handler is
// configured: ledger-only mode) and the alerter over a.db.
func (a *app) build() error {
	a.metrics = metrics.New(prometheus.NewRegistry(), a.db)
	handler, desc, err := newHandler(a.cfg)
	if err != nil {
		return err
	}
	if handler == nil {
		a.db.SetLedgerOnly(true)
		a.log.Warn("no handler configured: ledger-only mode, events are stored and marked processed on record",
			"hint", "set HOOKLEDGER_FORWARD_URL or HOOKLEDGER_EXEC to process events")
	} else {
		pcfg := processorConfig(a.cfg)
		pcfg.Logger, pcfg.Observer = a.log, a.metrics
		if a.proc, err = ledger.NewProcessor(a.db, handler, pcfg); err != nil {
			return err
		}
		a.log.Info("processor on", "handler", desc, "workers", pcfg.Workers, "max_attempts", pcfg.MaxAttempts)
	}
	if a.alerter, err = newAlerter(a.db, a.cfg, a.log); err != nil {
		return err
	}
	a.log.Info("alerts on", "transport", a.alerter.Transport())
	return nil
}

// handler returns the HTTP handler serve exposes: the receiver's routes
// and GET /metrics.
func (a *app) handler() http.Handler {
	rv := sources.NewReceiver(a.db, a.provs.Webhook, sources.ReceiverOptions{
		MaxBody:        a.cfg.Receiver.MaxBody,
		TrustedProxies: a.cfg.Receiver.TrustedProxies,
		Logger:         a.log,
		Observer:       a.metrics,
	})
	mux := http.NewServeMux()
	mux.Handle("/", rv)
	mux.Handle("GET /metrics", a.metrics.Handler())
	return mux
}

// reconciler returns a Reconciler for the named job whose reports go to
// the alerter.
func (a *app) reconciler(job string, opts reconcile.Options) *reconcile.Reconciler {
	opts.Job = job
	return reconcile.New(a.db, opts, meteredNotifier{metrics: a.metrics, next: a.alerter}, a.log)
}

// drain runs the processor until nothing is ready, when there is one.
func (a *app) drain(ctx context.Context) (ledger.Stats, error) {
	if a.proc == nil {
		return ledger.Stats{}, nil
	}
	return a.proc.Drain(ctx)
}

// Close closes the ledger.
func (a *app) Close() error {
	if err := a.db.Close(); err != nil && !errors.Is(err, ledger.ErrClosed) {
		return fmt.Errorf("close ledger: %w", err)
	}
	return nil
}
