package app

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hookledger/hookledger/ledger"
)

// ModeLine is the one line every command prints about the ledger's mode.
func ModeLine(path string, m ledger.Mode) string {
	return fmt.Sprintf("ledger %s: mode %s", path, m.Describe())
}

// SayMode prints the ledger's mode line on w and returns the mode.
func SayMode(ctx context.Context, w io.Writer, db Ledger) (ledger.Mode, error) {
	m, err := db.Mode(ctx)
	if err != nil {
		return m, err
	}
	fmt.Fprintln(w, ModeLine(LedgerName(db), m))
	return m, nil
}

// errNeedsChoice is why serve refuses a ledger whose mode says events are
// delivered when no handler is configured: the two ways out.
const errNeedsChoice = "no handler configured, and ledger %s is not ledger-only, so nothing would deliver its events. " +
	"Either set HOOKLEDGER_FORWARD_URL or HOOKLEDGER_EXEC (events are delivered to your app), " +
	"or choose ledger-only explicitly (events are recorded, never delivered): " +
	"`hookledger init --ledger-only`, or `hookledger serve --ledger-only` on a new ledger"

// SettleMode checks the ledger's mode against a processor command's
// configuration (hasHandler, and --ledger-only for serve) and, on a ledger
// whose mode was never chosen, records the choice. It returns the mode, or
// a usage error when the two disagree: only an explicit choice makes a
// ledger ledger-only, and a ledger-only one delivers nothing.
func SettleMode(ctx context.Context, db Ledger, cmd string, hasHandler, ledgerOnly bool) (ledger.Mode, error) {
	if ledgerOnly && hasHandler {
		return "", UsageError(cmd + ": --ledger-only with a handler configured (HOOKLEDGER_FORWARD_URL or HOOKLEDGER_EXEC): choose one")
	}
	cur, err := db.Mode(ctx)
	if err != nil {
		return cur, err
	}
	switch {
	case cur == ledger.ModeLedgerOnly && hasHandler:
		return cur, UsageError(fmt.Sprintf("%s: ledger %s is ledger-only, but a handler is configured: unset "+
			"HOOKLEDGER_FORWARD_URL / HOOKLEDGER_EXEC, or make the ledger deliver with `hookledger init --deliver`", cmd, LedgerName(db)))
	case cur == ledger.ModeLedgerOnly:
		return cur, nil
	case ledgerOnly && cur == ledger.ModeDeliver:
		return cur, UsageError(fmt.Sprintf("%s: ledger %s delivers events (mode deliver); to stop delivering, "+
			"run `hookledger init --ledger-only` first", cmd, LedgerName(db)))
	case !hasHandler && !ledgerOnly:
		return cur, UsageError(fmt.Sprintf(cmd+": "+errNeedsChoice, LedgerName(db)))
	}
	want := ledger.ModeDeliver
	if ledgerOnly {
		want = ledger.ModeLedgerOnly
	}
	if cur == want {
		return cur, nil
	}
	if _, err := db.SetMode(ctx, want); errors.Is(err, ledger.ErrEventsWaiting) {
		return cur, UsageError(fmt.Sprintf("%s: ledger %s cannot become ledger-only: %v that nothing would deliver; "+
			"run with a handler instead", cmd, LedgerName(db), err))
	} else if err != nil {
		return cur, err
	}
	return want, nil
}
