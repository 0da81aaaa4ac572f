package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// TakeLease takes the lease name for holder until ttl from now, or
// renews it when holder holds it already, in one statement: it succeeds
// when nobody holds the lease or its holder let it expire. It reports
// whether holder holds the lease now. Every process on the ledger file
// sees the same lease, so at most one holds it at a time (by the ledger's
// clock, which processes on one machine share).
func (db *DB) TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if name == "" || holder == "" || ttl <= 0 {
		return false, errors.New("take lease: name, holder and a positive ttl are required")
	}
	now := millis(db.Now())
	held := false
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var got string
		err := tx.QueryRowContext(ctx, `INSERT INTO leader (name, holder, elected_at, expires_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
				elected_at = CASE WHEN leader.holder = excluded.holder THEN leader.elected_at ELSE excluded.elected_at END
			WHERE leader.holder = excluded.holder OR leader.expires_at <= excluded.elected_at
			RETURNING holder`, name, holder, now, now+ttl.Milliseconds()).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		held = err == nil && got == holder
		return translate(err)
	})
	if err != nil {
		return false, fmt.Errorf("take lease %s: %w", name, err)
	}
	return held, nil
}

// ReleaseLease gives the lease name up when holder holds it, so that
// another process may take it at once; it does nothing otherwise.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM leader WHERE name = ? AND holder = ?`, name, holder)
		return translate(err)
	})
	if err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}

// ClaimTick claims the run of job's tick scheduled at tick for holder, in
// one statement: it fails (false) when that tick, or a later one, was
// claimed before, so that a tick runs once even when the lease changes
// hands around it. The claim is a leader row named "tick:" + job.
func (db *DB) ClaimTick(ctx context.Context, job string, tick time.Time, holder string) (bool, error) {
	claimed := false
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var got string
		err := tx.QueryRowContext(ctx, `INSERT INTO leader (name, holder, elected_at, expires_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, elected_at = excluded.elected_at
			WHERE leader.elected_at < excluded.elected_at
			RETURNING holder`, "tick:"+job, holder, millis(tick), millis(tick)).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		claimed = err == nil
		return translate(err)
	})
	if err != nil {
		return false, fmt.Errorf("claim tick of %s: %w", job, err)
	}
	return claimed, nil
}
