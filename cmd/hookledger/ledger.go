package main

import (
	"context"
	"strings"

	"github.com/hookledger/hookledger/ledger"
)

// openLedger opens the existing ledger at path, or at $HOOKLEDGER_DB
// (default hookledger.db) when path is empty, for reading only: it creates
// no file, runs no migration and writes nothing, so it works for a user
// who may only read the ledger. Without a ledger there it fails with "no
// ledger at PATH". Read-only commands use it rather than loadConfig, so
// that a bad unrelated variable does not stop them.
func openLedger(ctx context.Context, env *Env, path string) (*ledger.DB, error) {
	if path == "" {
		path = orDefault(env.Getenv("HOOKLEDGER_DB"), defaultDBPath)
	}
	if err := sqliteOnly(path); err != nil {
		return nil, err
	}
	return ledger.OpenReadOnly(ctx, path)
}

// openConfigured loads the configuration with --db's value (dbPath) and
// opens that ledger read-write, for commands that change it. The caller
// closes the ledger.
func openConfigured(ctx context.Context, env *Env, dbPath string) (Config, *ledger.DB, error) {
	cfg, err := loadConfigDB(env, dbPath)
	if err != nil {
		return cfg, nil, err
	}
	db, err := openWritable(ctx, env, cfg)
	return cfg, db, err
}

// sqliteOnly refuses a ledger named by a postgres:// or postgresql:// URL
// with a usage error (exit 2) until the PostgreSQL backend is complete
// (issue 14); without it such a URL was taken for a file path. The error
// never repeats the URL, which may hold a password.
func sqliteOnly(path string) error {
	p := strings.ToLower(strings.TrimSpace(path))
	if strings.HasPrefix(p, "postgres://") || strings.HasPrefix(p, "postgresql://") {
		return usageError("the ledger (HOOKLEDGER_DB or --db) names a PostgreSQL database: " +
			"PostgreSQL support is not complete yet; use a SQLite file path such as " + defaultDBPath)
	}
	return nil
}
