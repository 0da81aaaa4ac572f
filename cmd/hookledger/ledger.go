package main

import (
	"context"

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
