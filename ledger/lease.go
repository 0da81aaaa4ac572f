package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RenewOptions says whose leases RenewLeases extends, and until when.
type RenewOptions struct {
	Owner    string        // the lease owner; required
	Lease    time.Duration // the leases then end at Now+Lease; required
	EventRow int64         // when not 0, renew only this event's lease…
	Attempt  int           // …and only for this attempt
	Now      time.Time     // zero means db.now()
}

// Lease is one lease RenewLeases extended.
type Lease struct {
	EventRow int64
	Attempt  int
	Until    time.Time
}

// RenewLeases extends every lease opts.Owner still holds to opts.Now plus
// opts.Lease and returns them. A lease that has already run out is not
// renewed, even before it was reaped: another process may be about to take
// the event. It returns an empty slice, not an error, when the owner holds
// nothing.
//
// Leases are how processes that share a ledger tell a live worker from a
// dead one: a processor renews the leases of every event it has claimed,
// running or waiting for a worker, so only a process that stopped (or lost
// the ledger) lets them run out.
func (db *DB) RenewLeases(ctx context.Context, opts RenewOptions) ([]Lease, error) {
	if opts.Owner == "" || opts.Lease <= 0 {
		return nil, errors.New("renew leases: owner and lease are required")
	}
	now := opts.Now
	if now.IsZero() {
		now = db.now()
	}
	at, until := millis(now), millis(now.Add(opts.Lease))
	q, args := `UPDATE events SET lease_until = ?
		WHERE state = 'processing' AND lease_owner = ? AND lease_until > ?`, []any{until, opts.Owner, at}
	if opts.EventRow != 0 {
		q, args = q+` AND id = ? AND attempts = ?`, append(args, opts.EventRow, opts.Attempt)
	}
	var leases []Lease
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		leases = leases[:0]
		rows, err := db.query(ctx, tx, q+` RETURNING id, attempts`, args...)
		if err != nil {
			return translate(err)
		}
		defer rows.Close()
		for rows.Next() {
			l := Lease{Until: fromMillis(until)}
			if err := rows.Scan(&l.EventRow, &l.Attempt); err != nil {
				return translate(err)
			}
			leases = append(leases, l)
		}
		return translate(rows.Err())
	})
	if err != nil {
		return nil, fmt.Errorf("renew leases: %w", err)
	}
	return leases, nil
}
