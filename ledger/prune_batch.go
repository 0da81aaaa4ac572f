package ledger

import (
	"context"
	"database/sql"
	"time"
)

// Batch sizes, in rows (or pages, for vacuum steps), between which a
// batcher adapts.
const (
	minPruneBatch   = 10
	maxPruneBatch   = 2000
	startPruneBatch = 100
)

// batcher runs maintenance as a series of short writes through the one
// writer, in the style of river's job cleaner: each batch takes at most
// size rows, the size adapts so a batch holds the writer about target,
// and a pause between batches lets the queued intake commit.
type batcher struct {
	db     *DB
	target time.Duration
	pause  time.Duration
	rep    *PruneReport
	size   int
}

// step does one batch in tx, taking at most limit rows, and returns how
// many it took.
type step func(ctx context.Context, tx *sql.Tx, limit int) (int, error)

// run calls fn in batches until a batch takes fewer rows than it was
// allowed, and returns the rows taken in all.
func (b *batcher) run(ctx context.Context, fn step) (int, error) {
	if b.size == 0 {
		b.size = startPruneBatch
	}
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		limit := b.size
		n, held, err := b.once(ctx, fn, limit)
		total += n
		if err != nil {
			return total, err
		}
		if n < limit {
			return total, nil
		}
		b.adapt(held)
		if b.pause > 0 {
			select {
			case <-ctx.Done():
				return total, ctx.Err()
			case <-time.After(b.pause):
			}
		}
	}
}

// once runs one batch and measures how long it held the writer: from its
// first statement to the commit of the transaction that carried it.
func (b *batcher) once(ctx context.Context, fn step, limit int) (int, time.Duration, error) {
	var began time.Time
	var n int
	err := b.db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		began = time.Now()
		var err error
		n, err = fn(ctx, tx, limit)
		return err
	})
	if began.IsZero() {
		return 0, 0, err
	}
	held := time.Since(began)
	b.rep.Batches++
	b.rep.Held += held
	b.rep.MaxBatch = max(b.rep.MaxBatch, held)
	if held > SlowBatch {
		b.rep.SlowBatches++
	}
	if err != nil {
		return 0, held, err
	}
	return n, held, nil
}

// adapt halves the batch after one that held the writer well past the
// target and doubles it after one well under it.
func (b *batcher) adapt(held time.Duration) {
	switch {
	case held > b.target*3/2:
		b.size = max(b.size/2, minPruneBatch)
	case held < b.target/2:
		b.size = min(b.size*2, maxPruneBatch)
	}
}

// execCount runs a write statement through the statement cache and
// returns the rows it changed.
func (db *DB) execCount(ctx context.Context, tx *sql.Tx, query string, args ...any) (int, error) {
	res, err := db.exec(ctx, tx, query, args...)
	if err != nil {
		return 0, translate(err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
