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

// ErrClosed is returned by writes issued after Close.
var ErrClosed = errors.New("ledger closed")

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// maxBatch bounds how many queued writes one transaction commits.
const maxBatch = 512

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

// writeOp is one write waiting for the group transaction: a function run
// in its own savepoint, or a Record, which the writer inserts together
// with the other Records of the batch.
type writeOp struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	rec  *recordReq
	done chan error
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

// write queues fn to run inside the next group transaction and waits until
// that transaction committed (nil) or failed. fn runs inside its own
// savepoint: an error from fn undoes only fn's changes and is returned to
// this caller alone; the rest of the batch still commits.
func (db *DB) write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return db.enqueue(ctx, writeOp{ctx: ctx, fn: fn, done: make(chan error, 1)})
}

// enqueue hands op to the writer and waits for its outcome.
func (db *DB) enqueue(ctx context.Context, op writeOp) error {
	db.closeMu.RLock()
	if db.closed {
		db.closeMu.RUnlock()
		return ErrClosed
	}
	select {
	case db.ops <- op:
		db.closeMu.RUnlock()
	case <-ctx.Done():
		db.closeMu.RUnlock()
		return ctx.Err()
	}
	// Once queued, wait for the outcome even if ctx ends: the caller must
	// not report failure for a write that then commits.
	return <-op.done
}

func (db *DB) writeLoop() {
	defer close(db.done)
	batch := make([]writeOp, 0, maxBatch)
	for {
		batch = batch[:0]
		select {
		case op := <-db.ops:
			batch = append(batch, op)
		case <-db.stop:
			// Drain what was queued before Close took the lock.
			for {
				select {
				case op := <-db.ops:
					batch = append(batch, op)
					if len(batch) == maxBatch {
						db.commit(batch)
						batch = batch[:0]
					}
				default:
					if len(batch) > 0 {
						db.commit(batch)
					}
					return
				}
			}
		}
	gather:
		for len(batch) < maxBatch {
			select {
			case op := <-db.ops:
				batch = append(batch, op)
			default:
				break gather
			}
		}
		db.commit(batch)
	}
}

// commit runs batch in one transaction and answers every op.
func (db *DB) commit(batch []writeOp) {
	errs := make([]error, len(batch))
	err := db.commitTx(batch, errs)
	for i, op := range batch {
		if err != nil {
			op.done <- err
		} else {
			op.done <- errs[i]
		}
	}
}

func (db *DB) commitTx(batch []writeOp, errs []error) error {
	// The batch outlives any one caller's context: use a fresh one bounded
	// in time so a stuck disk surfaces as an error, not a hang.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	defer db.prepareSeen(ctx)
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", translate(err))
	}
	defer tx.Rollback()
	// Records go first, together: their only failures are the store's
	// own (a full disk), which fail the whole batch anyway.
	var recs []*recordReq
	for i, op := range batch {
		if err := op.ctx.Err(); err != nil {
			errs[i] = err
		} else if op.rec != nil {
			recs = append(recs, op.rec)
		}
	}
	if len(recs) > 0 {
		if err := db.recordAll(ctx, tx, recs); err != nil {
			return fmt.Errorf("record events: %w", err)
		}
	}
	single := len(batch)-len(recs) == 1
	for i, op := range batch {
		if op.rec != nil || errs[i] != nil {
			continue
		}
		if single {
			errs[i] = op.fn(ctx, tx)
			if errs[i] != nil {
				return errs[i]
			}
			continue
		}
		if _, err := db.exec(ctx, tx, "SAVEPOINT op"); err != nil {
			return fmt.Errorf("savepoint: %w", translate(err))
		}
		if errs[i] = op.fn(ctx, tx); errs[i] != nil {
			if _, err := db.exec(ctx, tx, "ROLLBACK TO op"); err != nil {
				return fmt.Errorf("rollback to savepoint: %w", translate(err))
			}
		}
		if _, err := db.exec(ctx, tx, "RELEASE op"); err != nil {
			return fmt.Errorf("release savepoint: %w", translate(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", translate(err))
	}
	return nil
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
