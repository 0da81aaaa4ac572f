package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
)

// freePages returns the pages that the prune freed to the file system, a
// bounded incremental_vacuum step per batch, when the file was made with
// auto_vacuum=INCREMENTAL; b is nil for a dry run. It records in rep what
// stays free inside the file. In WAL mode the file shrinks at the next
// checkpoint.
func (db *DB) freePages(ctx context.Context, b *batcher, rep *PruneReport) error {
	var mode int
	if err := db.r.QueryRowContext(ctx, `PRAGMA auto_vacuum`).Scan(&mode); err != nil {
		return fmt.Errorf("read auto_vacuum: %w", translate(err))
	}
	rep.AutoVacuum = mode == 2
	if rep.AutoVacuum && b != nil {
		n, err := b.run(ctx, func(ctx context.Context, tx *sql.Tx, limit int) (int, error) {
			before, err := freelist(ctx, tx)
			if err != nil || before == 0 {
				return 0, err
			}
			// A pragma takes no bound parameters; limit is an int.
			if _, err := tx.ExecContext(ctx, `PRAGMA incremental_vacuum(`+strconv.Itoa(limit)+`)`); err != nil {
				return 0, translate(err)
			}
			after, err := freelist(ctx, tx)
			return before - after, err
		})
		rep.VacuumedPages += n
		if err != nil {
			return fmt.Errorf("incremental vacuum: %w", err)
		}
	}
	if err := db.r.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&rep.FreePages); err != nil {
		return fmt.Errorf("read freelist: %w", translate(err))
	}
	return nil
}

func freelist(ctx context.Context, tx *sql.Tx) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&n)
	return n, translate(err)
}
