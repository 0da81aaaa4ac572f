package main

import (
	"context"

	"hookledger/ledger"
)

// openLedger opens the ledger at path, or at $HOOKLEDGER_DB (default
// hookledger.db) when path is empty.
func openLedger(ctx context.Context, env *Env, path string) (*ledger.DB, error) {
	if path == "" {
		path = orDefault(env.Getenv("HOOKLEDGER_DB"), "hookledger.db")
	}
	return ledger.Open(ctx, path)
}
