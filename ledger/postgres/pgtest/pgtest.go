// Package pgtest gives tests a PostgreSQL ledger of their own on the
// server that $HOOKLEDGER_TEST_POSTGRES names (.ci/postgres.sh starts one):
// each call creates a fresh schema, dropped when the test ends, so tests
// run in parallel on one database. Driver is the ledgertest Driver of the
// PostgreSQL ledger.
//
// Without $HOOKLEDGER_TEST_POSTGRES a test skips, except under CI=true,
// where it fails: CI must not pass by running nothing.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger/ledgertest"
	"github.com/hookledger/hookledger/ledger/postgres"
)

// EnvVar names the connection string of the test server.
const EnvVar = "HOOKLEDGER_TEST_POSTGRES"

// ConnString returns a connection string to a fresh, empty schema on the
// test server (set as the connections' search_path), dropped at the end of
// tb. It skips tb when no server is configured, and fails it when CI=true.
func ConnString(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set: CI must run the PostgreSQL tests (.ci/run starts a server)", EnvVar)
		}
		tb.Skipf("%s is not set (eval \"$(bash .ci/postgres.sh start)\" starts a server)", EnvVar)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to %s: %v", EnvVar, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() { drop(tb, base, schema) })
	return withSearchPath(tb, base, schema)
}

func drop(tb testing.TB, base, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Errorf("drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
		tb.Errorf("drop schema %s: %v", schema, err)
	}
}

func withSearchPath(tb testing.TB, base, schema string) string {
	if !strings.HasPrefix(base, "postgres://") && !strings.HasPrefix(base, "postgresql://") {
		return base + " search_path=" + schema
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse %s: %v", EnvVar, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Driver returns the ledgertest Driver of the PostgreSQL ledger: each
// backend in a fresh schema of the test server.
func Driver() ledgertest.Driver {
	var urls sync.Map // *postgres.DB → its connection string
	open := func(tb testing.TB, url string, now func() time.Time) (*postgres.DB, error) {
		db, err := postgres.Open(context.Background(), url, postgres.Options{Now: now})
		if err != nil {
			return nil, err
		}
		urls.Store(db, url)
		tb.Cleanup(func() { db.Close() })
		return db, nil
	}
	closeDB := func(tb testing.TB, b ledgertest.Backend) string {
		tb.Helper()
		db := b.(*postgres.DB)
		url, ok := urls.Load(db)
		if !ok {
			tb.Fatal("pgtest: not a backend this driver opened")
		}
		if err := db.Close(); err != nil {
			tb.Fatal(err)
		}
		return url.(string)
	}
	return ledgertest.Driver{
		Open: func(tb testing.TB, now func() time.Time) ledgertest.Backend {
			tb.Helper()
			db, err := open(tb, ConnString(tb), now)
			if err != nil {
				tb.Fatalf("Open() error = %v", err)
			}
			return db
		},
		Reopen: func(tb testing.TB, b ledgertest.Backend) (ledgertest.Backend, error) {
			tb.Helper()
			db, err := open(tb, closeDB(tb, b), nil)
			if err != nil {
				return nil, err
			}
			return db, nil
		},
		BreakMigration: func(tb testing.TB, b ledgertest.Backend) {
			tb.Helper()
			exec(tb, closeDB(tb, b), `UPDATE hookledger_migrations SET checksum = 'f00d' WHERE name = '001_ledger.sql'`)
		},
		Share: func(tb testing.TB, b ledgertest.Backend, now func() time.Time) ledgertest.Backend {
			tb.Helper()
			url, ok := urls.Load(b)
			if !ok {
				tb.Fatal("pgtest: not a backend this driver opened")
			}
			db, err := open(tb, url.(string), now)
			if err != nil {
				tb.Fatalf("Open() error = %v", err)
			}
			return db
		},
		RowCounts: func(tb testing.TB, b ledgertest.Backend) map[string]int {
			tb.Helper()
			url, ok := urls.Load(b)
			if !ok {
				tb.Fatal("pgtest: not a backend this driver opened")
			}
			return RowCounts(tb, url.(string))
		},
	}
}

// exec runs one statement on a connection of its own to url.
func exec(tb testing.TB, url, stmt string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		tb.Fatal(err)
	}
}

// RowCounts returns the number of rows of every table of the ledger at
// url (its schema), plus the number of events per state and origin (keys
// "events:STATE/ORIGIN"), as ledgertest.SQLiteRowCounts does for SQLite,
// read through a connection of its own.
func RowCounts(tb testing.TB, url string) map[string]int {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`)
	if err != nil {
		tb.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]int{}
	for _, name := range tables {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{name}.Sanitize()).Scan(&n); err != nil {
			tb.Fatal(err)
		}
		out[name] = n
	}
	rows, err = conn.Query(ctx, `SELECT state || '/' || origin, count(*) FROM events GROUP BY 1`)
	if err != nil {
		tb.Fatal(err)
	}
	var k string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&k, &n}, func() error {
		out["events:"+k] = n
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return out
}
