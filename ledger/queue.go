package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"
)

// AttemptOutcome is how one attempt ended; the attempts table's CHECK
// constraint mirrors these values.
type AttemptOutcome string

const (
	AttemptProcessed AttemptOutcome = "processed" // the handler succeeded
	AttemptRetry     AttemptOutcome = "retry"     // failed; the event waits for its next attempt
	AttemptDead      AttemptOutcome = "dead"      // failed permanently or for the last time
	AttemptReleased  AttemptOutcome = "released"  // not finished at shutdown; back to pending, not counted
)

// maxErrorLen bounds the error text kept on events and attempts.
const maxErrorLen = 2048

// leaseLostError is the reason recorded when a worker's lease ran out.
const leaseLostError = "lease expired: the worker stopped without finishing"

// ClaimOptions says what Claim takes and for how long.
type ClaimOptions struct {
	Owner       string        // lease owner, for diagnosis; required
	Limit       int           // most events to claim; at least 1
	Lease       time.Duration // how long the claim holds before others may take the event
	MaxAttempts int           // an expired lease on the last attempt makes the event dead; 0 = no limit
	EventRow    int64         // when not 0, claim only this event (if it is ready)
	Now         time.Time     // the claim time; zero means db.now()
}

// Claim is one event claimed for one attempt.
type Claim struct {
	Event        *Event
	Attempt      int    // this attempt's number (Event.Attempts after the claim)
	AttemptsUsed int    // attempts used since the last replay, this one included
	Origin       Origin // recorded on the attempt: the event's origin or replay
	Owner        string
	ClaimedAt    time.Time
	LeaseEnd     time.Time
}

// Delivery returns the Delivery a handler receives for c.
func (c *Claim) Delivery() Delivery {
	return Delivery{Event: c.Event, Attempt: c.Attempt, Origin: c.Origin}
}

// Claim takes up to opts.Limit ready events under a lease, in
// provider-created order (created_at, then ledger id). Ready means pending,
// or failed with its next attempt due. First, events whose lease expired
// (their worker died) are settled: the lost attempt is recorded as a retry
// (or dead, on the last attempt) and the event becomes ready again. Claim
// returns an empty slice, not an error, when nothing is ready.
func (db *DB) Claim(ctx context.Context, opts ClaimOptions) ([]*Claim, error) {
	if opts.Owner == "" || opts.Limit < 1 || opts.Lease <= 0 {
		return nil, errors.New("claim events: owner, limit and lease are required")
	}
	now := opts.Now
	if now.IsZero() {
		now = db.now()
	}
	var claims []*Claim
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		claims = claims[:0]
		if err := db.reapLeases(ctx, tx, now, opts.MaxAttempts); err != nil {
			return err
		}
		var err error
		claims, err = db.claimReady(ctx, tx, opts, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim events: %w", err)
	}
	// Off the writer: the claim committed, and a claimed event's payload
	// does not change (prune takes only processed events').
	if err := db.loadPayloads(ctx, claims); err != nil {
		return nil, fmt.Errorf("claim events: %w", err)
	}
	return claims, nil
}

// reapLeases records the lost attempt of every event whose lease expired
// and makes it ready again, or dead when that was its last attempt.
func (db *DB) reapLeases(ctx context.Context, tx *sql.Tx, now time.Time, maxAttempts int) error {
	if maxAttempts <= 0 {
		maxAttempts = 1 << 30
	}
	at := millis(now)
	if _, err := db.exec(ctx, tx, `INSERT INTO attempts
		(event_row, attempt, origin, started_at, duration_us, outcome, error)
		SELECT id, attempts, CASE WHEN attempt_origin != '' THEN attempt_origin ELSE origin END,
			claimed_at, (lease_until - claimed_at) * 1000,
			CASE WHEN attempts - replay_base >= ? THEN 'dead' ELSE 'retry' END, ?
		FROM events WHERE state = 'processing' AND lease_until <= ?`,
		maxAttempts, leaseLostError, at); err != nil {
		return translate(err)
	}
	_, err := db.exec(ctx, tx, `UPDATE events SET
		state = CASE WHEN attempts - replay_base >= ? THEN 'dead' ELSE 'failed' END,
		attempt_origin = CASE WHEN attempts - replay_base >= ? THEN '' ELSE attempt_origin END,
		next_attempt_at = ?, lease_owner = '', lease_until = 0, last_error = ?, updated_at = ?
		WHERE state = 'processing' AND lease_until <= ?`,
		maxAttempts, maxAttempts, at, leaseLostError, at, at)
	return translate(err)
}

const claimColumns = `id, source, event_id, type, action, account, content_type, headers,
	created_at, received_at, origin, attempts, attempt_origin, replay_base, last_error`

func (db *DB) claimReady(ctx context.Context, tx *sql.Tx, opts ClaimOptions, now time.Time) ([]*Claim, error) {
	at, until := millis(now), millis(now.Add(opts.Lease))
	filter, args := `SELECT id FROM events INDEXED BY events_claim
		WHERE state IN ('pending', 'failed') AND next_attempt_at <= ?
		ORDER BY created_at, id LIMIT ?`, []any{at, opts.Limit}
	if opts.EventRow != 0 {
		filter, args = `SELECT id FROM events
			WHERE id = ? AND state IN ('pending', 'failed') AND next_attempt_at <= ?`, []any{opts.EventRow, at}
	}
	rows, err := db.query(ctx, tx, `UPDATE events SET state = 'processing', attempts = attempts + 1,
		lease_owner = ?, lease_until = ?, claimed_at = ?, updated_at = ?
		WHERE id IN (`+filter+`) RETURNING `+claimColumns,
		append([]any{opts.Owner, until, at, at}, args...)...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var claims []*Claim
	for rows.Next() {
		c, err := scanClaim(rows)
		if err != nil {
			return nil, err
		}
		c.Owner, c.ClaimedAt, c.LeaseEnd = opts.Owner, fromMillis(at), fromMillis(until)
		claims = append(claims, c)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	// RETURNING gives no order guarantee.
	slices.SortFunc(claims, func(a, b *Claim) int {
		if c := a.Event.CreatedAt.Compare(b.Event.CreatedAt); c != 0 {
			return c
		}
		return int(a.Event.ID - b.Event.ID)
	})
	return claims, nil
}

func scanClaim(rows *sql.Rows) (*Claim, error) {
	ev := &Event{State: StateProcessing}
	var headers, origin, attemptOrigin string
	var created, received int64
	var replayBase int
	if err := rows.Scan(&ev.ID, &ev.Source, &ev.EventID, &ev.Type, &ev.Action, &ev.Account,
		&ev.ContentType, &headers, &created, &received, &origin, &ev.Attempts,
		&attemptOrigin, &replayBase, &ev.LastError); err != nil {
		return nil, translate(err)
	}
	ev.CreatedAt, ev.ReceivedAt, ev.Origin = fromMillis(created), fromMillis(received), Origin(origin)
	if headers != "" && headers != "{}" {
		if err := json.Unmarshal([]byte(headers), &ev.Headers); err != nil {
			return nil, fmt.Errorf("decode event %d headers: %w", ev.ID, err)
		}
	}
	c := &Claim{Event: ev, Attempt: ev.Attempts, AttemptsUsed: ev.Attempts - replayBase, Origin: ev.Origin}
	if attemptOrigin != "" {
		c.Origin = Origin(attemptOrigin)
	}
	return c, nil
}

// truncateError shortens s to maxErrorLen bytes on a rune boundary.
func truncateError(s string) string {
	if len(s) <= maxErrorLen {
		return s
	}
	s = s[:maxErrorLen]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
