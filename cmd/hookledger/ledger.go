package main

import (
	"context"

	"github.com/hookledger/hookledger/ledger"
)

// openLedger opens the ledger at path, or at $HOOKLEDGER_DB (default
// hookledger.db) when path is empty. Read-only commands use it rather than
// loadConfig, so that a bad unrelated variable does not stop them.
func openLedger(ctx context.Context, env *Env, path string) (*ledger.DB, error) {
	if path == "" {
		path = orDefault(env.Getenv("HOOKLEDGER_DB"), defaultDBPath)
	}
	return ledger.Open(ctx, path)
}
