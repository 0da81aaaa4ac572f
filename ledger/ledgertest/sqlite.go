package ledgertest

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// OpenSQLite opens a fresh SQLite ledger in tb.TempDir, closed at the end
// of tb.
func OpenSQLite(tb testing.TB) *ledger.DB {
	tb.Helper()
	return OpenSQLiteWith(tb, ledger.Options{})
}

// OpenSQLiteWith is OpenSQLite with options (a clock, for one).
func OpenSQLiteWith(tb testing.TB, o ledger.Options) *ledger.DB {
	tb.Helper()
	return openSQLite(tb, filepath.Join(tb.TempDir(), "ledger.db"), o)
}

// OpenSQLiteAt opens (creating if needed) the SQLite ledger at path,
// closed at the end of tb.
func OpenSQLiteAt(tb testing.TB, path string) *ledger.DB {
	tb.Helper()
	return openSQLite(tb, path, ledger.Options{})
}

func openSQLite(tb testing.TB, path string, o ledger.Options) *ledger.DB {
	tb.Helper()
	db, err := ledger.OpenWith(context.Background(), path, o)
	if err != nil {
		tb.Fatalf("Open() error = %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// SQLite returns the Driver of the SQLite ledger, each backend in a file
// of its own.
func SQLite() Driver {
	return Driver{
		Open: func(tb testing.TB, now func() time.Time) Backend {
			tb.Helper()
			return OpenSQLiteWith(tb, ledger.Options{Now: now})
		},
		Reopen: func(tb testing.TB, b Backend) (Backend, error) {
			tb.Helper()
			db, err := ledger.Open(context.Background(), closeSQLite(tb, b))
			if err != nil {
				return nil, err
			}
			tb.Cleanup(func() { db.Close() })
			return db, nil
		},
		BreakMigration: func(tb testing.TB, b Backend) {
			tb.Helper()
			conn, err := sql.Open("sqlite", "file:"+closeSQLite(tb, b))
			if err != nil {
				tb.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Exec(`UPDATE migrations SET checksum = 'f00d' WHERE name = 'migrations/002_queue.sql'`); err != nil {
				tb.Fatal(err)
			}
		},
		Share: func(tb testing.TB, b Backend, now func() time.Time) Backend {
			tb.Helper()
			return openSQLite(tb, b.(*ledger.DB).Path(), ledger.Options{Now: now})
		},
		RowCounts: func(tb testing.TB, b Backend) map[string]int {
			tb.Helper()
			return SQLiteRowCounts(tb, b.(*ledger.DB).Path())
		},
	}
}

// closeSQLite closes the SQLite ledger b and returns its path.
func closeSQLite(tb testing.TB, b Backend) string {
	tb.Helper()
	db := b.(*ledger.DB)
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	return db.Path()
}
