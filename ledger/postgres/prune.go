package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

// Prune deletes what o's retention says has expired, with the policies of
// ledger.DB.Prune: processed events (with their attempts and receipts)
// older than Events on every date, payloads of processed events older
// than Payloads, duplicate and rejected receipts, runs (keeping each
// source's latest complete run and the one reaching furthest) and alerts
// and delivered messages (keeping what open alerts and unsent replies
// need, and the latest alert of each fingerprint). Events that are
// pending, processing, failed or dead are never pruned.
//
// Each kind goes in bounded batches, one short transaction each, whose
// size adapts toward o.BatchTarget, with o.Pause between them, so intake
// and claims on other instances wait at most about one batch. Space is
// not returned here: PostgreSQL's autovacuum makes the deleted rows'
// space reusable (VacuumedPages and FreePages stay 0). With o.DryRun it
// only counts. On error the report says what was done until then.
func (db *DB) Prune(ctx context.Context, o ledger.PruneOptions) (ledger.PruneReport, error) {
	start := time.Now()
	o = db.pruneDefaults(o)
	var rep ledger.PruneReport
	var err error
	if o.DryRun {
		rep, err = db.countPrunable(ctx, o)
	} else {
		b := &batcher{db: db, Batches: ledger.Batches{Target: o.BatchTarget, Pause: o.Pause, Report: &rep}}
		err = db.prune(ctx, o, b)
	}
	rep.Duration = time.Since(start)
	if err != nil {
		return rep, fmt.Errorf("prune: %w", err)
	}
	return rep, nil
}

// PurgeDead deletes for good the dead events f selects, with their
// attempts and receipts, in bounded batches, and returns what it deleted
// (or, with DryRun, would delete), as ledger.DB.PurgeDead does.
func (db *DB) PurgeDead(ctx context.Context, f ledger.PurgeFilter) (ledger.PruneReport, error) {
	start := time.Now()
	sel := eventSel{state: ledger.StateDead, source: f.Source, before: millis(f.Before)}
	rep := ledger.PruneReport{DryRun: f.DryRun}
	var err error
	if f.DryRun {
		err = db.countEvents(ctx, sel, &rep)
	} else {
		o := db.pruneDefaults(ledger.PruneOptions{})
		err = db.pruneEvents(ctx, &batcher{db: db, Batches: ledger.Batches{Target: o.BatchTarget, Pause: o.Pause, Report: &rep}}, sel)
	}
	rep.Duration = time.Since(start)
	if err != nil {
		return rep, fmt.Errorf("purge dead events: %w", err)
	}
	return rep, nil
}

func (db *DB) pruneDefaults(o ledger.PruneOptions) ledger.PruneOptions {
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

// cutoff returns the time before which rows kept for d are expired, and
// false when d keeps them for ever.
func cutoff(o ledger.PruneOptions, d time.Duration) (int64, bool) {
	if d <= 0 {
		return 0, false
	}
	return millis(o.Now.Add(-d)), true
}

// prune runs each pass in turn: events first, so that their payloads are
// not dropped just before the rows go.
func (db *DB) prune(ctx context.Context, o ledger.PruneOptions, b *batcher) error {
	now := millis(o.Now)
	if cut, ok := cutoff(o, o.Events); ok {
		if err := db.pruneEvents(ctx, b, processedBefore(cut)); err != nil {
			return err
		}
	}
	if cut, ok := cutoff(o, o.Payloads); ok {
		n, err := b.run(ctx, func(ctx context.Context, tx pgx.Tx, limit int) (int, error) {
			tag, err := tx.Exec(ctx, `UPDATE events SET payload = ''::bytea, payload_pruned_at = $1 WHERE id IN (
				SELECT id FROM events WHERE `+payloadDue+` ORDER BY received_at LIMIT $3)`, now, cut, limit)
			return int(tag.RowsAffected()), err
		})
		b.Report.Payloads += n
		if err != nil {
			return fmt.Errorf("prune payloads: %w", translate(err))
		}
	}
	for _, p := range rowPasses(o) {
		n, err := b.run(ctx, func(ctx context.Context, tx pgx.Tx, limit int) (int, error) {
			tag, err := tx.Exec(ctx, `DELETE FROM `+p.table+` WHERE id IN (SELECT id FROM `+p.from+
				` WHERE `+p.where+` ORDER BY `+p.order+` LIMIT $2)`, p.cut, limit)
			return int(tag.RowsAffected()), err
		})
		*passCount(b.Report, p.table) += n
		if err != nil {
			return fmt.Errorf("prune %s: %w", p.table, translate(err))
		}
	}
	return nil
}

// payloadDue selects processed events whose payload is due to go, on the
// events_payload_due index; $2 is the cutoff.
const payloadDue = `state = 'processed' AND payload_pruned_at = 0 AND received_at < $2 AND processed_at < $2`

// rowPass is one kind of row deleted by age, oldest first; $1 in where is
// the cutoff.
type rowPass struct {
	table, from, where, order string
	cut                       int64
}

// keptRuns are the runs a source's watermark and last-run status rest on:
// per source, the latest complete run and the complete run reaching
// furthest.
const keptRuns = `SELECT max(id) FROM runs WHERE complete GROUP BY source
	UNION (SELECT DISTINCT ON (source) id FROM runs WHERE complete ORDER BY source, until DESC, id DESC)`

// rowPasses returns the row kinds o expires, each with the rows it must
// keep excluded.
func rowPasses(o ledger.PruneOptions) []rowPass {
	var ps []rowPass
	if cut, ok := cutoff(o, o.Receipts); ok {
		ps = append(ps, rowPass{table: "receipts", from: "receipts",
			where: `outcome <> 'accepted' AND received_at < $1`, order: "received_at", cut: cut})
	}
	if cut, ok := cutoff(o, o.Runs); ok {
		ps = append(ps, rowPass{table: "runs", from: "runs", where: `started_at < $1 AND id NOT IN (` + keptRuns + `)`,
			order: "id", cut: cut})
	}
	if cut, ok := cutoff(o, o.Alerts); ok {
		ps = append(ps, rowPass{table: "alert_messages", from: "alert_messages m",
			where: `sent_at > 0 AND sent_at < $1 AND id NOT IN (SELECT message_id FROM alerts WHERE state = 'open')
				AND NOT EXISTS (SELECT 1 FROM alert_messages c WHERE c.sent_at = 0 AND c.parent_id = m.id)`,
			order: "id", cut: cut})
		ps = append(ps, rowPass{table: "alerts", from: "alerts",
			where: `state = 'resolved' AND resolved_at < $1 AND id NOT IN (SELECT max(id) FROM alerts GROUP BY fingerprint)`,
			order: "id", cut: cut})
	}
	return ps
}

// passCount returns the report field that counts the rows of table.
func passCount(rep *ledger.PruneReport, table string) *int {
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
