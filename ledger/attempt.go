package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// AttemptResult is the end of one claimed attempt, as the processor decided it.
type AttemptResult struct {
	Claim    *Claim
	Outcome  AttemptOutcome
	Error    string        // the handler's error text; "" on success
	Started  time.Time     // when the handler was called
	Duration time.Duration // how long the handler ran
	NextAt   time.Time     // when to try again; only for AttemptRetry
	// Stale is set by Settle when the claim no longer held the event (its
	// lease expired and the event was settled or claimed again): nothing
	// was written for it.
	Stale bool
}

// Settle applies results in one transaction: processed events become
// processed, retries become failed until NextAt, dead ones dead, released
// ones pending again without the attempt counting. Every result but a
// stale one adds a row to attempts. A result whose claim lost its lease is
// marked Stale and changes nothing.
func (db *DB) Settle(ctx context.Context, results []*AttemptResult) error {
	if len(results) == 0 {
		return nil
	}
	now := millis(db.now())
	var done, rest []*AttemptResult
	for _, r := range results {
		if r.Outcome == AttemptProcessed {
			done = append(done, r)
		} else {
			rest = append(rest, r)
		}
	}
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for start := 0; start < len(done); start += finishChunk {
			if err := db.finishProcessed(ctx, tx, done[start:min(start+finishChunk, len(done))], now); err != nil {
				return err
			}
		}
		if len(rest) == 0 {
			return nil
		}
		upd, err := db.stmt(ctx, tx, `UPDATE events SET state = ?, attempts = attempts - ?,
			next_attempt_at = ?, last_error = ?, processed_at = ?, attempt_origin = ?,
			lease_owner = '', lease_until = 0, updated_at = ?
			WHERE id = ? AND state = 'processing' AND lease_owner = ? AND attempts = ?`)
		if err != nil {
			return err
		}
		ins, err := db.stmt(ctx, tx, `INSERT INTO attempts
			(event_row, attempt, origin, started_at, duration_us, outcome, error)
			VALUES (?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		for _, r := range rest {
			if err := db.finishOne(ctx, upd, ins, r, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish attempts: %w", err)
	}
	return nil
}

// finishChunk bounds the rows of one multi-row settle statement.
const finishChunk = 64

// finishProcessed settles successful attempts, the common case, with one
// UPDATE and one INSERT for the whole chunk instead of two statements per
// event. A claim that no longer holds its event (lease lost) is not
// updated, so it is not returned, and is marked Stale.
func (db *DB) finishProcessed(ctx context.Context, tx *sql.Tx, chunk []*AttemptResult, now int64) error {
	args := []any{now, now}
	for _, r := range chunk {
		args = append(args, r.Claim.Event.ID, r.Claim.Owner, r.Claim.Attempt)
	}
	rows, err := db.query(ctx, tx, `UPDATE events SET state = 'processed', next_attempt_at = 0,
		last_error = '', processed_at = ?, attempt_origin = '', lease_owner = '', lease_until = 0, updated_at = ?
		FROM (VALUES `+valueRows(len(chunk), 3)+`) AS claimed
		WHERE events.id = claimed.column1 AND events.state = 'processing'
			AND events.lease_owner = claimed.column2 AND events.attempts = claimed.column3
		RETURNING events.id`, args...)
	if err != nil {
		return translate(err)
	}
	settled := make(map[int64]bool, len(chunk))
	err = scanRows(rows, func(rows *sql.Rows) error {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		settled[id] = true
		return nil
	})
	if err != nil {
		return err
	}
	args = args[:0]
	n := 0
	for _, r := range chunk {
		c := r.Claim
		if !settled[c.Event.ID] {
			r.Stale = true
			continue
		}
		args = append(args, c.Event.ID, c.Attempt, string(c.Origin), millis(r.Started), r.Duration.Microseconds(),
			string(r.Outcome), db.errorText(r.Error))
		n++
	}
	if n == 0 {
		return nil
	}
	_, err = db.exec(ctx, tx, `INSERT INTO attempts
		(event_row, attempt, origin, started_at, duration_us, outcome, error)
		VALUES `+valueRows(n, 7), args...)
	return translate(err)
}

func (db *DB) finishOne(ctx context.Context, upd, ins *sql.Stmt, r *AttemptResult, now int64) error {
	c := r.Claim
	errText := db.errorText(r.Error)
	state, uncount, next, lastErr, processedAt := StateFailed, 0, millis(r.NextAt), errText, int64(0)
	attemptOrigin := ""
	if c.Origin != c.Event.Origin {
		attemptOrigin = string(c.Origin)
	}
	switch r.Outcome {
	case AttemptProcessed:
		state, next, lastErr, processedAt, attemptOrigin = StateProcessed, 0, "", now, ""
	case AttemptDead:
		state, next, attemptOrigin = StateDead, 0, ""
	case AttemptReleased:
		state, uncount, next, lastErr = StatePending, 1, 0, c.Event.LastError
	case AttemptRetry:
	default:
		return fmt.Errorf("event %d: unknown outcome %q", c.Event.ID, r.Outcome)
	}
	res, err := upd.ExecContext(ctx, string(state), uncount, next, lastErr, processedAt, attemptOrigin,
		now, c.Event.ID, c.Owner, c.Attempt)
	if err != nil {
		return translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		r.Stale = true
		return nil
	}
	_, err = ins.ExecContext(ctx, c.Event.ID, c.Attempt, string(c.Origin), millis(r.Started),
		r.Duration.Microseconds(), string(r.Outcome), errText)
	return translate(err)
}

// Backoff returns how long to wait after the n-th failed attempt (n ≥ 1):
// base doubling per attempt, scaled by jitter r in [0, 1) to between 80%
// and 120%, and never more than max. It returns base for n < 1.
func Backoff(base, max time.Duration, n int, r float64) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = time.Duration(float64(d) * (0.8 + 0.4*r))
	if max > 0 && d > max {
		d = max
	}
	return d
}

// NextDue returns the earliest time a waiting event becomes ready: a
// failed event's next attempt or a lease's end. ok is false when nothing
// waits.
func (db *DB) NextDue(ctx context.Context) (t time.Time, ok bool, err error) {
	var retry, lease sql.NullInt64
	err = db.r.QueryRowContext(ctx, `SELECT
		(SELECT min(next_attempt_at) FROM events WHERE state = 'failed'),
		(SELECT min(lease_until) FROM events WHERE state = 'processing')`).Scan(&retry, &lease)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("find next due event: %w", translate(err))
	}
	for _, v := range []sql.NullInt64{retry, lease} {
		if v.Valid && (!ok || v.Int64 < millis(t)) {
			t, ok = fromMillis(v.Int64), true
		}
	}
	return t, ok, nil
}
