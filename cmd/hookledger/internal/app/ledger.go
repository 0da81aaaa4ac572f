package app

import (
	"context"
	"strings"

	"github.com/hookledger/hookledger/ledger"
)

// OpenReadOnly opens the existing ledger at path, or at $HOOKLEDGER_DB
// (default hookledger.db) when path is empty, for reading only: it creates
// no file, runs no migration and writes nothing, so it works for a user
// who may only read the ledger. Without a ledger there it fails with "no
// ledger at PATH". Read-only commands use it rather than loadConfig, so
// that a bad unrelated variable does not stop them.
func OpenReadOnly(ctx context.Context, env *Env, path string) (*ledger.DB, error) {
	if path == "" {
		path = OrDefault(env.Getenv("HOOKLEDGER_DB"), DefaultDBPath)
	}
	if err := SQLiteOnly(path); err != nil {
		return nil, err
	}
	return ledger.OpenReadOnly(ctx, path)
}

// OpenConfigured loads the configuration with --db's value (dbPath) and
// opens that ledger read-write, for commands that change it. The caller
// closes the ledger.
func OpenConfigured(ctx context.Context, env *Env, dbPath string) (Config, *ledger.DB, error) {
	cfg, err := LoadConfigDB(env, dbPath)
	if err != nil {
		return cfg, nil, err
	}
	db, err := OpenWritable(ctx, env, cfg)
	return cfg, db, err
}

// SQLiteOnly refuses a ledger named by a postgres:// or postgresql:// URL
// with a usage error (exit 2) until the PostgreSQL backend is complete
// (issue 14); without it such a URL was taken for a file path. The error
// never repeats the URL, which may hold a password.
func SQLiteOnly(path string) error {
	p := strings.ToLower(strings.TrimSpace(path))
	if strings.HasPrefix(p, "postgres://") || strings.HasPrefix(p, "postgresql://") {
		return UsageError("the ledger (HOOKLEDGER_DB or --db) names a PostgreSQL database: " +
			"PostgreSQL support is not complete yet; use a SQLite file path such as " + DefaultDBPath)
	}
	return nil
}
