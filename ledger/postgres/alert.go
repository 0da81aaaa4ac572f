package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

// ApplyAlerts applies one alert decision in one transaction, as
// ledger.DB.ApplyAlerts does: it stores ch.Message in the outbox, upserts
// ch.Upsert (announced by that message), resolves ch.Resolve and queues
// ch.Replies. Two instances opening the same condition at once keep one
// open alert (the insert of the second updates the first's row).
func (db *DB) ApplyAlerts(ctx context.Context, ch ledger.AlertChange) error {
	if ch.Message == nil && len(ch.Upsert) == 0 && len(ch.Resolve) == 0 && len(ch.Replies) == 0 {
		return nil
	}
	now := db.now().UTC().Truncate(time.Millisecond)
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var msgID int64
		if ch.Message != nil {
			if err := insertAlertMessage(ctx, tx, ch.Message, now); err != nil {
				return err
			}
			msgID = ch.Message.ID
		}
		for _, a := range ch.Upsert {
			if err := upsertAlert(ctx, tx, a, msgID, now); err != nil {
				return err
			}
		}
		if len(ch.Resolve) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE alerts SET state = 'resolved', resolved_at = $1, updated_at = $1
				WHERE id = ANY($2::bigint[]) AND state = 'open'`, millis(now), ch.Resolve); err != nil {
				return err
			}
		}
		for _, m := range ch.Replies {
			if err := insertAlertMessage(ctx, tx, m, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("apply alerts: %w", translate(err))
	}
	return nil
}

func upsertAlert(ctx context.Context, tx pgx.Tx, a *ledger.Alert, msgID int64, now time.Time) error {
	if a.Fingerprint == "" || a.Kind == "" {
		return errors.New("alert fingerprint and kind are required")
	}
	keys := a.Keys
	if keys == nil {
		keys = []string{}
	}
	keysJSON, err := json.Marshal(keys)
	if err != nil {
		return err
	}
	if a.State == "" {
		a.State = ledger.AlertOpen
	}
	a.MessageID, a.UpdatedAt = msgID, now
	resolvedAt := int64(0)
	if a.State == ledger.AlertResolved {
		resolvedAt, a.ResolvedAt = millis(now), now
	}
	q := `INSERT INTO alerts
		(fingerprint, source, kind, state, summary, keys, count, since, message_id, opened_at, updated_at, resolved_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11)`
	if a.State == ledger.AlertOpen {
		q += ` ON CONFLICT (fingerprint) WHERE state = 'open' DO UPDATE SET summary = excluded.summary,
			keys = excluded.keys, count = excluded.count, since = excluded.since, message_id = excluded.message_id,
			channel = '', message_ts = '', updated_at = excluded.updated_at`
	}
	var opened int64
	err = tx.QueryRow(ctx, q+` RETURNING id, opened_at`,
		a.Fingerprint, a.Source, a.Kind, string(a.State), a.Summary, string(keysJSON), a.Count,
		millis(a.Since), msgID, millis(now), resolvedAt).Scan(&a.ID, &opened)
	a.OpenedAt = fromMillis(opened)
	return err
}

// Alerts returns the alerts f selects, newest first; an empty slice when
// none match.
func (db *DB) Alerts(ctx context.Context, f ledger.AlertFilter) ([]ledger.Alert, error) {
	var where []string
	var args []any
	if !f.All {
		where = append(where, "state = 'open'")
	}
	if f.Source != "" {
		args = append(args, f.Source)
		where = append(where, fmt.Sprintf("source = $%d", len(args)))
	}
	if f.Fingerprint != "" {
		args = append(args, f.Fingerprint)
		where = append(where, fmt.Sprintf("fingerprint = $%d", len(args)))
	}
	q := `SELECT ` + alertColumns + ` FROM alerts`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, scanAlert)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", translate(err))
	}
	if out == nil {
		out = []ledger.Alert{}
	}
	return out, nil
}

const alertColumns = `id, fingerprint, source, kind, state, summary, keys, count, since, message_id,
	channel, message_ts, opened_at, updated_at, resolved_at, acked_by, acked_at`

func scanAlert(row pgx.CollectableRow) (ledger.Alert, error) {
	var a ledger.Alert
	var state, keys string
	var count, since, opened, updated, resolved, acked int64
	if err := row.Scan(&a.ID, &a.Fingerprint, &a.Source, &a.Kind, &state, &a.Summary, &keys, &count,
		&since, &a.MessageID, &a.Channel, &a.MessageTS, &opened, &updated, &resolved, &a.AckedBy, &acked); err != nil {
		return a, err
	}
	a.State, a.Count = ledger.AlertState(state), int(count)
	a.Since, a.OpenedAt, a.UpdatedAt, a.ResolvedAt = fromMillis(since), fromMillis(opened), fromMillis(updated), fromMillis(resolved)
	a.AckedAt = fromMillis(acked)
	if err := json.Unmarshal([]byte(keys), &a.Keys); err != nil {
		return a, fmt.Errorf("decode alert %d keys: %w", a.ID, err)
	}
	return a, nil
}
