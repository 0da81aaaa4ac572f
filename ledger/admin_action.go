package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Action is one thing done from the status page: who did it, when, and
// to which event ("" Source and EventID for an action on no one event).
type Action struct {
	ID      int64
	At      time.Time
	Actor   string // "admin", or the name given at sign-in
	Action  string // replay, replay-dead, ack, …
	Source  string
	EventID string
	Detail  string // one line, no secret and no payload
}

// RecordActions stores acts in one transaction, stamping each with now
// and its new id. It does nothing for an empty acts.
func (db *DB) RecordActions(ctx context.Context, acts []*Action) error {
	if len(acts) == 0 {
		return nil
	}
	now := db.Now()
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, a := range acts {
			if err := insertAction(ctx, tx, a, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record actions: %w", err)
	}
	return nil
}

// insertAction stores a at now in tx, stamping it with now and its new id.
func insertAction(ctx context.Context, tx *sql.Tx, a *Action, now time.Time) error {
	a.At = now.UTC()
	err := tx.QueryRowContext(ctx, `INSERT INTO admin_actions (at, actor, action, source, event_id, detail)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		millis(a.At), a.Actor, a.Action, a.Source, a.EventID, a.Detail).Scan(&a.ID)
	return translate(err)
}

// EventActions returns the actions taken on the event (source, eventID),
// newest first, at most limit; an empty slice when there are none.
func (db *DB) EventActions(ctx context.Context, source, eventID string, limit int) ([]Action, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, at, actor, action, source, event_id, detail
		FROM admin_actions WHERE source = ? AND event_id = ? ORDER BY id DESC LIMIT ?`, source, eventID, limit)
	if err != nil {
		return nil, fmt.Errorf("list actions: %w", translate(err))
	}
	out := []Action{}
	err = scanRows(rows, func(rows *sql.Rows) error {
		var a Action
		var at int64
		if err := rows.Scan(&a.ID, &at, &a.Actor, &a.Action, &a.Source, &a.EventID, &a.Detail); err != nil {
			return err
		}
		a.At = fromMillis(at)
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list actions: %w", err)
	}
	return out, nil
}
