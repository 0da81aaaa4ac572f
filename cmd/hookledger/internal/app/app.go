// Package app is hookledger wired together, shared by the subcommands of
// cmd/hookledger and by the demo and the benchmark: the configuration
// from the environment (Config, LoadConfig), the providers it turns on,
// the handler, the App (ledger, receiver, processor, alerter, metrics,
// scheduled jobs, status page) and the one opener of a ledger,
// OpenLedger, which returns the backend-agnostic Ledger. It also holds
// the errors and exit codes every command shares. Package main parses
// flags and calls it; app never imports main, demo or bench.
package app

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

// App is hookledger wired together from a Config: the ledger, the
// providers, the processor, the alerter and the metrics. serve, cron and
// demo all run this one wiring.
type App struct {
	Config      Config
	Log         *slog.Logger
	DB          Ledger
	Provs       Providers
	metrics     *metrics.Metrics
	Mode        ledger.Mode       // the ledger's, read when it was opened
	handlerDesc string            // the handler's description, "" when none is configured
	Proc        *ledger.Processor // nil without a handler, and on a ledger-only ledger
	Alerter     *alerts.Alerter

	warnedVacuum atomic.Bool // the prune job said once that the file keeps freed pages
}

// New opens the ledger and builds every component the configuration
// turns on. client, when not nil, is the HTTP client for provider APIs.
// The caller closes the app.
func New(ctx context.Context, env *Env, cfg Config, logger *slog.Logger, client *http.Client) (*App, error) {
	logger = RedactedLogger(env, cfg, logger)
	provs, err := BuildProviders(cfg, logger, client)
	if err != nil {
		return nil, err
	}
	return Open(ctx, env, cfg, logger, provs)
}

// RedactedLogger returns logger with every secret of cfg and env redacted
// from its records.
func RedactedLogger(env *Env, cfg Config, logger *slog.Logger) *slog.Logger {
	return slog.New(appRedactor(env, cfg).Handler(logger.Handler()))
}

// Open is New with the providers already built, for a command that
// checks its flags against them before it touches the ledger. logger must
// be redacted (RedactedLogger). Every error text the ledger stores and
// every alert passes through the one redaction of the configured secrets.
func Open(ctx context.Context, env *Env, cfg Config, logger *slog.Logger, provs Providers) (*App, error) {
	if err := CheckRetention(&cfg, provs); err != nil {
		return nil, err
	}
	db, err := OpenLedger(ctx, cfg.DB, OpenOptions{AutoCheckpoint: cfg.AutoCheckpoint, Redact: appRedactor(env, cfg).String})
	if err != nil {
		return nil, err
	}
	for _, name := range Tightened(db) {
		logger.Warn("ledger file was readable by other users: made it private (mode 0600)", "file", name)
	}
	a := &App{Config: cfg, Log: logger, DB: db, Provs: provs}
	if err := a.build(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

// build makes the metrics, the processor (when a handler is configured
// and the ledger is not ledger-only) and the alerter over a.DB. Whether
// events are delivered is the ledger's mode, never this process's
// environment: without a handler, new events stay pending for whichever
// serve or process has one.
func (a *App) build(ctx context.Context) error {
	a.metrics = metrics.New(prometheus.NewRegistry(), a.DB)
	bi := buildinfo.Read()
	a.metrics.SetBuild(bi.Version, bi.Commit)
	var err error
	if a.Mode, err = a.DB.Mode(ctx); err != nil {
		return err
	}
	handler, desc, err := NewHandler(a.Config)
	if err != nil {
		return err
	}
	if handler != nil {
		a.handlerDesc = desc
	}
	if handler != nil && a.Mode != ledger.ModeLedgerOnly {
		pcfg := ProcessorConfig(a.Config)
		pcfg.Logger, pcfg.Observer = a.Log, a.metrics
		if a.Proc, err = ledger.NewProcessor(a.DB, handler, pcfg); err != nil {
			return err
		}
	}
	if a.Alerter, err = NewAlerter(a.DB, a.Config, a.Log, Names(a.Provs.Webhook)); err != nil {
		return err
	}
	a.Log.Info("alerts on", "transport", a.Alerter.Transport())
	return nil
}

// Settle is SettleMode for a processor command (serve, demo) over the
// app's ledger, keeping a.mode current, and logs the outcome.
func (a *App) Settle(ctx context.Context, cmd string, ledgerOnly bool) error {
	m, err := SettleMode(ctx, a.DB, cmd, a.handlerDesc != "", ledgerOnly)
	if err != nil {
		return err
	}
	a.Mode = m
	if a.Proc != nil {
		pcfg := ProcessorConfig(a.Config)
		a.Log.Info("processor on", "ledger_mode", m.String(), "handler", a.handlerDesc,
			"workers", pcfg.Workers, "max_attempts", pcfg.MaxAttempts)
	} else {
		a.Log.Info("ledger-only: events are recorded and marked processed on arrival; nothing is delivered",
			"ledger_mode", m.String())
	}
	return nil
}

// LogMode logs the ledger's mode for a command that delivers nothing
// itself (cron): what becomes of the events its jobs backfill.
func (a *App) LogMode() {
	if a.Mode == ledger.ModeLedgerOnly {
		a.Log.Info("ledger mode", "ledger_mode", a.Mode.String(), "note", "backfilled events are recorded as processed; nothing is delivered")
		return
	}
	a.Log.Info("ledger mode", "ledger_mode", a.Mode.String(),
		"note", "backfilled events wait as pending; only serve or process delivers them, through its handler")
}

// Handler returns the HTTP handler serve exposes: the receiver's routes
// and GET /metrics.
func (a *App) Handler() http.Handler {
	rv := sources.NewReceiver(a.DB, a.Provs.Webhook, sources.ReceiverOptions{
		MaxBody:        a.Config.Receiver.MaxBody,
		TrustedProxies: a.Config.Receiver.TrustedProxies,
		Logger:         a.Log,
		Observer:       a.metrics,
	})
	mux := http.NewServeMux()
	mux.Handle("/", rv)
	mux.Handle("GET /metrics", a.metrics.Handler())
	return mux
}

// Reconciler returns a Reconciler for the named job whose reports go to
// the alerter.
func (a *App) Reconciler(job string, opts reconcile.Options) *reconcile.Reconciler {
	opts.Job = job
	// HOOKLEDGER_PROCESSING_GRACE is the one grace: what the due counts and the
	// per-type table judge, and what is stuck.
	opts.StuckAfter, opts.PublicURL = a.Config.ProcessingGrace, a.Config.PublicURL
	return reconcile.New(a.DB, opts, meteredNotifier{metrics: a.metrics, next: a.Alerter}, a.Log)
}

// Close closes the ledger.
func (a *App) Close() error {
	if err := a.DB.Close(); err != nil && !errors.Is(err, ledger.ErrClosed) {
		return fmt.Errorf("close ledger: %w", err)
	}
	return nil
}
