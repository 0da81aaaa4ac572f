// Package ledger is hookledger's durable store: every webhook event, every
// HTTP receipt, every processing attempt, reconcile runs and the alert
// outbox, in one SQLite file.
//
// The ledger knows no provider and no Slack. Writes go through a single
// writer goroutine that gathers whatever is waiting and commits it in one
// transaction (group commit), so many concurrent receivers share one fsync
// instead of queueing for the write lock one by one.
package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DB is an open ledger. It is safe for concurrent use.
type DB struct {
	path string
	w    *sql.DB // the one write connection, used by the writer goroutine
	r    *sql.DB // read-only pool

	// Statement cache, used only by the writer goroutine: see stmt.
	stmts   map[string]*sql.Stmt // prepared on w between transactions
	txStmts map[string]*sql.Stmt // prepared in the open transaction

	// Now returns the current time; tests replace it.
	Now func() time.Time

	ledgerOnly atomic.Bool
	recorded   chan struct{} // signalled (without blocking) when new events commit

	ops      chan writeOp
	stop     chan struct{}
	done     chan struct{}
	closeMu  sync.RWMutex
	closed   bool
	closeErr error
	once     sync.Once
}

// Open opens (creating if needed) the ledger at path, applies pending
// migrations and starts the writer. The file uses WAL with synchronous=FULL:
// a write that returned nil is on disk.
func Open(ctx context.Context, path string) (*DB, error) {
	w, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	db := &DB{
		path:     path,
		w:        w,
		r:        r,
		stmts:    map[string]*sql.Stmt{},
		txStmts:  map[string]*sql.Stmt{},
		Now:      time.Now,
		ops:      make(chan writeOp, maxBatch),
		recorded: make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go db.writeLoop()
	return db, nil
}

// dsn returns the connection string for path: a read-only pool, or the
// write connection whose transactions take the write lock at BEGIN.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(ON)")
	// Savepoints journal the pages they touch: keep that statement journal
	// in memory rather than in a temp file written through syscalls.
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", "query_only(ON)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// SetLedgerOnly makes Record store new events as processed: the mode for a
// deployment with no handler, where the ledger is the product.
func (db *DB) SetLedgerOnly(on bool) { db.ledgerOnly.Store(on) }

// Recorded returns a channel that receives a value after new events were
// committed, so a processor can wake without polling. Signals coalesce.
func (db *DB) Recorded() <-chan struct{} { return db.recorded }

func (db *DB) notifyRecorded() {
	select {
	case db.recorded <- struct{}{}:
	default:
	}
}

// Path returns the file the ledger was opened from.
func (db *DB) Path() string { return db.path }

// Close stops accepting writes, commits every write already queued, and
// closes the database. It is safe to call more than once.
func (db *DB) Close() error {
	db.once.Do(func() {
		db.closeMu.Lock()
		db.closed = true
		db.closeMu.Unlock()
		close(db.stop)
		<-db.done
		db.closeErr = errors.Join(db.closeStmts(), db.r.Close(), db.w.Close())
	})
	return db.closeErr
}

// Ping reports whether the ledger answers a read and accepts writes.
func (db *DB) Ping(ctx context.Context) error {
	db.closeMu.RLock()
	closed := db.closed
	db.closeMu.RUnlock()
	if closed {
		return ErrClosed
	}
	var one int
	if err := db.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping ledger: %w", translate(err))
	}
	return nil
}
