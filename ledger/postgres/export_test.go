package postgres

import (
	"context"
	"testing"
)

// IntakeCommits returns how many intake transactions db committed.
func IntakeCommits(db *DB) int64 { return db.commits.Load() }

// Setting returns a run-time setting as the pool's connections see it.
func Setting(tb testing.TB, db *DB, name string) string {
	tb.Helper()
	var v string
	if err := db.pool.QueryRow(context.Background(), "SELECT current_setting($1)", name).Scan(&v); err != nil {
		tb.Fatal(err)
	}
	return v
}
