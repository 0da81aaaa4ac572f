package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Retention says how long Prune keeps each kind of row, by age; a zero
// duration keeps that kind for ever. Events that are pending, processing,
// failed or dead are never pruned, whatever their age: a dead event leaves
// only by replay or PurgeDead.
type Retention struct {
	// Payloads drops the payload of a processed event received and
	// processed longer ago than this; the row stays, with PayloadPrunedAt.
	Payloads time.Duration
	// Events deletes a processed event, with its attempts and receipts,
	// once it was created, received and processed longer ago than this.
	// The ledger knows no provider: the caller keeps it longer than any
	// provider lists events, or reconcile reports pruned ones missing.
	Events time.Duration
	// Receipts deletes duplicate and rejected receipts older than this.
	Receipts time.Duration
	// Runs deletes reconcile runs started longer ago than this, except
	// each source's latest complete run and the one that set its
	// watermark.
	Runs time.Duration
	// Alerts deletes delivered alert messages and resolved alerts older
	// than this, except what open alerts and undelivered replies still
	// need, and the latest alert of each fingerprint.
	Alerts time.Duration
}

// PruneOptions tune one Prune. Zero fields take the defaults noted.
type PruneOptions struct {
	Retention
	DryRun bool // count what would go; change nothing
	// BatchTarget is how long one batch should hold the writer, its
	// statements and its commit; batch sizes adapt toward it. Default 20ms.
	BatchTarget time.Duration
	// Pause is the rest between batches, so that intake has the writer
	// to itself in between. Default 5ms; negative for none.
	Pause time.Duration
	// Now is the time ages are measured from; zero means the ledger's clock.
	Now time.Time
}

// PruneReport is what one Prune removed, or would remove with DryRun.
type PruneReport struct {
	DryRun        bool
	Payloads      int // payloads dropped
	Events        int // event rows deleted
	Attempts      int // their attempt rows
	Receipts      int // receipt rows: the deleted events' and expired duplicates and rejections
	Runs          int
	AlertMessages int
	Alerts        int
	// VacuumedPages were returned to the file system by incremental
	// vacuum; FreePages stay reusable inside the file (all of them on a
	// ledger without auto_vacuum: see Vacuum).
	VacuumedPages int
	FreePages     int
	AutoVacuum    bool // the file returns freed pages (auto_vacuum=INCREMENTAL)

	Batches     int           // write batches run
	SlowBatches int           // batches that held the writer longer than SlowBatch
	MaxBatch    time.Duration // the longest any one batch held the writer
	Held        time.Duration // all batches together
	Duration    time.Duration // the whole prune, pauses included
}

// SlowBatch is how long a maintenance batch may hold the writer before
// PruneReport counts it as slow: intake queued behind it waits that long.
const SlowBatch = 50 * time.Millisecond

// Prune deletes, in bounded batches through the writer, what r says has
// expired, then returns the freed pages to the file system a bounded step
// at a time. Each batch is one short write, so intake waits at most about
// one batch behind it. On error the report says what was done until then.
func (db *DB) Prune(ctx context.Context, o PruneOptions) (PruneReport, error) {
	start := time.Now()
	o = o.withDefaults(db)
	var rep PruneReport
	var b *batcher
	var err error
	if o.DryRun {
		rep, err = db.countPrunable(ctx, o)
	} else {
		b = &batcher{db: db, Batches: Batches{Target: o.BatchTarget, Pause: o.Pause, Report: &rep}}
		err = db.prune(ctx, o, b)
	}
	if err == nil {
		err = db.freePages(ctx, b, &rep)
	}
	rep.Duration = time.Since(start)
	if err != nil {
		return rep, fmt.Errorf("prune: %w", err)
	}
	return rep, nil
}

func (o PruneOptions) withDefaults(db *DB) PruneOptions {
	if o.BatchTarget <= 0 {
		o.BatchTarget = 20 * time.Millisecond
	}
	if o.Pause == 0 {
		o.Pause = 5 * time.Millisecond
	}
	if o.Now.IsZero() {
		o.Now = db.now()
	}
	return o
}

// cutoff returns the time before which rows of a kind kept for d are
// expired, and false when d keeps them for ever.
func (o PruneOptions) cutoff(d time.Duration) (int64, bool) {
	if d <= 0 {
		return 0, false
	}
	return millis(o.Now.Add(-d)), true
}

// prune runs each pass in turn: events first, so that their payloads are
// not dropped just before the rows go.
func (db *DB) prune(ctx context.Context, o PruneOptions, b *batcher) error {
	now := millis(o.Now)
	if cut, ok := o.cutoff(o.Events); ok {
		if err := db.pruneEvents(ctx, b, processedBefore(cut)); err != nil {
			return err
		}
	}
	if cut, ok := o.cutoff(o.Payloads); ok {
		n, err := b.run(ctx, func(ctx context.Context, tx *sql.Tx, limit int) (int, error) {
			return db.prunePayloads(ctx, tx, now, cut, limit)
		})
		b.Report.Payloads += n
		if err != nil {
			return fmt.Errorf("prune payloads: %w", err)
		}
	}
	for _, p := range rowPasses(o) {
		n, err := b.run(ctx, func(ctx context.Context, tx *sql.Tx, limit int) (int, error) {
			return db.execCount(ctx, tx, `DELETE FROM `+p.table+` WHERE id IN (SELECT id FROM `+p.from+
				` WHERE `+p.where+` ORDER BY `+p.order+` LIMIT ?)`, append(p.args, limit)...)
		})
		*b.Report.passCount(p.table) += n
		if err != nil {
			return fmt.Errorf("prune %s: %w", p.table, err)
		}
	}
	return nil
}

// prunePayloads drops the payloads of up to limit due events, oldest
// received first: it marks the rows pruned and deletes their payloads,
// whose pages the delete frees. It takes the prune time and the cutoff.
func (db *DB) prunePayloads(ctx context.Context, tx *sql.Tx, now, cut int64, limit int) (int, error) {
	rows, err := db.query(ctx, tx, `UPDATE events SET payload_pruned_at = ? WHERE id IN (
		SELECT id FROM events INDEXED BY events_payload_due WHERE `+payloadDue+` ORDER BY received_at LIMIT ?)
		RETURNING id`, now, cut, cut, limit)
	if err != nil {
		return 0, translate(err)
	}
	var ids []any
	err = scanRows(rows, func(rows *sql.Rows) error {
		var id int64
		err := rows.Scan(&id)
		ids = append(ids, id)
		return err
	})
	if err != nil {
		return 0, err
	}
	if err := db.deletePayloads(ctx, tx, ids); err != nil {
		return 0, err
	}
	return len(ids), nil
}

// deletePayloads deletes the payloads of the given event rows.
func (db *DB) deletePayloads(ctx context.Context, tx *sql.Tx, rows []any) error {
	for start := 0; start < len(rows); start += maxLookup {
		chunk := rows[start:min(start+maxLookup, len(rows))]
		if _, err := db.exec(ctx, tx, `DELETE FROM payloads WHERE event_row IN (`+placeholders(len(chunk))+`)`, chunk...); err != nil {
			return translate(err)
		}
	}
	return nil
}

// payloadDue selects processed events whose payload is due to go, on the
// events_payload_due index; it takes the cutoff twice.
const payloadDue = `state = 'processed' AND payload_pruned_at = 0 AND received_at < ? AND processed_at < ?`

// rowPass is one kind of row deleted by age, oldest first.
type rowPass struct {
	table, from, where, order string
	args                      []any
}

// rowPasses returns the row kinds r expires, each with the rows it must
// keep excluded.
func rowPasses(o PruneOptions) []rowPass {
	var ps []rowPass
	if cut, ok := o.cutoff(o.Receipts); ok {
		ps = append(ps, rowPass{table: "receipts", from: "receipts INDEXED BY receipts_unaccepted",
			where: `outcome <> 'accepted' AND received_at < ?`, order: "received_at", args: []any{cut}})
	}
	if cut, ok := o.cutoff(o.Runs); ok {
		ps = append(ps, rowPass{table: "runs", from: "runs", where: `started_at < ? AND id NOT IN (` + keptRuns + `)`,
			order: "id", args: []any{cut}})
	}
	if cut, ok := o.cutoff(o.Alerts); ok {
		ps = append(ps, rowPass{table: "alert_messages", from: "alert_messages m",
			where: `sent_at > 0 AND sent_at < ? AND id NOT IN (SELECT message_id FROM alerts WHERE state = 'open')
				AND NOT EXISTS (SELECT 1 FROM alert_messages c WHERE c.sent_at = 0 AND c.parent_id = m.id)`,
			order: "id", args: []any{cut}})
		ps = append(ps, rowPass{table: "alerts", from: "alerts",
			where: `state = 'resolved' AND resolved_at < ? AND id NOT IN (SELECT max(id) FROM alerts GROUP BY fingerprint)`,
			order: "id", args: []any{cut}})
	}
	return ps
}

// passCount returns the report field that counts the rows of table.
func (rep *PruneReport) passCount(table string) *int {
	switch table {
	case "receipts":
		return &rep.Receipts
	case "runs":
		return &rep.Runs
	case "alert_messages":
		return &rep.AlertMessages
	default:
		return &rep.Alerts
	}
}

// keptRuns are the runs a source's watermark and last-run status rest on:
// per source, the latest complete run and the complete run reaching
// furthest.
const keptRuns = `SELECT max(id) FROM runs WHERE complete = 1 GROUP BY source
	UNION SELECT (SELECT k.id FROM runs k WHERE k.source = s.source AND k.complete = 1
		ORDER BY k.until DESC, k.id DESC LIMIT 1) FROM (SELECT DISTINCT source FROM runs) s`
