package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"time"
)

// maxBatch bounds how many queued writes one transaction commits.
const maxBatch = 512

// writeOp is one write waiting for the group transaction: a function run
// in its own savepoint, or a Record, which the writer inserts together
// with the other Records of the batch.
type writeOp struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	rec  *recordReq
	done chan error
}

// write queues fn to run inside the next group transaction and waits until
// that transaction committed (nil) or failed. fn runs inside its own
// savepoint (or alone in the transaction): an error from fn undoes only
// fn's changes and is returned to this caller alone; the rest of the batch
// still commits. It returns ErrClosed after Close, and ctx's error when ctx
// ends before the writer took fn.
func (db *DB) write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return db.enqueue(ctx, writeOp{ctx: ctx, fn: fn, done: make(chan error, 1)})
}

// enqueue hands op to the writer and waits for its outcome.
func (db *DB) enqueue(ctx context.Context, op writeOp) error {
	if db.w == nil {
		return ErrReadOnly
	}
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

// writeLoop is the writer goroutine: it takes the first queued op, gathers
// whatever else waits (up to maxBatch) and commits them together, until
// Close, after which it commits what is still queued and returns.
func (db *DB) writeLoop() {
	defer close(db.done)
	// One thread for the writer, so that its CPU can be told apart from
	// the rest of the process (see WriterStats).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
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

// commit runs batch in one transaction and answers every op: with its own
// error, or with the transaction's when the whole batch failed.
func (db *DB) commit(batch []writeOp) {
	errs := make([]error, len(batch))
	start, cpu0 := time.Now(), threadCPU()
	err := db.commitTx(batch, errs)
	db.noteCommit(err)
	if err == nil {
		db.wstats.measure(start, cpu0, recorded(batch, errs))
	}
	for i, op := range batch {
		if err != nil {
			op.done <- err
		} else {
			op.done <- errs[i]
		}
	}
}

// recorded counts the ops of a committed batch that recorded a new event.
func recorded(batch []writeOp, errs []error) int {
	n := 0
	for i, op := range batch {
		if op.rec != nil && op.rec.isNew && errs[i] == nil {
			n++
		}
	}
	return n
}

// commitTx runs batch in one transaction, setting errs[i] for each op that
// failed alone. A non-nil return fails the whole batch: nothing committed.
func (db *DB) commitTx(batch []writeOp, errs []error) error {
	// The batch outlives any one caller's context: use a fresh one bounded
	// in time so a stuck disk surfaces as an error, not a hang.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Deferred before the rollback, so it runs after it: preparing on the
	// connection must wait until the transaction let go of it.
	defer db.prepareSeen(ctx)
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", translate(err))
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
	// A write alone in its transaction needs no savepoint: its failure may
	// undo the whole transaction, which holds nothing else.
	alone := len(batch) == 1
	for i, op := range batch {
		if op.rec != nil || errs[i] != nil {
			continue
		}
		if alone {
			errs[i] = op.fn(ctx, tx)
			if errs[i] != nil {
				return errs[i]
			}
			continue
		}
		if errs[i], err = db.runSavepoint(ctx, tx, op); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", translate(err))
	}
	return nil
}

// runSavepoint runs op's function in a savepoint of tx, undoing its changes
// when it fails. It returns op's own error, and a non-nil txErr when the
// savepoint itself failed, which fails the whole transaction.
func (db *DB) runSavepoint(ctx context.Context, tx *sql.Tx, op writeOp) (opErr, txErr error) {
	if _, err := db.exec(ctx, tx, "SAVEPOINT op"); err != nil {
		return nil, fmt.Errorf("set savepoint: %w", translate(err))
	}
	if opErr = op.fn(ctx, tx); opErr != nil {
		if _, err := db.exec(ctx, tx, "ROLLBACK TO op"); err != nil {
			return opErr, fmt.Errorf("roll back to savepoint: %w", translate(err))
		}
	}
	if _, err := db.exec(ctx, tx, "RELEASE op"); err != nil {
		return opErr, fmt.Errorf("release savepoint: %w", translate(err))
	}
	return opErr, nil
}
