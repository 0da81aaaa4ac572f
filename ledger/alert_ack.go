package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrNotOpen is returned by AckAlert for an alert that is already
// resolved (cleared, or acknowledged before).
var ErrNotOpen = errors.New("alert is not open")

// AckAlert records that by (a person's name) acknowledged the open alert
// id now, resolving it, and queues reply (when not nil) in the outbox in
// the same transaction. It returns the alert as it is after the ack,
// ErrNotFound for an unknown id and ErrNotOpen for a resolved alert.
func (db *DB) AckAlert(ctx context.Context, id int64, by string, reply *AlertMessage) (Alert, error) {
	if by == "" {
		return Alert{}, errors.New("ack alert: who acknowledges it is required")
	}
	now := db.Now().UTC()
	var out Alert
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = ?`, id)
		a, err := scanAlert(row)
		if err != nil {
			return err
		}
		if a.State != AlertOpen {
			return ErrNotOpen
		}
		if _, err := tx.ExecContext(ctx, `UPDATE alerts SET state = 'resolved', resolved_at = ?, updated_at = ?,
			acked_by = ?, acked_at = ? WHERE id = ?`, millis(now), millis(now), by, millis(now), id); err != nil {
			return translate(err)
		}
		if reply != nil {
			if reply.ParentID == 0 {
				reply.ParentID = a.MessageID
			}
			if err := insertAlertMessage(ctx, tx, reply, now); err != nil {
				return err
			}
		}
		a.State, a.ResolvedAt, a.UpdatedAt, a.AckedBy, a.AckedAt = AlertResolved, now, now, by, now
		out = a
		return nil
	})
	if err != nil {
		return Alert{}, fmt.Errorf("ack alert %d: %w", id, err)
	}
	return out, nil
}

// AlertsNaming returns the alerts of source, open or resolved, whose ids
// include id (an event id), newest first; an empty slice when none does.
// It is how `events show` tells that the provider did not know an event.
func (db *DB) AlertsNaming(ctx context.Context, source, id string) ([]Alert, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE source = ?
		AND EXISTS (SELECT 1 FROM json_each(alerts.keys) WHERE value = ?) ORDER BY id DESC`, source, id)
	if err != nil {
		return nil, fmt.Errorf("list alerts naming %s: %w", id, translate(err))
	}
	defer rows.Close()
	out := []Alert{}
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, fmt.Errorf("list alerts naming %s: %w", id, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list alerts naming %s: %w", id, translate(err))
	}
	return out, nil
}
