package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

// The Processor runs on a PostgreSQL ledger unchanged.
var _ ledger.Queue = (*DB)(nil)

// leaseLostError is the reason recorded when a worker's lease ran out; the
// same text as the SQLite ledger's.
const leaseLostError = "lease expired: the worker stopped without finishing"

// reapBatch bounds the expired leases one Claim settles.
const reapBatch = 1000

// Claim takes up to opts.Limit ready events under a lease, in
// provider-created order (created_at, then ledger id), as ledger.DB.Claim
// does: first it settles events whose lease expired (the lost attempt is
// recorded as a retry, or dead on the last attempt), then claims. Rows
// another process is claiming or settling at the same moment are skipped
// (FOR UPDATE SKIP LOCKED), so processes never wait for each other and
// never claim the same event. It returns an empty slice when nothing is
// ready.
func (db *DB) Claim(ctx context.Context, opts ledger.ClaimOptions) ([]*ledger.Claim, error) {
	if opts.Owner == "" || opts.Limit < 1 || opts.Lease <= 0 {
		return nil, errors.New("claim events: owner, limit and lease are required")
	}
	now := opts.Now
	if now.IsZero() {
		now = db.now()
	}
	var claims []*ledger.Claim
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := reapLeases(ctx, tx, now, opts.MaxAttempts); err != nil {
			return err
		}
		var err error
		claims, err = claimReady(ctx, tx, opts, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim events: %w", translate(err))
	}
	return claims, nil
}

// reapLeases records the lost attempt of each event whose lease expired
// and makes it ready again, or dead when that was its last attempt. The
// expired rows are locked with SKIP LOCKED, so a lease being renewed or
// settled at this moment is left alone, and a lease renewed since this
// statement began is re-checked and not reaped.
func reapLeases(ctx context.Context, tx pgx.Tx, now time.Time, maxAttempts int) error {
	if maxAttempts <= 0 {
		maxAttempts = 1 << 30
	}
	_, err := tx.Exec(ctx, `WITH lost AS (
			SELECT id, attempts, claimed_at, lease_until,
				CASE WHEN attempt_origin <> '' THEN attempt_origin ELSE origin END AS attempt_origin,
				attempts - replay_base >= $2 AS last
			FROM events WHERE state = 'processing' AND lease_until <= $1
			ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED
		), settled AS (
			UPDATE events e SET
				state = CASE WHEN lost.last THEN 'dead' ELSE 'failed' END,
				attempt_origin = CASE WHEN lost.last THEN '' ELSE e.attempt_origin END,
				next_attempt_at = $1, lease_owner = '', lease_until = 0, last_error = $3, updated_at = $1
			FROM lost WHERE e.id = lost.id
			RETURNING e.id
		)
		INSERT INTO attempts (event_row, attempt, origin, started_at, duration_us, outcome, error)
		SELECT lost.id, lost.attempts, lost.attempt_origin, lost.claimed_at, (lost.lease_until - lost.claimed_at) * 1000,
			CASE WHEN lost.last THEN 'dead' ELSE 'retry' END, $3
		FROM lost JOIN settled USING (id)`,
		millis(now), maxAttempts, leaseLostError, reapBatch)
	return err
}

const claimColumns = `e.id, e.source, e.event_id, e.type, e.action, e.account, e.content_type, e.headers, e.payload,
	e.created_at, e.received_at, e.origin, e.attempts, e.attempt_origin, e.replay_base, e.last_error`

func claimReady(ctx context.Context, tx pgx.Tx, opts ledger.ClaimOptions, now time.Time) ([]*ledger.Claim, error) {
	at, until := millis(now), millis(now.Add(opts.Lease))
	ready, args := `SELECT id FROM events
		WHERE state IN ('pending', 'failed') AND next_attempt_at <= $1
		ORDER BY created_at, id LIMIT $5 FOR UPDATE SKIP LOCKED`, []any{at, opts.Owner, until, at, opts.Limit}
	if opts.EventRow != 0 {
		ready, args = `SELECT id FROM events
			WHERE id = $5 AND state IN ('pending', 'failed') AND next_attempt_at <= $1
			FOR UPDATE SKIP LOCKED`, []any{at, opts.Owner, until, at, opts.EventRow}
	}
	rows, err := tx.Query(ctx, `WITH ready AS (`+ready+`)
		UPDATE events e SET state = 'processing', attempts = e.attempts + 1,
			lease_owner = $2, lease_until = $3, claimed_at = $4, updated_at = $4
		FROM ready WHERE e.id = ready.id
		RETURNING `+claimColumns, args...)
	if err != nil {
		return nil, err
	}
	claims, err := pgx.CollectRows(rows, scanClaim)
	if err != nil {
		return nil, err
	}
	for _, c := range claims {
		c.Owner, c.ClaimedAt, c.LeaseEnd = opts.Owner, fromMillis(at), fromMillis(until)
	}
	// RETURNING gives no order guarantee.
	slices.SortFunc(claims, func(a, b *ledger.Claim) int {
		return cmp.Or(a.Event.CreatedAt.Compare(b.Event.CreatedAt), cmp.Compare(a.Event.ID, b.Event.ID))
	})
	return claims, nil
}

func scanClaim(row pgx.CollectableRow) (*ledger.Claim, error) {
	ev := &ledger.Event{State: ledger.StateProcessing}
	var headers, origin, attemptOrigin string
	var created, received int64
	var replayBase int
	if err := row.Scan(&ev.ID, &ev.Source, &ev.EventID, &ev.Type, &ev.Action, &ev.Account,
		&ev.ContentType, &headers, &ev.Payload, &created, &received, &origin, &ev.Attempts,
		&attemptOrigin, &replayBase, &ev.LastError); err != nil {
		return nil, err
	}
	ev.CreatedAt, ev.ReceivedAt, ev.Origin = fromMillis(created), fromMillis(received), ledger.Origin(origin)
	if err := decodeHeaders(ev, headers); err != nil {
		return nil, err
	}
	c := &ledger.Claim{Event: ev, Attempt: ev.Attempts, AttemptsUsed: ev.Attempts - replayBase, Origin: ev.Origin}
	if attemptOrigin != "" {
		c.Origin = ledger.Origin(attemptOrigin)
	}
	return c, nil
}

func decodeHeaders(ev *ledger.Event, headers string) error {
	if headers == "" || headers == "{}" {
		return nil
	}
	if err := json.Unmarshal([]byte(headers), &ev.Headers); err != nil {
		return fmt.Errorf("decode event %d headers: %w", ev.ID, err)
	}
	return nil
}

// RenewLeases extends every lease opts.Owner still holds to opts.Now plus
// opts.Lease and returns them, as ledger.DB.RenewLeases does: a lease that
// has already run out is not renewed, even before it was reaped, since
// another process may be about to take the event. It returns an empty
// slice when the owner holds nothing.
func (db *DB) RenewLeases(ctx context.Context, opts ledger.RenewOptions) ([]ledger.Lease, error) {
	if opts.Owner == "" || opts.Lease <= 0 {
		return nil, errors.New("renew leases: owner and lease are required")
	}
	now := opts.Now
	if now.IsZero() {
		now = db.now()
	}
	at, until := millis(now), millis(now.Add(opts.Lease))
	q, args := `UPDATE events SET lease_until = $1
		WHERE state = 'processing' AND lease_owner = $2 AND lease_until > $3`, []any{until, opts.Owner, at}
	if opts.EventRow != 0 {
		q, args = q+` AND id = $4 AND attempts = $5`, append(args, opts.EventRow, opts.Attempt)
	}
	rows, err := db.pool.Query(ctx, q+` RETURNING id, attempts`, args...)
	if err != nil {
		return nil, fmt.Errorf("renew leases: %w", translate(err))
	}
	leases, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ledger.Lease, error) {
		l := ledger.Lease{Until: fromMillis(until)}
		return l, row.Scan(&l.EventRow, &l.Attempt)
	})
	if err != nil {
		return nil, fmt.Errorf("renew leases: %w", translate(err))
	}
	if leases == nil {
		leases = []ledger.Lease{}
	}
	return leases, nil
}

// NextDue returns the earliest time a waiting event becomes ready: a
// failed event's next attempt or a lease's end. ok is false when nothing
// waits.
func (db *DB) NextDue(ctx context.Context) (t time.Time, ok bool, err error) {
	var retry, lease *int64
	err = db.pool.QueryRow(ctx, `SELECT
		(SELECT min(next_attempt_at) FROM events WHERE state = 'failed'),
		(SELECT min(lease_until) FROM events WHERE state = 'processing')`).Scan(&retry, &lease)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("find next due event: %w", translate(err))
	}
	for _, v := range []*int64{retry, lease} {
		if v != nil && (!ok || *v < millis(t)) {
			t, ok = fromMillis(*v), true
		}
	}
	return t, ok, nil
}
