package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// serverMillis is the database server's clock in Unix milliseconds: a
// lease is timed by the one clock every instance shares.
const serverMillis = `(extract(epoch FROM clock_timestamp()) * 1000)::bigint`

// TakeLease takes the lease name for holder until ttl from now, or
// renews it when holder holds it already, in one statement, as river's
// leader election does: it succeeds when nobody holds the lease or its
// holder let it expire. It reports whether holder holds the lease now.
// The lease is timed by the server's clock, so instances whose clocks
// differ still agree on when it expires; of several instances taking an
// expired lease at once, one gets it.
func (db *DB) TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if name == "" || holder == "" || ttl <= 0 {
		return false, errors.New("take lease: name, holder and a positive ttl are required")
	}
	var got string
	err := db.pool.QueryRow(ctx, `INSERT INTO leader (name, holder, elected_at, expires_at)
		VALUES ($1, $2, `+serverMillis+`, `+serverMillis+` + $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
			elected_at = CASE WHEN leader.holder = excluded.holder THEN leader.elected_at ELSE excluded.elected_at END
		WHERE leader.holder = excluded.holder OR leader.expires_at <= excluded.elected_at
		RETURNING holder`, name, holder, ttl.Milliseconds()).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("take lease %s: %w", name, translate(err))
	}
	return got == holder, nil
}

// ReleaseLease gives the lease name up when holder holds it, so that
// another instance may take it at once; it does nothing otherwise.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM leader WHERE name = $1 AND holder = $2`, name, holder); err != nil {
		return fmt.Errorf("release lease %s: %w", name, translate(err))
	}
	return nil
}

// ClaimTick claims the run of job's tick scheduled at tick for holder, in
// one statement: it fails (false) when that tick, or a later one, was
// claimed before, so that a tick runs once even when the lease changes
// hands around it. The claim is a leader row named "tick:" + job.
func (db *DB) ClaimTick(ctx context.Context, job string, tick time.Time, holder string) (bool, error) {
	var got string
	err := db.pool.QueryRow(ctx, `INSERT INTO leader (name, holder, elected_at, expires_at) VALUES ($1, $2, $3, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, elected_at = excluded.elected_at
		WHERE leader.elected_at < excluded.elected_at
		RETURNING holder`, "tick:"+job, holder, millis(tick)).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim tick of %s: %w", job, translate(err))
	}
	return true, nil
}
