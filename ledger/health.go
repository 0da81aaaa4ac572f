package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// healthFresh is how long the outcome of the writer's last transaction
// stands for its health; past it, Health probes with a write of its own.
const healthFresh = 5 * time.Second

// probeSpacing bounds how often Health probes, however often it is asked.
const probeSpacing = time.Second

// commitOutcome is what became of one of the writer's transactions.
type commitOutcome struct {
	at  time.Time
	err error
}

// noteCommit records the outcome of a writer transaction for Health.
func (db *DB) noteCommit(err error) {
	db.lastCommit.Store(&commitOutcome{at: time.Now(), err: err})
}

// Health reports whether the writer can commit: nil when its last
// transaction, within the last few seconds, committed. When the writer has
// been idle that long, or its last transaction failed, Health commits a
// one-row write probe through the writer and reports that (at most one
// probe a second; callers in between get the latest outcome). It returns
// ErrClosed after Close, and an error wrapping ErrUnavailable when the store
// refuses writes (disk full, read-only, I/O error).
func (db *DB) Health(ctx context.Context) error {
	if db.isClosed() {
		return ErrClosed
	}
	if o := db.lastCommit.Load(); o != nil && o.err == nil && time.Since(o.at) < healthFresh {
		return nil
	}
	db.probeMu.Lock()
	defer db.probeMu.Unlock()
	if o := db.lastCommit.Load(); o != nil && time.Since(o.at) < probeSpacing {
		return wrapHealth(o.err)
	}
	return wrapHealth(db.write(ctx, db.probe))
}

func wrapHealth(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("ledger cannot commit: %w", err)
}

// probeBytes is how much a write probe writes: about a large webhook's
// event and receipt, so a probe that commits means a webhook could.
const probeBytes = 64 << 10

// probe is a write function that rewrites one row of probeBytes, so its
// commit appends as much to the write-ahead log as a webhook would.
func (db *DB) probe(ctx context.Context, tx *sql.Tx) error {
	_, err := db.exec(ctx, tx, `INSERT INTO writer_probe (id, at, pad) VALUES (1, ?, randomblob(?))
		ON CONFLICT (id) DO UPDATE SET at = excluded.at, pad = excluded.pad`, millis(db.now()), probeBytes)
	return translate(err)
}
