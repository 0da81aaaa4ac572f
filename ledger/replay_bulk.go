package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// ReplayFilter selects events for RequeueMatching. Zero fields match
// everything.
type ReplayFilter struct {
	Source string
	Type   string
	State  State     // "" for any state
	Since  time.Time // provider created_at ≥ Since; zero for no bound
	Until  time.Time // provider created_at < Until; zero for no bound
	DryRun bool      // only list the matches
	// Batch is how many events one transaction requeues; default 500.
	Batch int
	// Pace is the pause between two batches, so that a large replay leaves
	// room to the receiver and the processor; zero for none.
	Pace time.Duration
}

// RequeueMatching requeues, like Requeue, every event f matches, in
// provider-created order, one bounded batch per transaction (keyset
// pagination on created_at, id), and calls fn with each batch after it
// committed (with f.DryRun, after reading it; nothing changes). Memory
// stays flat however many events match. An event under a live lease is
// skipped: its worker is running it now. It stops at the first error,
// from the ledger, from fn or from ctx; batches before it stay requeued.
func (db *DB) RequeueMatching(ctx context.Context, f ReplayFilter, fn func([]Requeued) error) error {
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
		var batch []Requeued
		step := func(ctx context.Context, tx *sql.Tx) error {
			var err error
			now := millis(db.Now())
			if batch, err = matchingPage(ctx, tx, f, after.created, after.id, now); err != nil || f.DryRun {
				return err
			}
			for _, rq := range batch {
				if err := requeueRow(ctx, tx, rq.ID, now); err != nil {
					return err
				}
			}
			return nil
		}
		var err error
		if f.DryRun {
			err = db.replayReadTx(ctx, step)
		} else {
			err = db.write(ctx, step)
		}
		if err != nil {
			return fmt.Errorf("requeue events: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		if !f.DryRun {
			db.notifyRecorded()
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
// (created, id), skipping events under a live lease.
func matchingPage(ctx context.Context, tx *sql.Tx, f ReplayFilter, created, id, now int64) ([]Requeued, error) {
	where := []string{"(created_at, id) > (?, ?)", "NOT (state = 'processing' AND lease_until > ?)"}
	args := []any{created, id, now}
	add := func(cond string, v any) { where, args = append(where, cond), append(args, v) }
	if f.Source != "" {
		add("source = ?", f.Source)
	}
	if f.Type != "" {
		add("type = ?", f.Type)
	}
	if f.State != "" {
		add("state = ?", string(f.State))
	}
	if !f.Since.IsZero() {
		add("created_at >= ?", millis(f.Since))
	}
	if !f.Until.IsZero() {
		add("created_at < ?", millis(f.Until))
	}
	args = append(args, f.Batch)
	rows, err := tx.QueryContext(ctx, `SELECT id, source, event_id, type, state, attempts, created_at
		FROM events WHERE `+strings.Join(where, " AND ")+` ORDER BY created_at, id LIMIT ?`, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []Requeued
	for rows.Next() {
		var rq Requeued
		var state string
		var createdAt int64
		if err := rows.Scan(&rq.ID, &rq.Source, &rq.EventID, &rq.Type, &state, &rq.Attempts, &createdAt); err != nil {
			return nil, translate(err)
		}
		rq.PrevState, rq.CreatedAt = State(state), fromMillis(createdAt)
		out = append(out, rq)
	}
	return out, translate(rows.Err())
}
