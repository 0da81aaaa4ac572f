package ledger

import (
	"context"
	"fmt"
)

// countPrunable fills rep with what a Prune with o would remove, reading
// through the read pool only.
func (db *DB) countPrunable(ctx context.Context, o PruneOptions) (PruneReport, error) {
	rep := PruneReport{DryRun: true}
	if cut, ok := o.cutoff(o.Events); ok {
		if err := db.countEvents(ctx, processedBefore(cut), &rep); err != nil {
			return rep, err
		}
	}
	if cut, ok := o.cutoff(o.Payloads); ok {
		// Payloads of events the events pass would delete are not counted twice.
		q, args := `SELECT count(*) FROM events INDEXED BY events_payload_due WHERE `+payloadDue, []any{cut, cut}
		if ecut, ok := o.cutoff(o.Events); ok {
			q, args = q+` AND NOT (received_at < ? AND created_at < ? AND processed_at < ?)`, append(args, ecut, ecut, ecut)
		}
		if err := db.r.QueryRowContext(ctx, q, args...).Scan(&rep.Payloads); err != nil {
			return rep, fmt.Errorf("count payloads: %w", translate(err))
		}
	}
	for _, p := range rowPasses(o) {
		var n int
		err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM `+p.from+` WHERE `+p.where, p.args...).Scan(&n)
		if err != nil {
			return rep, fmt.Errorf("count %s: %w", p.table, translate(err))
		}
		*rep.passCount(p.table) += n
	}
	return rep, nil
}

// countEvents adds to rep the events sel selects, with their attempts and
// receipts.
func (db *DB) countEvents(ctx context.Context, sel eventSel, rep *PruneReport) error {
	srcs, err := db.eventSources(ctx, sel.source)
	if err != nil {
		return err
	}
	for _, src := range srcs {
		cond, args := sel.where(src)
		var events, attempts, receipts int
		// Receipts: rows, and the first deliveries' on the event rows.
		err := db.r.QueryRowContext(ctx, `SELECT count(*),
			(SELECT count(*) FROM attempts WHERE event_row IN (SELECT id FROM events WHERE `+cond+`)),
			(SELECT count(*) FROM receipts WHERE source = ? AND event_id IN (SELECT event_id FROM events WHERE `+cond+`))
				+ count(*) FILTER (WHERE receipt_at != 0)
			FROM events INDEXED BY events_state WHERE `+cond,
			append(append(append(append([]any{}, args...), src), args...), args...)...).Scan(&events, &attempts, &receipts)
		if err != nil {
			return fmt.Errorf("count events of %s: %w", src, translate(err))
		}
		rep.Events, rep.Attempts, rep.Receipts = rep.Events+events, rep.Attempts+attempts, rep.Receipts+receipts
	}
	return nil
}
