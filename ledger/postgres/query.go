package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

const eventColumns = `id, source, event_id, type, action, account, content_type, headers,
	created_at, received_at, origin, state, attempts, next_attempt_at, last_error,
	processed_at, updated_at, payload_pruned_at, payload`

// Event returns the event (source, eventID) with its payload, or an error
// wrapping ledger.ErrNotFound.
func (db *DB) Event(ctx context.Context, source, eventID string) (*ledger.Event, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+eventColumns+` FROM events WHERE source = $1 AND event_id = $2`, source, eventID)
	if err != nil {
		return nil, fmt.Errorf("get event %s/%s: %w", source, eventID, translate(err))
	}
	ev, err := pgx.CollectExactlyOneRow(rows, scanEvent)
	if err != nil {
		return nil, fmt.Errorf("get event %s/%s: %w", source, eventID, translate(err))
	}
	return ev, nil
}

func scanEvent(row pgx.CollectableRow) (*ledger.Event, error) {
	var (
		ev                                         ledger.Event
		headers, origin, state                     string
		created, received, next, processed, update int64
		pruned                                     int64
	)
	err := row.Scan(&ev.ID, &ev.Source, &ev.EventID, &ev.Type, &ev.Action, &ev.Account, &ev.ContentType,
		&headers, &created, &received, &origin, &state, &ev.Attempts, &next, &ev.LastError,
		&processed, &update, &pruned, &ev.Payload)
	if err != nil {
		return nil, err
	}
	if err := decodeHeaders(&ev, headers); err != nil {
		return nil, err
	}
	ev.Origin, ev.State = ledger.Origin(origin), ledger.State(state)
	ev.CreatedAt, ev.ReceivedAt = fromMillis(created), fromMillis(received)
	ev.NextAttemptAt, ev.ProcessedAt, ev.UpdatedAt = fromMillis(next), fromMillis(processed), fromMillis(update)
	ev.PayloadPrunedAt = fromMillis(pruned)
	return &ev, nil
}

// Receipts returns every receipt recorded for the event, oldest first.
// The first delivery's receipt, kept on the event row, has ID 0, as on
// SQLite; one recorded before migration 004 is a receipts row of its own.
func (db *DB) Receipts(ctx context.Context, source, eventID string) ([]ledger.Receipt, error) {
	// The event row's receipt came before any duplicate's.
	rows, err := db.pool.Query(ctx, `SELECT id, source, event_id, outcome, reason, status,
		remote_addr, body_size, duration_us, received_at FROM (
			SELECT 0 AS k, 0::bigint AS id, source, event_id, 'accepted' AS outcome, '' AS reason,
				receipt_status AS status, receipt_addr AS remote_addr, receipt_size AS body_size,
				receipt_us AS duration_us, receipt_at AS received_at
			FROM events WHERE source = $1 AND event_id = $2 AND receipt_at <> 0
			UNION ALL
			SELECT 1, id, source, event_id, outcome, reason, status, remote_addr, body_size, duration_us, received_at
			FROM receipts WHERE source = $1 AND event_id = $2) AS r
		ORDER BY k, id`, source, eventID)
	if err != nil {
		return nil, fmt.Errorf("list receipts: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ledger.Receipt, error) {
		var rc ledger.Receipt
		var outcome string
		var size, durUS, at int64
		err := row.Scan(&rc.ID, &rc.Source, &rc.EventID, &outcome, &rc.Reason, &rc.Status,
			&rc.RemoteAddr, &size, &durUS, &at)
		rc.Outcome, rc.BodySize = ledger.Outcome(outcome), int(size)
		rc.Duration, rc.ReceivedAt = time.Duration(durUS)*time.Microsecond, fromMillis(at)
		return rc, err
	})
	if err != nil {
		return nil, fmt.Errorf("list receipts: %w", translate(err))
	}
	return out, nil
}

// Attempts returns every processing attempt of the event row, oldest first.
func (db *DB) Attempts(ctx context.Context, eventRow int64) ([]ledger.Attempt, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, event_row, attempt, origin, started_at,
		duration_us, outcome, error FROM attempts WHERE event_row = $1 ORDER BY id`, eventRow)
	if err != nil {
		return nil, fmt.Errorf("list attempts: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ledger.Attempt, error) {
		var a ledger.Attempt
		var origin string
		var started, durUS int64
		err := row.Scan(&a.ID, &a.EventRow, &a.Attempt, &origin, &started, &durUS, &a.Outcome, &a.Error)
		a.Origin, a.StartedAt, a.Duration = ledger.Origin(origin), fromMillis(started), time.Duration(durUS)*time.Microsecond
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("list attempts: %w", translate(err))
	}
	return out, nil
}
