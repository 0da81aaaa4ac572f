package ledger

import (
	"context"
	"database/sql"
	"time"
)

// Batch sizes, in rows (or pages, for vacuum steps), between which
// Batches adapts.
const (
	minPruneBatch   = 10
	maxPruneBatch   = 2000
	startPruneBatch = 100
)

// Batches runs maintenance as a series of short transactions, in the
// style of river's job cleaner: each batch takes at most a limit of rows,
// the limit adapts so a batch holds the writer (or its rows' locks) about
// Target, and a Pause between batches lets intake go first. Each backend
// runs its batches through one; what they did is added to Report.
type Batches struct {
	Target time.Duration
	Pause  time.Duration
	Report *PruneReport
	size   int
}

// Run calls once with a row limit until a batch takes fewer rows than it
// was allowed, and returns the rows taken in all. once runs one batch in a
// transaction of its own and returns the rows it took and how long it held
// the transaction; held is 0 for a batch that never began, which is not
// counted.
func (b *Batches) Run(ctx context.Context, once func(ctx context.Context, limit int) (n int, held time.Duration, err error)) (int, error) {
	if b.size == 0 {
		b.size = startPruneBatch
	}
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		limit := b.size
		n, held, err := once(ctx, limit)
		if held > 0 {
			b.Report.Batches++
			b.Report.Held += held
			b.Report.MaxBatch = max(b.Report.MaxBatch, held)
			if held > SlowBatch {
				b.Report.SlowBatches++
			}
		}
		if err != nil {
			return total, err
		}
		total += n
		if n < limit {
			return total, nil
		}
		b.adapt(held)
		if b.Pause > 0 {
			select {
			case <-ctx.Done():
				return total, ctx.Err()
			case <-time.After(b.Pause):
			}
		}
	}
}

// adapt halves the batch after one that held well past the target and
// doubles it after one well under it.
func (b *Batches) adapt(held time.Duration) {
	switch {
	case held > b.Target*3/2:
		b.size = max(b.size/2, minPruneBatch)
	case held < b.Target/2:
		b.size = min(b.size*2, maxPruneBatch)
	}
}

// batcher runs the SQLite ledger's maintenance batches through its one
// writer.
type batcher struct {
	db *DB
	Batches
}

// step does one batch in tx, taking at most limit rows, and returns how
// many it took.
type step func(ctx context.Context, tx *sql.Tx, limit int) (int, error)

// run runs fn in batches (see Batches.Run), each measured from its first
// statement to the commit of the writer transaction that carried it.
func (b *batcher) run(ctx context.Context, fn step) (int, error) {
	return b.Batches.Run(ctx, func(ctx context.Context, limit int) (int, time.Duration, error) {
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
		return n, time.Since(began), err
	})
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
