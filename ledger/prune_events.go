package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// eventSel selects the event rows a prune or purge deletes: one state,
// received before a cutoff, and for processed events also created and
// processed before it (an event reconcile backfilled late, or replayed
// lately, is as young as its latest date).
type eventSel struct {
	state  State
	source string // "" for every source
	before int64  // Unix ms; 0 for no bound
}

// processedBefore selects processed events older than cut on every date.
func processedBefore(cut int64) eventSel {
	return eventSel{state: StateProcessed, before: cut}
}

// where returns the condition and arguments for source, on the
// events_state index (state, source, received_at).
func (s eventSel) where(source string) (string, []any) {
	cond, args := `state = ? AND source = ?`, []any{string(s.state), source}
	if s.before > 0 {
		cond, args = cond+` AND received_at < ?`, append(args, s.before)
		if s.state == StateProcessed {
			cond, args = cond+` AND created_at < ? AND processed_at < ?`, append(args, s.before, s.before)
		}
	}
	return cond, args
}

// pruneEvents deletes the events sel selects, source by source, in
// batches, with their attempts and receipts.
func (db *DB) pruneEvents(ctx context.Context, b *batcher, sel eventSel) error {
	srcs, err := db.eventSources(ctx, sel.source)
	if err != nil {
		return fmt.Errorf("prune events: %w", err)
	}
	for _, src := range srcs {
		cond, args := sel.where(src)
		_, err := b.run(ctx, func(ctx context.Context, tx *sql.Tx, limit int) (int, error) {
			return db.deleteEvents(ctx, tx, src, cond, args, limit, b.Report)
		})
		if err != nil {
			return fmt.Errorf("prune events of %s: %w", src, err)
		}
	}
	return nil
}

// deleteEvents deletes up to limit events of source matching cond, oldest
// received first, with their attempts and receipts, adding to rep. It
// returns how many events it deleted.
func (db *DB) deleteEvents(ctx context.Context, tx *sql.Tx, source, cond string, args []any, limit int, rep *PruneReport) (int, error) {
	rows, err := db.query(ctx, tx, `SELECT id, event_id, receipt_at != 0 FROM events INDEXED BY events_state
		WHERE `+cond+` ORDER BY received_at LIMIT ?`, append(args, limit)...)
	if err != nil {
		return 0, translate(err)
	}
	var ids []any
	var eventIDs []string
	for rows.Next() {
		var id int64
		var eid string
		var receipt bool // the first delivery's receipt, on the row
		if err := rows.Scan(&id, &eid, &receipt); err != nil {
			rows.Close()
			return 0, translate(err)
		}
		ids, eventIDs = append(ids, id), append(eventIDs, eid)
		if receipt {
			rep.Receipts++
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, translate(err)
	}
	for start := 0; start < len(ids); start += maxLookup {
		chunk, eids := ids[start:min(start+maxLookup, len(ids))], eventIDs[start:min(start+maxLookup, len(ids))]
		n, err := db.execCount(ctx, tx, `DELETE FROM attempts WHERE event_row IN (`+placeholders(len(chunk))+`)`, chunk...)
		if err != nil {
			return 0, err
		}
		rep.Attempts += n
		if n, err = db.execCount(ctx, tx, `DELETE FROM receipts WHERE source = ? AND event_id IN (`+
			placeholders(len(eids))+`)`, append([]any{source}, anys(eids)...)...); err != nil {
			return 0, err
		}
		rep.Receipts += n
		if err := db.deletePayloads(ctx, tx, chunk); err != nil {
			return 0, err
		}
		if n, err = db.execCount(ctx, tx, `DELETE FROM events WHERE id IN (`+placeholders(len(chunk))+`)`, chunk...); err != nil {
			return 0, err
		}
		rep.Events += n
	}
	return len(ids), nil
}

// eventSources returns the sources that have events, or just source when
// it is not "": one index seek per source, not a scan.
func (db *DB) eventSources(ctx context.Context, source string) ([]string, error) {
	if source != "" {
		return []string{source}, nil
	}
	var out []string
	last := ""
	for {
		var next sql.NullString
		err := db.r.QueryRowContext(ctx, `SELECT min(source) FROM events WHERE source > ?`, last).Scan(&next)
		if err != nil {
			return nil, fmt.Errorf("list sources: %w", translate(err))
		}
		if !next.Valid {
			return out, nil
		}
		last = next.String
		out = append(out, last)
	}
}
