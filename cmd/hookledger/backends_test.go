package main

import (
	"path/filepath"
	"testing"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger/ledgertest"
	"github.com/hookledger/hookledger/ledger/postgres/pgtest"
)

// backendCase is one ledger backend the end-to-end tests run against:
// dsn returns what HOOKLEDGER_DB names for a fresh, empty ledger of that
// backend, private to tb.
type backendCase struct {
	name string
	dsn  func(tb testing.TB) string
}

// testLedgers lists the backends an end-to-end test runs against, each as
// its own subtest: a SQLite file in a temporary directory, and a fresh
// schema on the PostgreSQL test server (pgtest.ConnString: skipped without
// one, failed under CI=true). Adding a backend is one line here.
func testLedgers() []backendCase {
	return []backendCase{
		{"sqlite", func(tb testing.TB) string { return filepath.Join(tb.TempDir(), "ledger.db") }},
		{"postgres", pgtest.ConnString},
	}
}

// eachLedger runs body as one subtest per backend of testLedgers, with a
// fresh ledger's dsn. The dsn is made inside the subtest, so that a
// backend with no server skips its subtest alone.
func eachLedger(t *testing.T, body func(t *testing.T, dsn string)) {
	t.Helper()
	for _, bc := range testLedgers() {
		t.Run(bc.name, func(t *testing.T) { body(t, bc.dsn(t)) })
	}
}

// openTestLedger opens the ledger dsn names as every command does, closed
// when the test ends.
func openTestLedger(t *testing.T, dsn string) app.Ledger {
	t.Helper()
	db, err := app.OpenLedger(t.Context(), dsn, app.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// rowCounts returns the rows of every table of the ledger dsn names, and
// its events per state and origin, read around the ledger's own code.
func rowCounts(t *testing.T, dsn string) map[string]int {
	t.Helper()
	if app.IsPostgres(dsn) {
		return pgtest.RowCounts(t, dsn)
	}
	return ledgertest.SQLiteRowCounts(t, dsn)
}
