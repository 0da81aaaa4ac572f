package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Mode is a property of the ledger, stored in it and shared by every
// process that opens it: whether its events are delivered to a handler.
// It is never inferred from a process's environment.
//
//	unset ──init, or the first serve/process──▶ deliver ⇄ ledger-only (init)
type Mode string

const (
	// ModeUnset is a ledger whose mode was never chosen. It behaves as
	// ModeDeliver (events wait as pending), but serve refuses to start on
	// it without a handler until the mode is chosen.
	ModeUnset Mode = ""
	// ModeDeliver: new events are recorded pending, and only the processor
	// marks them processed, after its handler succeeded.
	ModeDeliver Mode = "deliver"
	// ModeLedgerOnly: there is no handler, by choice; the ledger is the
	// product. New events are recorded as processed with no attempt.
	ModeLedgerOnly Mode = "ledger-only"
)

// ParseMode returns the Mode named s (deliver or ledger-only).
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeDeliver, ModeLedgerOnly:
		return m, nil
	}
	return "", fmt.Errorf("unknown ledger mode %q (want deliver or ledger-only)", s)
}

// Describe says in one line what m means for new events.
func (m Mode) Describe() string {
	switch m {
	case ModeLedgerOnly:
		return "ledger-only: events are recorded and marked processed on arrival; nothing is delivered"
	case ModeDeliver:
		return "deliver: events wait as pending until `hookledger serve` or `hookledger process` delivers them"
	}
	return "deliver (not chosen yet): events wait as pending until `hookledger serve` or `hookledger process` delivers them"
}

// String is m's name, "unset" for ModeUnset.
func (m Mode) String() string {
	if m == ModeUnset {
		return "unset"
	}
	return string(m)
}

// ErrEventsWaiting is returned by SetMode when a ledger with events still
// waiting for delivery would become ledger-only: nothing would deliver them.
var ErrEventsWaiting = errors.New("events are waiting for delivery")

// modeKey is the settings row that holds the Mode.
const modeKey = "mode"

// Mode returns the ledger's mode, ModeUnset when it was never chosen
// (also for a ledger whose schema predates the settings table).
func (db *DB) Mode(ctx context.Context) (Mode, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master
		WHERE type = 'table' AND name = 'settings'`).Scan(&n); err != nil {
		return ModeUnset, fmt.Errorf("read ledger mode: %w", translate(err))
	}
	if n == 0 {
		return ModeUnset, nil
	}
	var v string
	err := db.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, modeKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return ModeUnset, nil
	} else if err != nil {
		return ModeUnset, fmt.Errorf("read ledger mode: %w", translate(err))
	}
	return Mode(v), nil
}

// SetMode records m as the ledger's mode. Becoming ledger-only fails with
// ErrEventsWaiting while any event is pending, processing or failed. It
// returns the mode the ledger had before.
func (db *DB) SetMode(ctx context.Context, m Mode) (Mode, error) {
	if m != ModeDeliver && m != ModeLedgerOnly {
		return ModeUnset, fmt.Errorf("set ledger mode: unknown mode %q", m)
	}
	var prev Mode
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if prev, err = db.modeTx(ctx, tx); err != nil {
			return err
		}
		if m == ModeLedgerOnly && prev != ModeLedgerOnly {
			var waiting int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM events
				WHERE state IN ('pending', 'processing', 'failed')`).Scan(&waiting); err != nil {
				return translate(err)
			}
			if waiting > 0 {
				return fmt.Errorf("%w: %d events", ErrEventsWaiting, waiting)
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			modeKey, string(m), millis(db.Now()))
		return translate(err)
	})
	if err != nil {
		return prev, fmt.Errorf("set ledger mode: %w", err)
	}
	return prev, nil
}

// modeTx reads the mode inside a write transaction, so that a Record
// decides the state of its events by the mode committed with them. Every
// group transaction with a Record reads it: through the writer's
// statement cache, not parsed anew each time.
func (db *DB) modeTx(ctx context.Context, tx *sql.Tx) (Mode, error) {
	var v string
	err := db.queryRow(ctx, tx, `SELECT value FROM settings WHERE key = ?`, modeKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return ModeUnset, nil
	} else if err != nil {
		return ModeUnset, translate(err)
	}
	return Mode(v), nil
}
