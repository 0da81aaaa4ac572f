package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

// eventSel selects the event rows a prune or purge deletes: one state,
// received before a cutoff, and for processed events also created and
// processed before it (an event backfilled or replayed lately is as young
// as its latest date).
type eventSel struct {
	state  ledger.State
	source string // "" for every source
	before int64  // Unix ms; 0 for no bound
}

// processedBefore selects processed events older than cut on every date.
func processedBefore(cut int64) eventSel {
	return eventSel{state: ledger.StateProcessed, before: cut}
}

// where returns the condition for source on the events_state index
// (state, source, received_at), with its arguments as $1, $2, $3.
func (s eventSel) where(source string) (string, []any) {
	cond := `state = $1 AND source = $2 AND ($3::bigint = 0 OR received_at < $3::bigint)`
	if s.state == ledger.StateProcessed && s.before > 0 {
		cond += ` AND created_at < $3::bigint AND processed_at < $3::bigint`
	}
	return cond, []any{string(s.state), source, s.before}
}

// pruneEvents deletes the events sel selects, source by source, in
// batches, with their attempts and receipts.
func (db *DB) pruneEvents(ctx context.Context, b *batcher, sel eventSel) error {
	srcs := []string{sel.source}
	if sel.source == "" {
		var err error
		if srcs, err = db.Sources(ctx); err != nil {
			return fmt.Errorf("prune events: %w", err)
		}
	}
	for _, src := range srcs {
		cond, args := sel.where(src)
		_, err := b.run(ctx, func(ctx context.Context, tx pgx.Tx, limit int) (int, error) {
			return deleteEvents(ctx, tx, cond, args, limit, b.Report)
		})
		if err != nil {
			return fmt.Errorf("prune events of %s: %w", src, translate(err))
		}
	}
	return nil
}

// deleteEvents deletes up to limit events matching cond, oldest received
// first, with their attempts and receipts (rows, and the first
// delivery's on the event row), adding to rep; it returns how many
// events it deleted. Rows under a lease taken meanwhile are skipped
// (SKIP LOCKED), not waited for.
func deleteEvents(ctx context.Context, tx pgx.Tx, cond string, args []any, limit int, rep *ledger.PruneReport) (int, error) {
	var events, attempts, receipts int
	err := tx.QueryRow(ctx, `WITH doomed AS (
			SELECT id, source, event_id FROM events WHERE `+cond+`
			ORDER BY received_at LIMIT $4 FOR UPDATE SKIP LOCKED),
		a AS (DELETE FROM attempts WHERE event_row IN (SELECT id FROM doomed) RETURNING 1),
		r AS (DELETE FROM receipts USING doomed d WHERE receipts.source = d.source
			AND receipts.event_id = d.event_id RETURNING 1),
		e AS (DELETE FROM events WHERE id IN (SELECT id FROM doomed) RETURNING receipt_at)
		SELECT (SELECT count(*) FROM e), (SELECT count(*) FROM a),
			(SELECT count(*) FROM r) + (SELECT count(*) FROM e WHERE receipt_at <> 0)`,
		append(args, limit)...).Scan(&events, &attempts, &receipts)
	if err != nil {
		return 0, err
	}
	rep.Events, rep.Attempts, rep.Receipts = rep.Events+events, rep.Attempts+attempts, rep.Receipts+receipts
	return events, nil
}
