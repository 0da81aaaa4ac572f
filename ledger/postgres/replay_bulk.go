package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

// RequeueMatching requeues, like Requeue, every event f matches, in
// provider-created order, one bounded batch per transaction (keyset
// pagination on created_at, id), and calls fn with each batch after it
// committed (with f.DryRun, after reading it; nothing changes), as
// ledger.DB.RequeueMatching does. An event under a live lease is skipped:
// its worker is running it now; so is one another transaction holds
// locked (SKIP LOCKED), typically a claim on another instance. It stops
// at the first error, from the ledger, from fn or from ctx; batches before
// it stay requeued.
func (db *DB) RequeueMatching(ctx context.Context, f ledger.ReplayFilter, fn func([]ledger.Requeued) error) error {
	if f.Batch <= 0 {
		f.Batch = 500
	}
	var after struct{ created, id int64 }
	for first := true; ; first = false {
		if !first && f.Pace > 0 {
			select {
			case <-time.After(f.Pace):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		var batch []ledger.Requeued
		err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			var err error
			now := millis(db.now())
			if batch, err = matchingPage(ctx, tx, f, after.created, after.id, now); err != nil || f.DryRun || len(batch) == 0 {
				return err
			}
			ids := make([]int64, len(batch))
			for i, rq := range batch {
				ids[i] = rq.ID
			}
			_, err = tx.Exec(ctx, requeueSet+` WHERE id = ANY($2::bigint[])`, now, ids)
			return err
		})
		if err != nil {
			return fmt.Errorf("requeue events: %w", translate(err))
		}
		if len(batch) == 0 {
			return nil
		}
		if !f.DryRun {
			db.wakeAll()
		}
		last := batch[len(batch)-1]
		after.created, after.id = millis(last.CreatedAt), last.ID
		if err := fn(batch); err != nil {
			return err
		}
		if len(batch) < f.Batch {
			return nil
		}
	}
}

// matchingPage reads the next f.Batch events f matches after the cursor
// (created, id), skipping events under a live lease, and locks them
// unless f.DryRun.
func matchingPage(ctx context.Context, tx pgx.Tx, f ledger.ReplayFilter, created, id, now int64) ([]ledger.Requeued, error) {
	where := []string{"(created_at, id) > ($1, $2)", "NOT (state = 'processing' AND lease_until > $3)"}
	args := []any{created, id, now}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Source != "" {
		add("source = $%d", f.Source)
	}
	if f.Type != "" {
		add("type = $%d", f.Type)
	}
	if f.State != "" {
		add("state = $%d", string(f.State))
	}
	if !f.Since.IsZero() {
		add("created_at >= $%d", millis(f.Since))
	}
	if !f.Until.IsZero() {
		add("created_at < $%d", millis(f.Until))
	}
	args = append(args, f.Batch)
	lock := " FOR UPDATE SKIP LOCKED"
	if f.DryRun {
		lock = ""
	}
	rows, err := tx.Query(ctx, `SELECT id, source, event_id, type, state, attempts, created_at
		FROM events WHERE `+strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY created_at, id LIMIT $%d`, len(args))+lock, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (ledger.Requeued, error) {
		var rq ledger.Requeued
		var state string
		var createdAt int64
		err := row.Scan(&rq.ID, &rq.Source, &rq.EventID, &rq.Type, &state, &rq.Attempts, &createdAt)
		rq.PrevState, rq.CreatedAt = ledger.State(state), fromMillis(createdAt)
		return rq, err
	})
}
