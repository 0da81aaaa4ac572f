package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// AlertState is where an alert is in its life:
//
//	open ──condition clears, or someone acknowledges it (AckAlert)──▶ resolved
//
// A condition that comes back after it was resolved opens a new alert.
// Some conditions never clear by themselves (events the provider does not
// know): only an acknowledgement resolves them. The CHECK constraint on
// alerts.state mirrors these values.
type AlertState string

const (
	AlertOpen     AlertState = "open"     // the condition holds; not re-posted while unchanged
	AlertResolved AlertState = "resolved" // the condition cleared, or it was a one-off notice
)

// Alert is one alerted condition, identified by its Fingerprint
// ("stripe:missing", "github:dead", "job:reconcile:failed").
type Alert struct {
	ID          int64
	Fingerprint string
	Source      string // provider name, "" for conditions of no source (a job)
	Kind        string // missing, dead, stuck, unknown, …
	State       AlertState
	Summary     string    // one line, plain text, no secret and no payload
	Keys        []string  // ids the alert named (event ids), bounded by the caller
	Count       int       // how many things the condition covers
	Since       time.Time // start of the window the condition was seen in; zero when none
	MessageID   int64     // the alert_messages row that announced it (latest update)
	Channel     string    // where that message went, "" until sent
	MessageTS   string    // its Slack ts, "" until sent or when the transport has none
	OpenedAt    time.Time
	UpdatedAt   time.Time
	ResolvedAt  time.Time
	AckedBy     string    // who acknowledged it, "" when nobody did
	AckedAt     time.Time // when; zero when nobody did
}

// AlertChange is one atomic set of alert changes: the message announcing
// them goes into the outbox in the same transaction, so an alert is never
// recorded without its message nor a message queued without its alert.
type AlertChange struct {
	// Message is the top-level message for Upsert; nil when there is none.
	Message *AlertMessage
	// Upsert opens each alert, or updates the open one with the same
	// fingerprint, pointing it at Message. An alert given with State
	// resolved is recorded as a one-off notice, already resolved.
	Upsert []*Alert
	// Resolve lists open alert ids to mark resolved.
	Resolve []int64
	// Replies are queued after Message; each names its ParentID.
	Replies []*AlertMessage
}

// ApplyAlerts commits ch in one transaction and fills the ids of the new
// rows. It returns nil having changed nothing when ch is empty.
func (db *DB) ApplyAlerts(ctx context.Context, ch AlertChange) error {
	if ch.Message == nil && len(ch.Upsert) == 0 && len(ch.Resolve) == 0 && len(ch.Replies) == 0 {
		return nil
	}
	now := db.now().UTC()
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
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
		for _, id := range ch.Resolve {
			if _, err := tx.ExecContext(ctx, `UPDATE alerts SET state = 'resolved', resolved_at = ?, updated_at = ?
				WHERE id = ? AND state = 'open'`, millis(now), millis(now), id); err != nil {
				return translate(err)
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
		return fmt.Errorf("apply alerts: %w", err)
	}
	return nil
}

func upsertAlert(ctx context.Context, tx *sql.Tx, a *Alert, msgID int64, now time.Time) error {
	if a.Fingerprint == "" || a.Kind == "" {
		return errors.New("alert fingerprint and kind are required")
	}
	keys, err := json.Marshal(alertNonNil(a.Keys))
	if err != nil {
		return err
	}
	if a.State == "" {
		a.State = AlertOpen
	}
	a.MessageID, a.UpdatedAt = msgID, now
	if a.State == AlertOpen {
		err = tx.QueryRowContext(ctx, `UPDATE alerts SET summary = ?, keys = ?, count = ?, since = ?,
			message_id = ?, channel = '', message_ts = '', updated_at = ?
			WHERE fingerprint = ? AND state = 'open' RETURNING id, opened_at`,
			a.Summary, string(keys), a.Count, millis(a.Since), msgID, millis(now), a.Fingerprint,
		).Scan(&a.ID, (*alertTime)(&a.OpenedAt))
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return translate(err)
		}
	}
	a.OpenedAt = now
	resolvedAt := int64(0)
	if a.State == AlertResolved {
		resolvedAt, a.ResolvedAt = millis(now), now
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO alerts
		(fingerprint, source, kind, state, summary, keys, count, since, message_id, opened_at, updated_at, resolved_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.Fingerprint, a.Source, a.Kind, string(a.State), a.Summary, string(keys), a.Count,
		millis(a.Since), msgID, millis(now), millis(now), resolvedAt,
	).Scan(&a.ID)
	return translate(err)
}

// AlertFilter selects alerts for Alerts.
type AlertFilter struct {
	All         bool   // resolved ones too; else only open alerts
	Source      string // "" for every source
	Fingerprint string // "" for every fingerprint
	Limit       int    // 0 for no limit
}

// Alerts returns the alerts matching f, newest first; an empty slice when
// none match.
func (db *DB) Alerts(ctx context.Context, f AlertFilter) ([]Alert, error) {
	var where []string
	var args []any
	if !f.All {
		where = append(where, "state = 'open'")
	}
	if f.Source != "" {
		where, args = append(where, "source = ?"), append(args, f.Source)
	}
	if f.Fingerprint != "" {
		where, args = append(where, "fingerprint = ?"), append(args, f.Fingerprint)
	}
	q := `SELECT ` + alertColumns + ` FROM alerts`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		q, args = q+" LIMIT ?", append(args, f.Limit)
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", translate(err))
	}
	defer rows.Close()
	out := []Alert{}
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, fmt.Errorf("list alerts: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list alerts: %w", translate(err))
	}
	return out, nil
}

// alertColumns are the columns scanAlert reads.
const alertColumns = `id, fingerprint, source, kind, state, summary, keys, count, since, message_id,
	channel, message_ts, opened_at, updated_at, resolved_at, acked_by, acked_at`

func scanAlert(rows interface{ Scan(...any) error }) (Alert, error) {
	var a Alert
	var state, keys string
	err := rows.Scan(&a.ID, &a.Fingerprint, &a.Source, &a.Kind, &state, &a.Summary, &keys, &a.Count,
		(*alertTime)(&a.Since), &a.MessageID, &a.Channel, &a.MessageTS,
		(*alertTime)(&a.OpenedAt), (*alertTime)(&a.UpdatedAt), (*alertTime)(&a.ResolvedAt),
		&a.AckedBy, (*alertTime)(&a.AckedAt))
	if err != nil {
		return a, translate(err)
	}
	a.State = AlertState(state)
	if err := json.Unmarshal([]byte(keys), &a.Keys); err != nil {
		return a, fmt.Errorf("decode alert %d keys: %w", a.ID, err)
	}
	return a, nil
}

// alertTime scans a Unix-millisecond column into a time.Time (zero for 0).
type alertTime time.Time

func (t *alertTime) Scan(v any) error {
	n, ok := v.(int64)
	if !ok {
		return fmt.Errorf("scan time: want int64, got %T", v)
	}
	*t = alertTime(fromMillis(n))
	return nil
}

func alertNonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
