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
