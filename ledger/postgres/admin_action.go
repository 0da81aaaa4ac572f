package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

// RecordActions stores acts in one transaction, stamping each with now
// and its new id, as ledger.DB.RecordActions does. It does nothing for an
// empty acts.
func (db *DB) RecordActions(ctx context.Context, acts []*ledger.Action) error {
	if len(acts) == 0 {
		return nil
	}
	now := db.now().UTC().Truncate(time.Millisecond)
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		for _, a := range acts {
			a.At = now
			err := tx.QueryRow(ctx, `INSERT INTO admin_actions (at, actor, action, source, event_id, detail)
				VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
				millis(now), a.Actor, a.Action, a.Source, a.EventID, a.Detail).Scan(&a.ID)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record actions: %w", translate(err))
	}
	return nil
}

// EventActions returns the actions taken on the event (source, eventID),
// newest first, at most limit; an empty slice when there are none.
func (db *DB) EventActions(ctx context.Context, source, eventID string, limit int) ([]ledger.Action, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, at, actor, action, source, event_id, detail
		FROM admin_actions WHERE source = $1 AND event_id = $2 ORDER BY id DESC LIMIT $3`, source, eventID, limit)
	if err != nil {
		return nil, fmt.Errorf("list actions: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ledger.Action, error) {
		var a ledger.Action
		var at int64
		err := row.Scan(&a.ID, &at, &a.Actor, &a.Action, &a.Source, &a.EventID, &a.Detail)
		a.At = fromMillis(at)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("list actions: %w", translate(err))
	}
	if out == nil {
		out = []ledger.Action{}
	}
	return out, nil
}

// Tightened returns nil: a PostgreSQL ledger has no files whose mode Open
// could have made private (the server guards its own data directory).
func (db *DB) Tightened() []string { return nil }
