package postgres

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
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

// RecordBatchFailingLookup records evs as one intake batch, committed by
// the real intake statement on db's pool, whose lookup of the rows already
// in the ledger then fails; it returns each Record's outcome.
func RecordBatchFailingLookup(tb testing.TB, db *DB, evs []*ledger.Event) (isNew []bool, errs []error) {
	tb.Helper()
	var reqs []*recordReq
	for _, ev := range evs {
		r, err := db.newRecordReq(context.Background(), ev, &ledger.Receipt{Status: 200})
		if err != nil {
			tb.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	db.commitBatch(&failAfterFirst{q: db.pool}, reqs)
	for _, r := range reqs {
		errs = append(errs, <-r.done)
		isNew = append(isNew, r.isNew)
	}
	return isNew, errs
}

// failAfterFirst runs the first query on q and fails every later one.
type failAfterFirst struct {
	q    querier
	done bool
}

var errLookup = errors.New("lookup refused by the test")

func (f *failAfterFirst) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if f.done {
		return nil, errLookup
	}
	f.done = true
	return f.q.Query(ctx, sql, args...)
}
