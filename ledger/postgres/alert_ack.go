package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

// AckAlert records that by (a person's name) acknowledged the open alert
// id now, resolving it, and queues reply (when not nil) in the outbox in
// the same transaction, as ledger.DB.AckAlert does. It returns the alert
// as it is after the ack, ledger.ErrNotFound for an unknown id and
// ledger.ErrNotOpen for a resolved alert. Two instances acknowledging at
// once: one wins, the other gets ErrNotOpen.
func (db *DB) AckAlert(ctx context.Context, id int64, by string, reply *ledger.AlertMessage) (ledger.Alert, error) {
	if by == "" {
		return ledger.Alert{}, errors.New("ack alert: who acknowledges it is required")
	}
	now := db.now().UTC().Truncate(time.Millisecond)
	var out ledger.Alert
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return err
		}
		a, err := pgx.CollectExactlyOneRow(rows, scanAlert)
		if err != nil {
			return err
		}
		if a.State != ledger.AlertOpen {
			return ledger.ErrNotOpen
		}
		if _, err := tx.Exec(ctx, `UPDATE alerts SET state = 'resolved', resolved_at = $1, updated_at = $1,
			acked_by = $2, acked_at = $1 WHERE id = $3`, millis(now), by, id); err != nil {
			return err
		}
		if reply != nil {
			if reply.ParentID == 0 {
				reply.ParentID = a.MessageID
			}
			if err := insertAlertMessage(ctx, tx, reply, now); err != nil {
				return err
			}
		}
		a.State, a.ResolvedAt, a.UpdatedAt, a.AckedBy, a.AckedAt = ledger.AlertResolved, now, now, by, now
		out = a
		return nil
	})
	if err != nil {
		return ledger.Alert{}, fmt.Errorf("ack alert %d: %w", id, translate(err))
	}
	return out, nil
}

// AlertsNaming returns the alerts of source, open or resolved, whose ids
// include id (an event id), newest first; an empty slice when none does.
func (db *DB) AlertsNaming(ctx context.Context, source, id string) ([]ledger.Alert, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+alertColumns+` FROM alerts WHERE source = $1
		AND keys::jsonb ? $2 ORDER BY id DESC`, source, id)
	if err != nil {
		return nil, fmt.Errorf("list alerts naming %s: %w", id, translate(err))
	}
	out, err := pgx.CollectRows(rows, scanAlert)
	if err != nil {
		return nil, fmt.Errorf("list alerts naming %s: %w", id, translate(err))
	}
	if out == nil {
		out = []ledger.Alert{}
	}
	return out, nil
}
