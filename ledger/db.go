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
	"os"
	"strconv"
	"strings"
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

	now func() time.Time // the ledger's clock: see Options.Now

	tightened []string                            // files Open made private (see Tightened)
	redactFn  atomic.Pointer[func(string) string] // see SetRedact

	recorded chan struct{} // signalled (without blocking) when new events commit

	rej        rejections                    // rejected requests waiting for the writer
	lastCommit atomic.Pointer[commitOutcome] // the writer's last transaction
	wstats     writerCounters                // see WriterStats
	codec      *codec                        // payload compression, with each source's dictionary
	probeMu    sync.Mutex                    // one health write probe at a time

	ops      chan writeOp
	stop     chan struct{}
	done     chan struct{}
	closeMu  sync.RWMutex
	closed   bool
	closeErr error
	once     sync.Once
}

// Options tune how Open uses the file. The zero value is the default.
type Options struct {
	// AutoCheckpoint is how many WAL pages a commit may leave before it
	// checkpoints them into the database file: 0 is SQLite's default
	// (1000 pages), a negative value never checkpoints, leaving it to
	// Litestream, which then must run.
	AutoCheckpoint int
	// Now is the ledger's clock: every time it stamps (received, claimed,
	// leased, settled, run started) comes from it. nil is time.Now.
	Now func() time.Time
}

// Open opens (creating if needed) the ledger at path, applies pending
// migrations and starts the writer. The file uses WAL with synchronous=FULL:
// a write that returned nil is on disk. The file and its -wal and -shm are
// private to the owner (mode 0600) whatever the umask; an existing one that
// others could read is made so (see Tightened). A new file is created with
// auto_vacuum=INCREMENTAL, so that prune can return freed pages to the file
// system; a ledger created before that keeps its mode until Vacuum.
func Open(ctx context.Context, path string) (*DB, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, o Options) (*DB, error) {
	// Before privateFiles creates it: an empty file is new too.
	fresh := isNewFile(path)
	tightened, err := privateFiles(path)
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	wdsn := dsn(path, connWrite)
	if fresh {
		// auto_vacuum must be set before the first table, and before WAL
		// mode writes the file's first page: the pragma leads the DSN.
		wdsn = withPragma(wdsn, "auto_vacuum(INCREMENTAL)", true)
	}
	if o.AutoCheckpoint != 0 {
		wdsn = withPragma(wdsn, "wal_autocheckpoint("+strconv.Itoa(max(o.AutoCheckpoint, 0))+")", false)
	}
	w, err := sql.Open("sqlite", wdsn)
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
	r, err := sql.Open("sqlite", dsn(path, connRead))
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
		now:      time.Now,
		ops:      make(chan writeOp, maxBatch),
		recorded: make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		codec:    newCodec(),
	}
	if err := db.loadDicts(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	db.tightened = tightened
	if o.Now != nil {
		db.now = o.Now
	}
	go db.writeLoop()
	return db, nil
}

// Connection kinds, for dsn.
const (
	connWrite     = iota // the one write connection: transactions take the write lock at BEGIN
	connRead             // the read pool of a writable ledger
	connReadOnly         // the pool of a ledger opened with OpenReadOnly: SQLite refuses every write
	connImmutable        // connReadOnly for a file no writer has open, in a directory we may not write
)

// dsn returns the connection string for path and kind. The path is
// escaped as a SQLite URI path, so that "?", "#" and "%" in it stay part of
// the file name.
func dsn(path string, kind int) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	switch kind {
	case connReadOnly, connImmutable:
		// mode=ro: the ledger is neither created nor written, and its
		// journal mode is whatever the file has (WAL).
		q.Set("mode", "ro")
		if kind == connImmutable {
			q.Set("immutable", "1")
		}
		q.Add("_pragma", "query_only(ON)")
		return "file:" + uriPath(path) + "?" + q.Encode()
	case connRead:
		q.Add("_pragma", "query_only(ON)")
	case connWrite:
		q.Set("_txlock", "immediate")
		// The event_counts triggers (migration 013) must see the delete
		// of a row that INSERT OR REPLACE replaces (payload pruning):
		// SQLite fires delete triggers there only with recursive triggers.
		q.Add("_pragma", "recursive_triggers(ON)")
	}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(ON)")
	// Savepoints journal the pages they touch: keep that statement journal
	// in memory rather than in a temp file written through syscalls.
	q.Add("_pragma", "temp_store(MEMORY)")
	return "file:" + uriPath(path) + "?" + q.Encode()
}

// uriPath escapes the characters that end or change a SQLite URI's path:
// "%" (escapes), "?" (the query) and "#" (the fragment).
func uriPath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// isNewFile reports whether path holds no database yet: it does not exist
// or is empty.
func isNewFile(path string) bool {
	st, err := os.Stat(path)
	return errors.Is(err, os.ErrNotExist) || (err == nil && st.Size() == 0)
}

// withPragma returns d with one more _pragma parameter, first or last
// among them: modernc applies them in order.
func withPragma(d, pragma string, first bool) string {
	base, query, _ := strings.Cut(d, "?")
	p := url.Values{"_pragma": {pragma}}.Encode()
	if first {
		return base + "?" + p + "&" + query
	}
	return base + "?" + query + "&" + p
}

// Recorded returns a channel that receives a value after new events were
// committed, so a processor can wake without polling. Signals coalesce.
func (db *DB) Recorded() <-chan struct{} { return db.recorded }

func (db *DB) notifyRecorded() {
	select {
	case db.recorded <- struct{}{}:
	default:
	}
}

// Now returns the time on the ledger's clock (Options.Now, else
// time.Now): what it stamps on what it writes.
func (db *DB) Now() time.Time { return db.now() }

// Path returns the file the ledger was opened from.
func (db *DB) Path() string { return db.path }

// Close stops accepting writes, commits every write already queued, and
// closes the database. It is safe to call more than once.
func (db *DB) Close() error {
	db.once.Do(func() {
		// Rejections still gathered in memory go with the last batch.
		if db.rej.waiting() {
			_ = db.SyncRejections(context.Background())
		}
		// A dictionary being trained goes in before the writer stops.
		db.codec.close()
		db.closeMu.Lock()
		db.closed = true
		db.closeMu.Unlock()
		if db.w == nil { // read-only: no writer
			db.closeErr = db.r.Close()
			return
		}
		close(db.stop)
		<-db.done
		db.closeErr = errors.Join(db.closeStmts(), db.r.Close(), db.w.Close())
	})
	return db.closeErr
}

// Ping reports whether the ledger answers a read. It says nothing about
// whether writes commit: see Health.
func (db *DB) Ping(ctx context.Context) error {
	if db.isClosed() {
		return ErrClosed
	}
	var one int
	if err := db.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping ledger: %w", translate(err))
	}
	return nil
}

// isClosed reports whether Close has begun.
func (db *DB) isClosed() bool {
	db.closeMu.RLock()
	defer db.closeMu.RUnlock()
	return db.closed
}
