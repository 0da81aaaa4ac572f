package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

func insertAlertMessage(ctx context.Context, tx pgx.Tx, m *ledger.AlertMessage, now time.Time) error {
	if m.Kind == "" {
		m.Kind = "alert"
	}
	next := m.NextAttemptAt
	if next.IsZero() {
		next = now
	}
	err := tx.QueryRow(ctx, `INSERT INTO alert_messages
		(source, kind, text, blocks, parent_id, next_attempt_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		m.Source, m.Kind, m.Text, m.Blocks, m.ParentID, millis(next), millis(now)).Scan(&m.ID)
	if err != nil {
		return err
	}
	m.NextAttemptAt, m.CreatedAt = next, now
	return nil
}

const alertMessageColumns = `m.id, m.source, m.kind, m.text, m.blocks, m.parent_id, coalesce(p.ts, ''),
	m.channel, m.ts, m.attempts, m.next_attempt_at, m.last_error, m.sent_at, m.created_at`

// DueAlertMessages returns up to limit unsent messages due at now, oldest
// first; a reply only once its parent was sent (it carries the parent's
// ts as ThreadTS).
func (db *DB) DueAlertMessages(ctx context.Context, now time.Time, limit int) ([]ledger.AlertMessage, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+alertMessageColumns+`
		FROM alert_messages m LEFT JOIN alert_messages p ON p.id = m.parent_id
		WHERE m.sent_at = 0 AND m.next_attempt_at <= $1 AND (m.parent_id = 0 OR p.sent_at > 0)
		ORDER BY m.id LIMIT $2`, millis(now), limit)
	if err != nil {
		return nil, fmt.Errorf("list due alert messages: %w", translate(err))
	}
	return collectAlertMessages(rows)
}

// ClaimAlertMessage claims the oldest undelivered message due at due (a
// reply only once its parent was delivered) that no deliverer holds, for
// lease by the server's clock, and returns it; ok is false when there is
// none. Instances claiming at once skip each other's rows (FOR UPDATE SKIP
// LOCKED) and a claim is seen by every later one, so each message goes to
// one deliverer: MarkAlertSent ends the claim for good, MarkAlertFailed
// gives the message back for its next attempt, and a claim whose
// deliverer died lapses by itself.
func (db *DB) ClaimAlertMessage(ctx context.Context, due time.Time, lease time.Duration) (m ledger.AlertMessage, ok bool, err error) {
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `WITH c AS (
				SELECT m.id FROM alert_messages m LEFT JOIN alert_messages p ON p.id = m.parent_id
				WHERE m.sent_at = 0 AND m.next_attempt_at <= $1 AND m.claim_until <= `+serverMillis+`
					AND (m.parent_id = 0 OR p.sent_at > 0)
				ORDER BY m.id LIMIT 1 FOR UPDATE OF m SKIP LOCKED)
			UPDATE alert_messages a SET claim_until = `+serverMillis+` + $2 FROM c WHERE a.id = c.id
			RETURNING a.id`, millis(due), lease.Milliseconds()).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+alertMessageColumns+`
			FROM alert_messages m LEFT JOIN alert_messages p ON p.id = m.parent_id WHERE m.id = $1`, id)
		if err != nil {
			return err
		}
		ms, err := collectAlertMessages(rows)
		if err != nil || len(ms) != 1 {
			return errors.Join(err, fmt.Errorf("claimed alert message %d vanished", id))
		}
		m, ok = ms[0], true
		return nil
	})
	if err != nil {
		return ledger.AlertMessage{}, false, fmt.Errorf("claim alert message: %w", translate(err))
	}
	return m, ok, nil
}

// AlertMessages returns the outbox, newest first: unsent messages, or
// every message with all; at most limit when limit > 0.
func (db *DB) AlertMessages(ctx context.Context, all bool, limit int) ([]ledger.AlertMessage, error) {
	q := `SELECT ` + alertMessageColumns + `
		FROM alert_messages m LEFT JOIN alert_messages p ON p.id = m.parent_id`
	if !all {
		q += ` WHERE m.sent_at = 0`
	}
	q += ` ORDER BY m.id DESC`
	var args []any
	if limit > 0 {
		q, args = q+` LIMIT $1`, append(args, limit)
	}
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list alert messages: %w", translate(err))
	}
	return collectAlertMessages(rows)
}

func collectAlertMessages(rows pgx.Rows) ([]ledger.AlertMessage, error) {
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ledger.AlertMessage, error) {
		var m ledger.AlertMessage
		var next, sent, created int64
		err := row.Scan(&m.ID, &m.Source, &m.Kind, &m.Text, &m.Blocks, &m.ParentID, &m.ThreadTS,
			&m.Channel, &m.TS, &m.Attempts, &next, &m.LastError, &sent, &created)
		m.NextAttemptAt, m.SentAt, m.CreatedAt = fromMillis(next), fromMillis(sent), fromMillis(created)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("scan alert message: %w", translate(err))
	}
	if out == nil {
		out = []ledger.AlertMessage{}
	}
	return out, nil
}

// MarkAlertSent records that message id went to channel with Slack ts,
// and points the alerts it announced at it. It returns ledger.ErrNotFound
// when the message is unknown or was already marked sent.
func (db *DB) MarkAlertSent(ctx context.Context, id int64, channel, ts string) error {
	now := millis(db.now())
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE alert_messages SET sent_at = $1, channel = $2, ts = $3,
			attempts = attempts + 1, last_error = '' WHERE id = $4 AND sent_at = 0`, now, channel, ts, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ledger.ErrNotFound
		}
		_, err = tx.Exec(ctx, `UPDATE alerts SET channel = $1, message_ts = $2 WHERE message_id = $3`, channel, ts, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("mark alert message %d sent: %w", id, translate(err))
	}
	return nil
}

// MarkAlertFailed records a failed delivery of message id and when to try
// again.
func (db *DB) MarkAlertFailed(ctx context.Context, id int64, errText string, next time.Time) error {
	_, err := db.pool.Exec(ctx, `UPDATE alert_messages SET attempts = attempts + 1, last_error = $1,
		next_attempt_at = $2, claim_until = 0 WHERE id = $3 AND sent_at = 0`, db.redact(errText), millis(next), id)
	if err != nil {
		return fmt.Errorf("mark alert message %d failed: %w", id, translate(err))
	}
	return nil
}

// EventsInStates groups the events in any of states (received before
// before, when not zero) by source, with per-type counts, the oldest
// receipt time and up to idLimit ids, oldest first; nil for no states.
func (db *DB) EventsInStates(ctx context.Context, states []ledger.State, before time.Time, idLimit int) ([]ledger.StateGroup, error) {
	if len(states) == 0 {
		return nil, nil
	}
	names := make([]string, len(states))
	for i, s := range states {
		names[i] = string(s)
	}
	const cond = `state = ANY($1::text[]) AND ($2::bigint = 0 OR received_at < $2::bigint)`
	rows, err := db.pool.Query(ctx, `SELECT source, type, count(*), min(received_at)
		FROM events WHERE `+cond+` GROUP BY source, type ORDER BY source, type`, names, millis(before))
	if err != nil {
		return nil, fmt.Errorf("list events in states: %w", translate(err))
	}
	var groups []ledger.StateGroup
	var src, typ string
	var n, oldest int64
	_, err = pgx.ForEachRow(rows, []any{&src, &typ, &n, &oldest}, func() error {
		if len(groups) == 0 || groups[len(groups)-1].Source != src {
			groups = append(groups, ledger.StateGroup{Source: src, ByType: map[string]int{}, Oldest: fromMillis(oldest)})
		}
		g := &groups[len(groups)-1]
		g.Count += int(n)
		g.ByType[typ] += int(n)
		if t := fromMillis(oldest); t.Before(g.Oldest) {
			g.Oldest = t
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list events in states: %w", translate(err))
	}
	for i := range groups {
		rows, err := db.pool.Query(ctx, `SELECT event_id FROM events WHERE source = $3 AND `+cond+`
			ORDER BY received_at, id LIMIT $4`, names, millis(before), groups[i].Source, idLimit)
		if err != nil {
			return nil, fmt.Errorf("list events in states: %w", translate(err))
		}
		if groups[i].IDs, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return nil, fmt.Errorf("list events in states: %w", translate(err))
		}
	}
	return groups, nil
}
