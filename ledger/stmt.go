package ledger

import (
	"context"
	"database/sql"
	"errors"
)

// stmt returns query prepared on the write connection and bound to tx:
// SQLite's parser costs more than a small insert, and the writer runs the
// same few statements for every event. A query new to the cache is
// prepared in tx (once per transaction) and, after the transaction, once
// for good on the connection; database/sql cannot prepare on a connection
// that a transaction holds. Only write functions may call stmt: they run
// on the writer goroutine, which owns the cache.
func (db *DB) stmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	if s, ok := db.stmts[query]; ok {
		return tx.StmtContext(ctx, s), nil
	}
	if s, ok := db.txStmts[query]; ok {
		return s, nil
	}
	s, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, translate(err)
	}
	db.txStmts[query] = s
	return s, nil
}

// prepareSeen prepares, for the next transactions, the queries that the
// last one met for the first time. A failure only means they are
// prepared per transaction again.
func (db *DB) prepareSeen(ctx context.Context) {
	for q := range db.txStmts {
		if s, err := db.w.PrepareContext(ctx, q); err == nil {
			db.stmts[q] = s
		}
		delete(db.txStmts, q)
	}
}

// exec runs query through the statement cache inside tx.
func (db *DB) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	s, err := db.stmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// query runs query through the statement cache inside tx.
func (db *DB) query(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	s, err := db.stmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// queryRow runs query through the statement cache inside tx.
func (db *DB) queryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	s, err := db.stmt(ctx, tx, query)
	if err != nil {
		// A *sql.Row cannot carry an error of ours: fall back to an
		// unprepared query, which reports the same problem.
		return tx.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// closeStmts closes the cached statements; the writer has stopped.
func (db *DB) closeStmts() error {
	var errs []error
	for _, s := range db.stmts {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
