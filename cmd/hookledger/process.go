package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/handler"
)

// errNoHandler is returned by commands that need a handler when none is
// configured.
var errNoHandler = errors.New("no handler configured: set HOOKLEDGER_FORWARD_URL or HOOKLEDGER_EXEC")

// runProcess is `hookledger process`: one drain of the queue through the
// configured handler, for a deployment that processes from cron.
func runProcess(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "process", "process [--db PATH] [--workers N] [--log-format text|json] [--log-level L]",
		"HOOKLEDGER_FORWARD_URL=http://127.0.0.1:9000/hooks hookledger process")
	dbPath := fs.String("db", "", dbFlagUsage)
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
		return usageError("--workers: want a positive number")
	}
	cfg, err := loadConfigDB(env, *dbPath)
	if err != nil {
		return err
	}
	h, desc, err := newHandler(cfg)
	if err != nil {
		return err
	}
	if h == nil {
		return processWithoutHandler(ctx, env, cfg.DB)
	}
	db, err := openWritable(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	mode, err := settleMode(ctx, db, "process", true, false)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stderr, modeLine(db.Path(), mode))
	pcfg := processorConfig(cfg)
	if *workers > 0 {
		pcfg.Workers = *workers
	}
	pcfg.Logger = newLogger(env, lc)
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
func processWithoutHandler(ctx context.Context, env *Env, path string) error {
	db, err := openLedger(ctx, env, path)
	if err != nil {
		return err
	}
	defer db.Close()
	mode, err := db.Mode(ctx)
	if err != nil {
		return err
	}
	if mode != ledger.ModeLedgerOnly {
		return usageError(fmt.Sprintf("%s; ledger %s is not ledger-only, so its events wait for a handler", errNoHandler, db.Path()))
	}
	fmt.Fprintln(env.Stderr, modeLine(db.Path(), mode))
	fmt.Fprintln(env.Stdout, "ledger-only: nothing to deliver")
	return nil
}

// newHandler builds the processor's handler from cfg: forward when
// HOOKLEDGER_FORWARD_URL is set, else exec when HOOKLEDGER_EXEC is set,
// else nil (ledger-only mode). The string describes the handler for logs,
// without secrets or URL credentials.
func newHandler(cfg Config) (ledger.Handler, string, error) {
	switch {
	case cfg.ForwardURL != "":
		f, err := handler.NewForward(handler.ForwardConfig{URL: cfg.ForwardURL, Secret: cfg.ForwardSecret,
			Timeout: cfg.Timeout, Conns: max(cfg.Workers, 64)})
		if err != nil {
			return nil, "", usageError("HOOKLEDGER_FORWARD_URL / HOOKLEDGER_FORWARD_SECRET: " + err.Error())
		}
		desc := "forward to " + redactURL(cfg.ForwardURL)
		if cfg.ForwardSecret != "" {
			desc += " (signed)"
		}
		return f, desc, nil
	case cfg.Exec != "":
		e, err := handler.NewExec(handler.ExecConfig{Command: cfg.Exec, Timeout: cfg.Timeout,
			Env: withoutSecrets(os.Environ())})
		if err != nil {
			return nil, "", usageError("HOOKLEDGER_EXEC: " + err.Error())
		}
		return e, "exec (sh -c $HOOKLEDGER_EXEC)", nil
	}
	return nil, "ledger-only", nil
}

// processorConfig returns the processor settings that come from cfg;
// callers add the logger and metrics observer.
func processorConfig(cfg Config) ledger.ProcessorConfig {
	return ledger.ProcessorConfig{
		Workers:     cfg.Workers,
		Lease:       cfg.Lease,
		Timeout:     cfg.Timeout,
		MaxAttempts: cfg.MaxAttempts,
		RetryBase:   cfg.RetryBase,
	}
}

// redactURL returns u's scheme, host and port only: its userinfo, path
// and query may each hold a credential (…/hooks/SECRETpathtoken).
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return "(unparsable URL)"
	}
	return p.Scheme + "://" + p.Host
}

// secretVars are the environment variables that hold hookledger's own
// credentials: the user's command gets the event, not the keys to the
// providers or to Slack.
// They are also what every output is redacted of (envSecrets): the forward
// URL is among them as its path or query may carry a token.
var secretVars = []string{"STRIPE_WEBHOOK_SECRET", "STRIPE_API_KEY", "GITHUB_WEBHOOK_SECRET", "GITHUB_TOKEN",
	"SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL", "HOOKLEDGER_FORWARD_SECRET", "HOOKLEDGER_FORWARD_URL",
	"SLACK_SIGNING_SECRET", "ZOOM_WEBHOOK_SECRET_TOKEN", "SHOPIFY_WEBHOOK_SECRET", "PADDLE_WEBHOOK_SECRET", "PADDLE_API_KEY",
	"HOOKLEDGER_ADMIN_TOKEN"}

// withoutSecrets returns environ ("NAME=value" entries) less secretVars
// and every *_WEBHOOK_SECRET (the Standard Webhooks sources' secrets).
func withoutSecrets(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(secretVars, name) && !strings.HasSuffix(name, "_WEBHOOK_SECRET") {
			out = append(out, kv)
		}
	}
	return out
}
