package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// maxLookup bounds the ids one lookup query carries (SQLite's variable
// limit is far higher; this keeps each statement small).
const maxLookup = 500

// Known returns the subset of ids that are in the ledger for source, as a
// set. It reads through the read pool, one query per 500 ids; an empty ids
// gives an empty set.
func (db *DB) Known(ctx context.Context, source string, ids []string) (map[string]bool, error) {
	known := make(map[string]bool, len(ids))
	for start := 0; start < len(ids); start += maxLookup {
		chunk := ids[start:min(start+maxLookup, len(ids))]
		if err := db.known(ctx, source, chunk, known); err != nil {
			return nil, fmt.Errorf("look up events: %w", err)
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

func (db *DB) known(ctx context.Context, source string, ids []string, into map[string]bool) error {
	rows, err := db.r.QueryContext(ctx, `SELECT event_id FROM events
		WHERE source = ? AND event_id IN (`+placeholders(len(ids))+`)`, append([]any{source}, anys(ids)...)...)
	if err != nil {
		return translate(err)
	}
	found, err := scanIDs(rows)
	for _, id := range found {
		into[id] = true
	}
	return err
}

// WindowStats counts one source's events created in a window by where they
// are in processing.
type WindowStats struct {
	Pending   int // pending, processing or failed
	Stuck     int // pending or failed and received before the stuck cutoff
	Dead      int // dead
	Processed int // processed
	// Due counts the events received before the stuck cutoff: those that
	// have had their time to be processed (a fresh backfill has not), and
	// DueProcessed those of them that are processed.
	Due, DueProcessed int
	StuckIDs          []string // up to the limit, oldest first
	DeadIDs           []string // up to the limit, oldest first
}

// WindowStats returns the processing counts of source's events created in
// [since, until). An event is stuck when it is pending or failed and was
// received before stuckBefore. The id lists hold at most limit ids each;
// the counts are exact.
func (db *DB) WindowStats(ctx context.Context, source string, since, until, stuckBefore time.Time, limit int) (WindowStats, error) {
	var s WindowStats
	err := db.r.QueryRowContext(ctx, `SELECT
		count(CASE WHEN state IN ('pending', 'processing', 'failed') THEN 1 END),
		count(CASE WHEN state IN ('pending', 'failed') AND received_at < ? THEN 1 END),
		count(CASE WHEN state = 'dead' THEN 1 END),
		count(CASE WHEN state = 'processed' THEN 1 END),
		count(CASE WHEN received_at < ? THEN 1 END),
		count(CASE WHEN state = 'processed' AND received_at < ? THEN 1 END)
		FROM events WHERE source = ? AND created_at >= ? AND created_at < ?`,
		millis(stuckBefore), millis(stuckBefore), millis(stuckBefore), source, millis(since), millis(until),
	).Scan(&s.Pending, &s.Stuck, &s.Dead, &s.Processed, &s.Due, &s.DueProcessed)
	if err != nil {
		return s, fmt.Errorf("read window stats: %w", translate(err))
	}
	if s.Stuck > 0 {
		s.StuckIDs, err = db.windowIDs(ctx, `state IN ('pending', 'failed') AND received_at < ?`,
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
	args := append([]any{source, millis(since), millis(until)}, extra...)
	args = append(args, limit)
	rows, err := db.r.QueryContext(ctx, `SELECT event_id FROM events
		WHERE source = ? AND created_at >= ? AND created_at < ? AND `+cond+`
		ORDER BY created_at, id LIMIT ?`, args...)
	if err != nil {
		return nil, translate(err)
	}
	return scanIDs(rows)
}

// scanIDs reads a one-column result of ids and closes rows; nil when
// there are none.
func scanIDs(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, translate(err)
		}
		ids = append(ids, id)
	}
	return ids, translate(rows.Err())
}

// placeholders returns "?, ?, …" with n marks, "" for n ≤ 0.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// valueRows returns "(?, …), (?, …)": rows groups of cols parameters.
func valueRows(rows, cols int) string {
	row := "(" + placeholders(cols) + ")"
	return strings.Repeat(row+", ", rows-1) + row
}

// anys returns ids as query arguments.
func anys(ids []string) []any {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return args
}
