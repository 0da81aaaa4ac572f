package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

// Requeue makes the event (source, eventID) pending and due now, whatever
// its state, as ledger.DB.Requeue does: its next attempt records origin
// replay, its history stays, and it gets a fresh budget of attempts. It
// returns ledger.ErrNotFound for an unknown event, ledger.ErrLeased for
// one under a live lease and ledger.ErrPayloadPruned for one whose payload
// is gone.
func (db *DB) Requeue(ctx context.Context, source, eventID string) (*ledger.Requeued, error) {
	now := millis(db.now())
	rq := &ledger.Requeued{Source: source, EventID: eventID}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var state string
		var leaseUntil, created, pruned int64
		err := tx.QueryRow(ctx, `SELECT id, type, state, attempts, lease_until, created_at, payload_pruned_at
			FROM events WHERE source = $1 AND event_id = $2 FOR UPDATE`, source, eventID).
			Scan(&rq.ID, &rq.Type, &state, &rq.Attempts, &leaseUntil, &created, &pruned)
		if err != nil {
			return translate(err)
		}
		if pruned != 0 {
			return ledger.ErrPayloadPruned
		}
		rq.PrevState, rq.CreatedAt = ledger.State(state), fromMillis(created)
		if rq.PrevState == ledger.StateProcessing && leaseUntil > now {
			return ledger.ErrLeased
		}
		_, err = tx.Exec(ctx, requeueSet+` WHERE id = $2`, now, rq.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("requeue %s %s: %w", source, eventID, translate(err))
	}
	db.wakeAll()
	return rq, nil
}

// requeueSet is the change a replay makes; $1 is the time.
const requeueSet = `UPDATE events SET state = 'pending', next_attempt_at = 0,
	attempt_origin = 'replay', replay_base = attempts, lease_owner = '', lease_until = 0,
	processed_at = 0, updated_at = $1`

// RequeueDead requeues, like Requeue, every dead event that f matches and
// returns them in provider-created order; with f.DryRun it only returns
// them. It returns an empty slice when nothing matches.
func (db *DB) RequeueDead(ctx context.Context, f ledger.DeadFilter) ([]ledger.Requeued, error) {
	now := millis(db.now())
	const match = ` WHERE state = 'dead' AND ($2 = '' OR source = $2) AND created_at >= $3`
	const cols = ` id, source, event_id, type, attempts, created_at`
	q := requeueSet + match + ` RETURNING` + cols
	if f.DryRun {
		q = `SELECT` + cols + ` FROM events` + match + ` AND $1::bigint IS NOT NULL`
	}
	var out []ledger.Requeued
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, q, now, f.Source, millis(f.Since))
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (ledger.Requeued, error) {
			rq := ledger.Requeued{PrevState: ledger.StateDead}
			var created int64
			err := row.Scan(&rq.ID, &rq.Source, &rq.EventID, &rq.Type, &rq.Attempts, &created)
			rq.CreatedAt = fromMillis(created)
			return rq, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("requeue dead events: %w", translate(err))
	}
	slices.SortFunc(out, func(a, b ledger.Requeued) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	if len(out) > 0 && !f.DryRun {
		db.wakeAll()
	}
	if out == nil {
		out = []ledger.Requeued{}
	}
	return out, nil
}
