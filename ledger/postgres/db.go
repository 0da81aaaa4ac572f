// Package postgres is the PostgreSQL backend of the hookledger ledger: the
// same model (ledger.Event, ledger.Claim, ledger.Receipt…) and the same
// contract as the SQLite ledger, for several hookledger processes sharing
// one database. Intake shares commits between concurrent requests; claims
// take events with FOR UPDATE SKIP LOCKED under leases any instance can
// reap; a LISTEN/NOTIFY channel wakes every instance's processor when
// events are recorded anywhere. Scheduled work runs on the instance that
// holds the scheduler lease (TakeLease), and each outbox message is
// claimed by one deliverer (ClaimAlertMessage). ledgertest.Exercise runs
// against it (TestPostgresLedger).
//
// The command line selects it with HOOKLEDGER_DB=postgres://… (see
// cmd/hookledger/internal/app.OpenLedger).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookledger/hookledger/ledger"
)

// Options tunes Open. The zero value is the default.
type Options struct {
	// Now is the ledger's clock; time.Now when nil.
	Now func() time.Time
	// MaxConns caps the pool; 0 means the connection string's
	// pool_max_conns, else 16.
	MaxConns int32
	// Committers is how many intake transactions may commit at once;
	// default 2. Concurrent Records wait in one queue and each committer
	// takes every request waiting when it starts, so requests share
	// commits. Most of the server's work is per commit: with 4, batches
	// held about half as many events and the server spent about twice the
	// CPU per request (BENCHMARKS.md, PostgreSQL), the more so with
	// several instances on one database.
	Committers int
	// ReadOnly opens an existing ledger for reading only: every
	// transaction is read-only (default_transaction_read_only), no
	// migration runs, and Open fails with ledger.ErrNoLedger when the
	// database holds no ledger, with ledger.ErrSchemaMismatch when its
	// schema is not this build's.
	ReadOnly bool
}

// defaultMaxConns is the pool size when neither Options.MaxConns nor the
// connection string's pool_max_conns sets one.
const defaultMaxConns = 16

// DB is a hookledger ledger on PostgreSQL. It is safe for concurrent use,
// also by several processes on the same database.
type DB struct {
	pool     *pgxpool.Pool
	now      func() time.Time
	schema   string // current_schema() of the pool's connections
	applied  []string
	redactFn atomic.Pointer[func(string) string]
	closed   atomic.Bool

	intake   chan *recordReq
	recorded chan struct{} // signalled (coalescing) when events are committed here or elsewhere
	token    string        // names this DB in its notifications
	pending  chan struct{} // signalled (coalescing) when the other instances are to be notified
	quit     chan struct{} // closed to stop the notifier, once nothing commits any more
	notified chan struct{} // closed once the notifier has stopped
	stop     context.CancelFunc
	wg       sync.WaitGroup
	exited   chan struct{} // closed once the committers, listener and notifier have stopped
	commits  atomic.Int64  // intake transactions committed, for tests and metrics
	requests atomic.Int64  // Records those transactions committed
	health   healthProbe
	rej      rejections
}

// Open connects to the PostgreSQL database connString names (a postgres://
// or postgresql:// URL, or key=value pairs), applies the embedded
// migrations not applied yet under an advisory lock, so that instances
// starting together migrate once, and starts the intake committers and the
// notification listener. It fails with ledger.ErrSchemaMismatch when the
// database's applied migrations are not this build's, and with an error
// wrapping ledger.ErrUnavailable when the server cannot be reached.
func Open(ctx context.Context, connString string, opts Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		// pgx's parse errors can quote the string, password included.
		return nil, errors.New("open postgres ledger: invalid connection string")
	}
	// Intake answers 2xx only after a durable commit, whatever the server's
	// or the role's default is.
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	if opts.ReadOnly {
		cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	} else {
		cfg.AfterConnect = preferLZ4
	}
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !strings.Contains(connString, "pool_max_conns"):
		// pgxpool's default (the CPU count, at least 4) is no more than the
		// committers alone; claims, settles and reads need their own.
		cfg.MaxConns = defaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres ledger: %w", translate(err))
	}
	db := &DB{pool: pool, now: opts.Now, intake: make(chan *recordReq, 1024), recorded: make(chan struct{}, 1),
		token: newToken(), pending: make(chan struct{}, 1), quit: make(chan struct{}), notified: make(chan struct{}),
		exited: make(chan struct{})}
	if db.now == nil {
		db.now = time.Now
	}
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&db.schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres ledger: %w", translate(err))
	}
	if opts.ReadOnly {
		err = checkCurrent(ctx, pool)
	} else {
		db.applied, err = migrate(ctx, pool)
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres ledger: %w", err)
	}
	bg, stop := context.WithCancel(context.Background())
	db.stop = stop
	committers := opts.Committers
	if committers <= 0 {
		committers = 2
	}
	for range committers {
		db.wg.Add(1)
		go db.commitLoop(bg)
	}
	db.wg.Add(2)
	go db.listen(bg)
	go db.flushLoop(bg)
	go db.notifyLoop(db.quit)
	return db, nil
}

// preferLZ4 makes conn compress the values it stores (payloads over
// about 2 KB) with lz4 where the server was built with it, instead of the
// default pglz, which took a tenth of the server's CPU in intake. It is
// the connection's default_toast_compression; a column's own setting
// would win, and every value keeps its method, so a ledger may hold both
// and reads either.
func preferLZ4(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, `SELECT set_config('default_toast_compression', 'lz4', false)
		FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)`)
	return err
}

// Now returns the ledger clock's time.
func (db *DB) Now() time.Time { return db.now() }

// Applied returns the names of the migrations this Open applied; empty
// when the schema was already current.
func (db *DB) Applied() []string { return append([]string(nil), db.applied...) }

// Recorded signals, coalescing, that new events were committed, by this
// process or by another one on the same database (through NOTIFY).
func (db *DB) Recorded() <-chan struct{} { return db.recorded }

// wakeAll signals, after a commit that made events ready, the
// processors of this DB at once (Recorded) and those of the other
// instances through the notifier.
func (db *DB) wakeAll() {
	db.notifyRecorded()
	db.announce()
}

func (db *DB) notifyRecorded() {
	select {
	case db.recorded <- struct{}{}:
	default:
	}
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if db.closed.Load() {
		return ledger.ErrClosed
	}
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping ledger: %w", translate(err))
	}
	return nil
}

// Close stops the committers (after the requests they hold), the
// listener and then the notifier (after a last notification, when one is
// due), and closes the pool. Records issued after Close fail with
// ledger.ErrClosed. It is safe to call more than once.
func (db *DB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	db.stop()
	db.wg.Wait()
	close(db.quit)
	<-db.notified
	close(db.exited)
	db.pool.Close()
	return nil
}
