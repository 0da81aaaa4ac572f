package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"strings"
	"time"
)

// EventFilter selects events for Events. Zero fields match everything.
type EventFilter struct {
	Source string
	State  State
	Since  time.Time // received at or after
	Limit  int       // 0: no cap
	Newest bool      // newest received first (else oldest first)
}

// eventColumns are the columns scanEvent reads, payload excluded.
const eventColumns = `id, source, event_id, type, action, account, content_type, headers,
	created_at, received_at, origin, state, attempts, next_attempt_at, last_error,
	processed_at, updated_at, payload_pruned_at`

// Events yields the events matching f in the order they were received
// (newest first with f.Newest), without their payloads, reading in pages so
// memory stays flat however many match. After an error it yields (nil,
// err) once and stops.
func (db *DB) Events(ctx context.Context, f EventFilter) iter.Seq2[*Event, error] {
	return func(yield func(*Event, error) bool) {
		const page = 500
		after, seen := int64(0), 0
		if f.Newest {
			after = math.MaxInt64
		}
		for {
			n := page
			if f.Limit > 0 && f.Limit-seen < n {
				n = f.Limit - seen
			}
			if n <= 0 {
				return
			}
			evs, err := db.eventsPage(ctx, f, after, n)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, ev := range evs {
				if !yield(ev, nil) {
					return
				}
			}
			if len(evs) < n {
				return
			}
			after, seen = evs[len(evs)-1].ID, seen+len(evs)
		}
	}
}

func (db *DB) eventsPage(ctx context.Context, f EventFilter, after int64, n int) ([]*Event, error) {
	where, order := []string{"id > ?"}, "id"
	if f.Newest {
		where, order = []string{"id < ?"}, "id DESC"
	}
	args := []any{after}
	if f.Source != "" {
		where, args = append(where, "source = ?"), append(args, f.Source)
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, string(f.State))
	}
	if !f.Since.IsZero() {
		where, args = append(where, "received_at >= ?"), append(args, millis(f.Since))
	}
	args = append(args, n)
	evs, err := db.queryEvents(ctx, `SELECT `+eventColumns+` FROM events
		WHERE `+strings.Join(where, " AND ")+` ORDER BY `+order+` LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return evs, nil
}

// queryEvents runs query, which selects eventColumns, on the read pool
// and returns its events; nil when there are none.
func (db *DB) queryEvents(ctx context.Context, query string, args ...any) ([]*Event, error) {
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, translate(err)
	}
	var out []*Event
	err = scanRows(rows, func(rows *sql.Rows) error {
		ev, err := scanEvent(rows.Scan)
		if err != nil {
			return err
		}
		out = append(out, ev)
		return nil
	})
	return out, err
}

// Sources returns the distinct sources of the events in the ledger, in
// order; nil when it holds none. It seeks the (source, event_id) index
// once per source rather than reading every event.
func (db *DB) Sources(ctx context.Context) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, `WITH RECURSIVE s(source) AS (
			SELECT min(source) FROM events
			UNION ALL
			SELECT (SELECT min(source) FROM events WHERE source > s.source) FROM s WHERE s.source IS NOT NULL)
		SELECT source FROM s WHERE source IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", translate(err))
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("list sources: %w", translate(err))
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sources: %w", translate(err))
	}
	return out, nil
}

// Event returns the event with the given source and provider id, payload
// included, or ErrNotFound.
func (db *DB) Event(ctx context.Context, source, eventID string) (*Event, error) {
	var encoding string
	var data []byte
	ev, err := scanEvent(func(dest ...any) error {
		return db.r.QueryRowContext(ctx, `SELECT `+eventColumns+`, coalesce(p.encoding, ''), p.data
			FROM events LEFT JOIN payloads p ON p.event_row = events.id
			WHERE source = ? AND event_id = ?`, source, eventID).Scan(append(dest, &encoding, &data)...)
	})
	if err == nil {
		ev.Payload, err = db.decodePayload(ctx, encoding, data)
	}
	if err != nil {
		return nil, fmt.Errorf("get event %s/%s: %w", source, eventID, err)
	}
	return ev, nil
}

func scanEvent(scan func(dest ...any) error) (*Event, error) {
	var (
		ev                                         Event
		headers, origin, state                     string
		created, received, next, processed, update int64
		pruned                                     int64
	)
	err := scan(&ev.ID, &ev.Source, &ev.EventID, &ev.Type, &ev.Action, &ev.Account, &ev.ContentType,
		&headers, &created, &received, &origin, &state, &ev.Attempts, &next, &ev.LastError,
		&processed, &update, &pruned)
	if err != nil {
		return nil, translate(err)
	}
	if headers != "" && headers != "{}" {
		if err := json.Unmarshal([]byte(headers), &ev.Headers); err != nil {
			return nil, fmt.Errorf("decode headers of %s: %w", ev.EventID, err)
		}
	}
	ev.Origin, ev.State = Origin(origin), State(state)
	ev.CreatedAt, ev.ReceivedAt = fromMillis(created), fromMillis(received)
	ev.NextAttemptAt, ev.ProcessedAt, ev.UpdatedAt = fromMillis(next), fromMillis(processed), fromMillis(update)
	ev.PayloadPrunedAt = fromMillis(pruned)
	return &ev, nil
}

// Receipts returns every receipt recorded for the event, oldest first.
// The first delivery's receipt, kept on the event row, has ID 0.
func (db *DB) Receipts(ctx context.Context, source, eventID string) ([]Receipt, error) {
	// The first delivery's receipt is on the event row (receipt_at set),
	// and came before any duplicate.
	rows, err := db.r.QueryContext(ctx, `SELECT id, source, event_id, outcome, reason, status,
		remote_addr, body_size, duration_us, received_at FROM (
			SELECT 0 AS k, 0 AS id, source, event_id, 'accepted' AS outcome, '' AS reason, receipt_status AS status,
				receipt_addr AS remote_addr, receipt_size AS body_size, receipt_us AS duration_us, receipt_at AS received_at
			FROM events WHERE source = ? AND event_id = ? AND receipt_at != 0
			UNION ALL
			SELECT 1, id, source, event_id, outcome, reason, status, remote_addr, body_size, duration_us, received_at
			FROM receipts WHERE source = ? AND event_id = ?)
		ORDER BY k, id`, source, eventID, source, eventID)
	if err != nil {
		return nil, fmt.Errorf("list receipts: %w", translate(err))
	}
	defer rows.Close()
	var out []Receipt
	for rows.Next() {
		var rc Receipt
		var outcome string
		var durUS, at int64
		if err := rows.Scan(&rc.ID, &rc.Source, &rc.EventID, &outcome, &rc.Reason, &rc.Status,
			&rc.RemoteAddr, &rc.BodySize, &durUS, &at); err != nil {
			return nil, fmt.Errorf("list receipts: %w", translate(err))
		}
		rc.Outcome, rc.Duration, rc.ReceivedAt = Outcome(outcome), time.Duration(durUS)*time.Microsecond, fromMillis(at)
		out = append(out, rc)
	}
	return out, translate(rows.Err())
}

// Attempts returns every processing attempt of the event row, oldest first.
func (db *DB) Attempts(ctx context.Context, eventRow int64) ([]Attempt, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, event_row, attempt, origin, started_at,
		duration_us, outcome, error FROM attempts WHERE event_row = ? ORDER BY id`, eventRow)
	if err != nil {
		return nil, fmt.Errorf("list attempts: %w", translate(err))
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var a Attempt
		var origin string
		var started, durUS int64
		if err := rows.Scan(&a.ID, &a.EventRow, &a.Attempt, &origin, &started, &durUS, &a.Outcome, &a.Error); err != nil {
			return nil, fmt.Errorf("list attempts: %w", translate(err))
		}
		a.Origin, a.StartedAt, a.Duration = Origin(origin), fromMillis(started), time.Duration(durUS)*time.Microsecond
		out = append(out, a)
	}
	return out, translate(rows.Err())
}
