package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"strings"
	"time"

	"github.com/hookledger/hookledger/alerts"
	"github.com/hookledger/hookledger/cmd/hookledger/internal/admin"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/metrics"
	"github.com/hookledger/hookledger/ledger/postgres"
	"github.com/hookledger/hookledger/reconcile"
	"github.com/hookledger/hookledger/sources"
)

// Ledger is everything cmd/hookledger and its internal packages use of a
// ledger backend: the interfaces each consumer declares (the receiver,
// the processor's queue, reconcile and its job log, alerts, metrics, the
// status page) and the methods the commands call themselves. Commands
// open one with OpenLedger and never name a backend's concrete type; what
// only SQLite can do (a file path, an online backup, the writer's
// figures) is reached through the optional interfaces below.
type Ledger interface {
	sources.Store
	ledger.Queue
	reconcile.Store
	reconcile.JobLog
	reconcile.Leases
	alerts.Store
	metrics.Store
	admin.Store

	// Close closes the ledger; a second Close returns ledger.ErrClosed.
	Close() error
	// SetRedact sets what every error text the ledger stores passes through.
	SetRedact(fn func(string) string)
	Mode(ctx context.Context) (ledger.Mode, error)
	SetMode(ctx context.Context, m ledger.Mode) (ledger.Mode, error)
	Events(ctx context.Context, f ledger.EventFilter) iter.Seq2[*ledger.Event, error]
	Sources(ctx context.Context) ([]string, error)
	QueueStats(ctx context.Context) (*ledger.QueueStats, error)
	Prune(ctx context.Context, o ledger.PruneOptions) (ledger.PruneReport, error)
	PurgeDead(ctx context.Context, f ledger.PurgeFilter) (ledger.PruneReport, error)
	RequeueMatching(ctx context.Context, f ledger.ReplayFilter, fn func([]ledger.Requeued) error) error
	AlertsNaming(ctx context.Context, source, id string) ([]ledger.Alert, error)
	AlertMessages(ctx context.Context, all bool, limit int) ([]ledger.AlertMessage, error)
	LastRuns(ctx context.Context) ([]ledger.Run, error)
	Jobs(ctx context.Context) ([]ledger.JobRun, error)
	Rejections(ctx context.Context, source string, since time.Time, limit int) ([]ledger.RejectionCount, error)
	SyncRejections(ctx context.Context) error
}

// Optional capabilities, which the SQLite ledger has and another backend
// may not. Use them through the functions below, which say so clearly.
type (
	// filePather is a ledger kept in a file.
	filePather interface{ Path() string }
	// backuper writes a consistent copy of the live ledger to a new file.
	backuper interface {
		Backup(ctx context.Context, path string) error
	}
	// writerStatser reports its writer's figures (group commit, CPU).
	writerStatser interface{ WriterStats() ledger.WriterStats }
	// tightener made the ledger's files private when it opened them.
	tightener interface{ Tightened() []string }
)

// ErrUnsupported is returned for a capability the ledger's backend lacks.
var ErrUnsupported = errors.New("not supported by this ledger backend (SQLite only)")

// LedgerName is how messages name l: its file path, or "the database"
// for a backend not kept in a file (never a URL, which may hold a
// password).
func LedgerName(l Ledger) string {
	if p, ok := l.(filePather); ok {
		return p.Path()
	}
	return "the database"
}

// Backup writes a consistent copy of l to path.
func Backup(ctx context.Context, l Ledger, path string) error {
	b, ok := l.(backuper)
	if !ok {
		return fmt.Errorf("backup: %w", ErrUnsupported)
	}
	return b.Backup(ctx, path)
}

// WriterStats returns l's writer figures, ok false on a backend without them.
func WriterStats(l Ledger) (ledger.WriterStats, bool) {
	w, ok := l.(writerStatser)
	if !ok {
		return ledger.WriterStats{}, false
	}
	return w.WriterStats(), true
}

// Tightened lists the files of l that were readable by other users and
// were made private as it opened (none on a backend without files).
func Tightened(l Ledger) []string {
	if t, ok := l.(tightener); ok {
		return t.Tightened()
	}
	return nil
}

// OpenOptions are how OpenLedger opens a ledger.
type OpenOptions struct {
	// ReadOnly opens an existing ledger for reading only: no file is
	// created, no migration runs, nothing is written. Without a ledger
	// there it fails with "no ledger at PATH".
	ReadOnly bool
	// AutoCheckpoint is ledger.Options.AutoCheckpoint (SQLite's WAL).
	AutoCheckpoint int
	// Redact, when set, is what every error text the ledger stores
	// passes through (a writable ledger only).
	Redact func(string) string
}

// OpenLedger opens the ledger dsn names with opts: a postgres:// or
// postgresql:// URL is a PostgreSQL ledger, anything else a SQLite file
// path. Every command opens its ledger through it. The caller closes the
// ledger.
func OpenLedger(ctx context.Context, dsn string, opts OpenOptions) (Ledger, error) {
	if IsPostgres(dsn) {
		db, err := postgres.Open(ctx, dsn, postgres.Options{ReadOnly: opts.ReadOnly})
		if err != nil {
			return nil, err
		}
		if opts.Redact != nil && !opts.ReadOnly {
			db.SetRedact(opts.Redact)
		}
		return db, nil
	}
	if opts.ReadOnly {
		db, err := ledger.OpenReadOnly(ctx, dsn)
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	db, err := ledger.OpenWith(ctx, dsn, ledger.Options{AutoCheckpoint: opts.AutoCheckpoint})
	if err != nil {
		return nil, err
	}
	if opts.Redact != nil {
		db.SetRedact(opts.Redact)
	}
	return db, nil
}

// IsPostgres reports whether dsn is a PostgreSQL URL.
func IsPostgres(dsn string) bool {
	p := strings.ToLower(strings.TrimSpace(dsn))
	return strings.HasPrefix(p, "postgres://") || strings.HasPrefix(p, "postgresql://")
}

// RequireSQLite refuses, with a usage error (exit 2), a command that
// works on a SQLite ledger file alone (backup, vacuum, copy's source) when
// dsn names a PostgreSQL database; hint says what to use there instead.
// The error never repeats the URL, which may hold a password.
func RequireSQLite(cmd, dsn, hint string) error {
	if IsPostgres(dsn) {
		return UsageError(cmd + " works on a SQLite ledger file, and the ledger (HOOKLEDGER_DB or --db) is a PostgreSQL database: " + hint)
	}
	return nil
}

// LedgerPath is the ledger a command names: its --db value, or
// $HOOKLEDGER_DB, or hookledger.db.
func LedgerPath(env *Env, flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return cmp.Or(env.Getenv("HOOKLEDGER_DB"), DefaultDBPath)
}

// OpenReadOnly opens the existing ledger at path, or at $HOOKLEDGER_DB
// (default hookledger.db) when path is empty, for reading only: it creates
// no file, runs no migration and writes nothing, so it works for a user
// who may only read the ledger. Without a ledger there it fails with "no
// ledger at PATH". Read-only commands use it rather than LoadConfig, so
// that a bad unrelated variable does not stop them.
func OpenReadOnly(ctx context.Context, env *Env, path string) (Ledger, error) {
	return OpenLedger(ctx, LedgerPath(env, path), OpenOptions{ReadOnly: true})
}

// OpenWritable opens the ledger cfg.DB for a command that writes to it,
// with the configured options (HOOKLEDGER_WAL_AUTOCHECKPOINT) and the
// command's redaction applied to every error text it stores.
func OpenWritable(ctx context.Context, env *Env, cfg Config) (Ledger, error) {
	return OpenLedger(ctx, cfg.DB, OpenOptions{AutoCheckpoint: cfg.AutoCheckpoint, Redact: env.Redact.String})
}

// OpenConfigured loads the configuration with --db's value (dbPath) and
// opens that ledger read-write, for commands that change it. The caller
// closes the ledger.
func OpenConfigured(ctx context.Context, env *Env, dbPath string) (Config, Ledger, error) {
	cfg, err := LoadConfigDB(env, dbPath)
	if err != nil {
		return cfg, nil, err
	}
	db, err := OpenWritable(ctx, env, cfg)
	return cfg, db, err
}

// RequireLedger fails with "CMD: no ledger at PATH" when dsn names a
// SQLite file that does not exist, for a command that must not create
// one. A PostgreSQL ledger is checked as it opens.
func RequireLedger(cmd, dsn string) error {
	if IsPostgres(dsn) {
		return nil
	}
	if _, err := os.Stat(dsn); err != nil {
		return fmt.Errorf("%s: no ledger at %s: %w", cmd, dsn, err)
	}
	return nil
}
