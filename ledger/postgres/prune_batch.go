package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

// batcher runs the PostgreSQL ledger's maintenance batches, each in a
// transaction of its own (see ledger.Batches).
type batcher struct {
	db *DB
	ledger.Batches
}

// step does one batch in tx, taking at most limit rows, and returns how
// many it took.
type step func(ctx context.Context, tx pgx.Tx, limit int) (int, error)

// run runs fn in batches (see ledger.Batches.Run), each measured from its
// begin to its commit.
func (b *batcher) run(ctx context.Context, fn step) (int, error) {
	return b.Batches.Run(ctx, func(ctx context.Context, limit int) (int, time.Duration, error) {
		began := time.Now()
		var n int
		err := pgx.BeginFunc(ctx, b.db.pool, func(tx pgx.Tx) error {
			var err error
			n, err = fn(ctx, tx, limit)
			return err
		})
		return n, time.Since(began), err
	})
}

// countPrunable fills a report with what a Prune with o would remove.
func (db *DB) countPrunable(ctx context.Context, o ledger.PruneOptions) (ledger.PruneReport, error) {
	rep := ledger.PruneReport{DryRun: true}
	if cut, ok := cutoff(o, o.Events); ok {
		if err := db.countEvents(ctx, processedBefore(cut), &rep); err != nil {
			return rep, err
		}
	}
	if cut, ok := cutoff(o, o.Payloads); ok {
		// Payloads of events the events pass would delete are not counted twice.
		ecut, _ := cutoff(o, o.Events)
		err := db.pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE `+payloadDue+`
			AND NOT ($1::bigint > 0 AND received_at < $1 AND created_at < $1 AND processed_at < $1)`,
			ecut, cut).Scan(&rep.Payloads)
		if err != nil {
			return rep, translate(err)
		}
	}
	for _, p := range rowPasses(o) {
		var n int
		if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM `+p.from+` WHERE `+p.where, p.cut).Scan(&n); err != nil {
			return rep, translate(err)
		}
		*passCount(&rep, p.table) += n
	}
	return rep, nil
}

// countEvents adds to rep the events sel selects, with their attempts and
// receipts.
func (db *DB) countEvents(ctx context.Context, sel eventSel, rep *ledger.PruneReport) error {
	srcs := []string{sel.source}
	if sel.source == "" {
		var err error
		if srcs, err = db.Sources(ctx); err != nil {
			return err
		}
	}
	for _, src := range srcs {
		cond, args := sel.where(src)
		var events, attempts, receipts int
		// Receipts: rows, and the first deliveries' on the event rows.
		err := db.pool.QueryRow(ctx, `WITH sel AS (SELECT id, event_id, receipt_at FROM events WHERE `+cond+`)
			SELECT (SELECT count(*) FROM sel),
				(SELECT count(*) FROM attempts WHERE event_row IN (SELECT id FROM sel)),
				(SELECT count(*) FROM receipts WHERE source = $2 AND event_id IN (SELECT event_id FROM sel))
					+ (SELECT count(*) FROM sel WHERE receipt_at <> 0)`,
			args...).Scan(&events, &attempts, &receipts)
		if err != nil {
			return fmt.Errorf("count events of %s: %w", src, translate(err))
		}
		rep.Events, rep.Attempts, rep.Receipts = rep.Events+events, rep.Attempts+attempts, rep.Receipts+receipts
	}
	return nil
}
