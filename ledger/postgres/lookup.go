package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

// maxLookup bounds the ids one lookup query carries as an array.
const maxLookup = 5000

// Known returns the subset of ids that are in the ledger for source, as a
// set; an empty ids gives an empty set.
func (db *DB) Known(ctx context.Context, source string, ids []string) (map[string]bool, error) {
	known := make(map[string]bool, len(ids))
	for start := 0; start < len(ids); start += maxLookup {
		chunk := ids[start:min(start+maxLookup, len(ids))]
		rows, err := db.pool.Query(ctx, `SELECT event_id FROM events
			WHERE source = $1 AND event_id = ANY($2::text[])`, source, chunk)
		if err != nil {
			return nil, fmt.Errorf("look up events: %w", translate(err))
		}
		found, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("look up events: %w", translate(err))
		}
		for _, id := range found {
			known[id] = true
		}
	}
	return known, nil
}

// CountPresent returns how many distinct ids of ids are events of source
// in the ledger, in any state; 0 for an empty ids.
func (db *DB) CountPresent(ctx context.Context, source string, ids []string) (int, error) {
	known, err := db.Known(ctx, source, ids)
	if err != nil {
		return 0, fmt.Errorf("count present events: %w", err)
	}
	return len(known), nil
}

// WindowStats returns the processing counts of source's events created in
// [since, until), as ledger.DB.WindowStats does: an event is stuck when it
// is pending or failed and was received before stuckBefore; the id lists
// hold at most limit ids each, oldest first; the counts are exact.
func (db *DB) WindowStats(ctx context.Context, source string, since, until, stuckBefore time.Time, limit int) (ledger.WindowStats, error) {
	var s ledger.WindowStats
	var pending, stuck, dead, processed, due, dueProcessed int64
	err := db.pool.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE state IN ('pending', 'processing', 'failed')),
		count(*) FILTER (WHERE state IN ('pending', 'failed') AND received_at < $1),
		count(*) FILTER (WHERE state = 'dead'),
		count(*) FILTER (WHERE state = 'processed'),
		count(*) FILTER (WHERE received_at < $1),
		count(*) FILTER (WHERE state = 'processed' AND received_at < $1)
		FROM events WHERE source = $2 AND created_at >= $3 AND created_at < $4`,
		millis(stuckBefore), source, millis(since), millis(until),
	).Scan(&pending, &stuck, &dead, &processed, &due, &dueProcessed)
	if err != nil {
		return s, fmt.Errorf("read window stats: %w", translate(err))
	}
	s.Pending, s.Stuck, s.Dead, s.Processed = int(pending), int(stuck), int(dead), int(processed)
	s.Due, s.DueProcessed = int(due), int(dueProcessed)
	if s.Stuck > 0 {
		s.StuckIDs, err = db.windowIDs(ctx, `state IN ('pending', 'failed') AND received_at < $5`,
			source, since, until, limit, millis(stuckBefore))
		if err != nil {
			return s, fmt.Errorf("read window stats: %w", err)
		}
	}
	if s.Dead > 0 {
		if s.DeadIDs, err = db.windowIDs(ctx, `state = 'dead'`, source, since, until, limit); err != nil {
			return s, fmt.Errorf("read window stats: %w", err)
		}
	}
	return s, nil
}

func (db *DB) windowIDs(ctx context.Context, cond, source string, since, until time.Time, limit int, extra ...any) ([]string, error) {
	args := append([]any{source, millis(since), millis(until), limit}, extra...)
	rows, err := db.pool.Query(ctx, `SELECT event_id FROM events
		WHERE source = $1 AND created_at >= $2 AND created_at < $3 AND `+cond+`
		ORDER BY created_at, id LIMIT $4`, args...)
	if err != nil {
		return nil, translate(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return ids, translate(err)
}
