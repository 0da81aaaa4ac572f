// Package pgtest gives tests a PostgreSQL ledger of their own on the
// server that $HOOKLEDGER_TEST_POSTGRES names (.ci/postgres.sh starts one):
// each call creates a fresh schema, dropped when the test ends, so tests
// run in parallel on one database.
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
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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
