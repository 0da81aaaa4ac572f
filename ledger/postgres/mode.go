package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/ledger"
)

// modeKey is the settings row that holds the ledger.Mode.
const modeKey = "mode"

// Mode returns the ledger's mode, ledger.ModeUnset when it was never
// chosen. The mode is stored in the ledger and shared by every instance.
func (db *DB) Mode(ctx context.Context) (ledger.Mode, error) {
	var v string
	err := db.pool.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, modeKey).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return ledger.ModeUnset, nil
	} else if err != nil {
		return ledger.ModeUnset, fmt.Errorf("read ledger mode: %w", translate(err))
	}
	return ledger.Mode(v), nil
}

// SetMode records m as the ledger's mode and returns the mode it had
// before, as ledger.DB.SetMode does. Becoming ledger-only fails with
// ledger.ErrEventsWaiting while any event is pending, processing or
// failed. It locks events against intake while it counts them (intake
// waits a moment), so no event recorded pending by another instance can
// slip in between the count and the change.
func (db *DB) SetMode(ctx context.Context, m ledger.Mode) (ledger.Mode, error) {
	if m != ledger.ModeDeliver && m != ledger.ModeLedgerOnly {
		return ledger.ModeUnset, fmt.Errorf("set ledger mode: unknown mode %q", m)
	}
	prev := ledger.ModeUnset
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if m == ledger.ModeLedgerOnly {
			if _, err := tx.Exec(ctx, `LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return err
			}
		}
		var v string
		err := tx.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1 FOR UPDATE`, modeKey).Scan(&v)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		prev = ledger.Mode(v)
		if m == ledger.ModeLedgerOnly && prev != ledger.ModeLedgerOnly {
			var waiting int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM events
				WHERE state IN ('pending', 'processing', 'failed')`).Scan(&waiting); err != nil {
				return err
			}
			if waiting > 0 {
				return fmt.Errorf("%w: %d events", ledger.ErrEventsWaiting, waiting)
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			modeKey, string(m), millis(db.now()))
		return err
	})
	if err != nil {
		return prev, fmt.Errorf("set ledger mode: %w", translate(err))
	}
	return prev, nil
}
