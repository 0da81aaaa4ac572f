package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AlertMessage is one message in the alert outbox. It is written before any
// delivery is tried and stays until delivered: an alert is never lost
// because the chat service was down.
type AlertMessage struct {
	ID       int64
	Source   string
	Kind     string // "alert" (top level) or "resolved" (a reply to ParentID)
	Text     string // plain-text fallback; never a secret or payload
	Blocks   string // rich layout as JSON, "" when none
	ParentID int64  // the message to reply under; 0 for a top-level message
	// ThreadTS is the parent's ts when the parent was delivered with one
	// (filled by DueAlertMessages; "" when there is no thread to reply in).
	ThreadTS      string
	Channel       string // where it went, once sent
	TS            string // its ts, once sent, "" when the transport gives none
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	SentAt        time.Time // zero while it waits in the outbox
	CreatedAt     time.Time
}

// insertAlertMessage queues m in the outbox, due at once unless it says
// otherwise, and fills its ID, Kind, NextAttemptAt and CreatedAt.
func insertAlertMessage(ctx context.Context, tx *sql.Tx, m *AlertMessage, now time.Time) error {
	if m.Kind == "" {
		m.Kind = "alert"
	}
	next := m.NextAttemptAt
	if next.IsZero() {
		next = now
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO alert_messages
		(source, kind, text, blocks, parent_id, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.Source, m.Kind, m.Text, m.Blocks, m.ParentID, millis(next), millis(now)).Scan(&m.ID)
	if err != nil {
		return translate(err)
	}
	m.NextAttemptAt, m.CreatedAt = next, now
	return nil
}

const alertMessageColumns = `m.id, m.source, m.kind, m.text, m.blocks, m.parent_id, coalesce(p.ts, ''),
	m.channel, m.ts, m.attempts, m.next_attempt_at, m.last_error, m.sent_at, m.created_at`

// DueAlertMessages returns up to limit undelivered messages due at now, in
// the order they were queued. A reply is due only once its parent was
// delivered, so it can name the parent's thread.
func (db *DB) DueAlertMessages(ctx context.Context, now time.Time, limit int) ([]AlertMessage, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+alertMessageColumns+`
		FROM alert_messages m LEFT JOIN alert_messages p ON p.id = m.parent_id
		WHERE m.sent_at = 0 AND m.next_attempt_at <= ? AND (m.parent_id = 0 OR p.sent_at > 0)
		ORDER BY m.id LIMIT ?`, millis(now), limit)
	if err != nil {
		return nil, fmt.Errorf("list due alert messages: %w", translate(err))
	}
	return scanAlertMessages(rows)
}

// AlertMessages returns up to limit outbox messages (every one when limit
// is 0), newest first: only undelivered ones unless all is set. An empty
// slice when there are none.
func (db *DB) AlertMessages(ctx context.Context, all bool, limit int) ([]AlertMessage, error) {
	q := `SELECT ` + alertMessageColumns + `
		FROM alert_messages m LEFT JOIN alert_messages p ON p.id = m.parent_id`
	if !all {
		q += ` WHERE m.sent_at = 0`
	}
	q += ` ORDER BY m.id DESC`
	var args []any
	if limit > 0 {
		q, args = q+` LIMIT ?`, append(args, limit)
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list alert messages: %w", translate(err))
	}
	return scanAlertMessages(rows)
}

func scanAlertMessages(rows *sql.Rows) ([]AlertMessage, error) {
	defer rows.Close()
	out := []AlertMessage{}
	for rows.Next() {
		var m AlertMessage
		if err := rows.Scan(&m.ID, &m.Source, &m.Kind, &m.Text, &m.Blocks, &m.ParentID, &m.ThreadTS,
			&m.Channel, &m.TS, &m.Attempts, (*alertTime)(&m.NextAttemptAt), &m.LastError,
			(*alertTime)(&m.SentAt), (*alertTime)(&m.CreatedAt)); err != nil {
			return nil, fmt.Errorf("scan alert message: %w", translate(err))
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("scan alert message: %w", translate(err))
	}
	return out, nil
}

// MarkAlertSent records that message id was delivered to channel as ts,
// and copies channel and ts onto the alerts it announced, so a later
// resolution can reply in its thread.
func (db *DB) MarkAlertSent(ctx context.Context, id int64, channel, ts string) error {
	now := db.now().UTC()
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE alert_messages SET sent_at = ?, channel = ?, ts = ?,
			attempts = attempts + 1, last_error = '' WHERE id = ? AND sent_at = 0`,
			millis(now), channel, ts, id)
		if err != nil {
			return translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `UPDATE alerts SET channel = ?, message_ts = ? WHERE message_id = ?`,
			channel, ts, id)
		return translate(err)
	})
	if err != nil {
		return fmt.Errorf("mark alert message %d sent: %w", id, err)
	}
	return nil
}

// MarkAlertFailed records a failed delivery of message id: its error
// (redacted as SetRedact says) and when to try again.
func (db *DB) MarkAlertFailed(ctx context.Context, id int64, errText string, next time.Time) error {
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE alert_messages SET attempts = attempts + 1, last_error = ?,
			next_attempt_at = ?, claim_until = 0 WHERE id = ? AND sent_at = 0`, db.redact(errText), millis(next), id)
		return translate(err)
	})
	if err != nil {
		return fmt.Errorf("mark alert message %d failed: %w", id, err)
	}
	return nil
}

// ClaimAlertMessage claims the oldest undelivered message due at due (a
// reply only once its parent was delivered) that no deliverer holds, for
// lease from now, and returns it; ok is false when there is none. Another
// process sharing the ledger does not get the message while the claim
// lasts: MarkAlertSent ends it for good, MarkAlertFailed gives it back for
// its next attempt, and a claim whose deliverer died lapses by itself.
func (db *DB) ClaimAlertMessage(ctx context.Context, due time.Time, lease time.Duration) (m AlertMessage, ok bool, err error) {
	now := db.Now()
	err = db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT m.id FROM alert_messages m LEFT JOIN alert_messages p ON p.id = m.parent_id
			WHERE m.sent_at = 0 AND m.next_attempt_at <= ? AND m.claim_until <= ? AND (m.parent_id = 0 OR p.sent_at > 0)
			ORDER BY m.id LIMIT 1`, millis(due), millis(now)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return translate(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE alert_messages SET claim_until = ? WHERE id = ?`,
			millis(now.Add(lease)), id); err != nil {
			return translate(err)
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+alertMessageColumns+`
			FROM alert_messages m LEFT JOIN alert_messages p ON p.id = m.parent_id WHERE m.id = ?`, id)
		if err != nil {
			return translate(err)
		}
		ms, err := scanAlertMessages(rows)
		if err != nil || len(ms) != 1 {
			return errors.Join(err, fmt.Errorf("claimed alert message %d vanished", id))
		}
		m, ok = ms[0], true
		return nil
	})
	if err != nil {
		return AlertMessage{}, false, fmt.Errorf("claim alert message: %w", err)
	}
	return m, ok, nil
}
