package ledger_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hookledger/hookledger/ledger"
)

// mustOpen opens a fresh ledger file in t.TempDir and closes it at cleanup.
func mustOpen(tb testing.TB) *ledger.DB {
	tb.Helper()
	db, err := ledger.Open(context.Background(), filepath.Join(tb.TempDir(), "ledger.db"))
	if err != nil {
		tb.Fatalf("Open() error = %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
