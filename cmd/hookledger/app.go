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
	"github.com/hookledger/hookledger/cmd/hookledger/internal/buildinfo"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/metrics"
	"github.com/hookledger/hookledger/reconcile"
	"github.com/hookledger/hookledger/sources"
)

// app is hookledger wired together from a Config: the ledger, the
// providers, the processor, the alerter and the metrics. serve, cron and
// demo all run this one wiring.
type app struct {
	cfg         Config
	log         *slog.Logger
	db          *ledger.DB
	provs       providers
	metrics     *metrics.Metrics
	mode        ledger.Mode       // the ledger's, read when it was opened
	handlerDesc string            // the handler's description, "" when none is configured
	proc        *ledger.Processor // nil without a handler, and on a ledger-only ledger
	alerter     *alerts.Alerter

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
	if err := sqliteOnly(cfg.DB); err != nil {
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
	if err := a.build(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

// build makes the metrics, the processor (when a handler is configured
// and the ledger is not ledger-only) and the alerter over a.db. Whether
// events are delivered is the ledger's mode, never this process's
// environment: without a handler, new events stay pending for whichever
// serve or process has one.
func (a *app) build(ctx context.Context) error {
	a.metrics = metrics.New(prometheus.NewRegistry(), a.db)
	bi := buildinfo.Read()
	a.metrics.SetBuild(bi.Version, bi.Commit)
	var err error
	if a.mode, err = a.db.Mode(ctx); err != nil {
		return err
	}
	handler, desc, err := newHandler(a.cfg)
	if err != nil {
		return err
	}
	if handler != nil {
		a.handlerDesc = desc
	}
	if handler != nil && a.mode != ledger.ModeLedgerOnly {
		pcfg := processorConfig(a.cfg)
		pcfg.Logger, pcfg.Observer = a.log, a.metrics
		if a.proc, err = ledger.NewProcessor(a.db, handler, pcfg); err != nil {
			return err
		}
	}
	if a.alerter, err = newAlerter(a.db, a.cfg, a.log, names(a.provs.Webhook)); err != nil {
		return err
	}
	a.log.Info("alerts on", "transport", a.alerter.Transport())
	return nil
}

// settle is settleMode for a processor command (serve, demo) over the
// app's ledger, keeping a.mode current, and logs the outcome.
func (a *app) settle(ctx context.Context, cmd string, ledgerOnly bool) error {
	m, err := settleMode(ctx, a.db, cmd, a.handlerDesc != "", ledgerOnly)
	if err != nil {
		return err
	}
	a.mode = m
	if a.proc != nil {
		pcfg := processorConfig(a.cfg)
		a.log.Info("processor on", "ledger_mode", m.String(), "handler", a.handlerDesc,
			"workers", pcfg.Workers, "max_attempts", pcfg.MaxAttempts)
	} else {
		a.log.Info("ledger-only: events are recorded and marked processed on arrival; nothing is delivered",
			"ledger_mode", m.String())
	}
	return nil
}

// logMode logs the ledger's mode for a command that delivers nothing
// itself (cron): what becomes of the events its jobs backfill.
func (a *app) logMode() {
	if a.mode == ledger.ModeLedgerOnly {
		a.log.Info("ledger mode", "ledger_mode", a.mode.String(), "note", "backfilled events are recorded as processed; nothing is delivered")
		return
	}
	a.log.Info("ledger mode", "ledger_mode", a.mode.String(),
		"note", "backfilled events wait as pending; only serve or process delivers them, through its handler")
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
	// HOOKLEDGER_PROCESSING_GRACE is the one grace: what the due counts and the
	// per-type table judge, and what is stuck.
	opts.StuckAfter, opts.PublicURL = a.cfg.ProcessingGrace, a.cfg.PublicURL
	return reconcile.New(a.db, opts, meteredNotifier{metrics: a.metrics, next: a.alerter}, a.log)
}

// Close closes the ledger.
func (a *app) Close() error {
	if err := a.db.Close(); err != nil && !errors.Is(err, ledger.ErrClosed) {
		return fmt.Errorf("close ledger: %w", err)
	}
	return nil
}
