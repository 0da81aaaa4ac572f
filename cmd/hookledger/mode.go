package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hookledger/hookledger/ledger"
)

// runInit is `hookledger init`: create the ledger if needed and choose its
// mode, which every process that opens it then obeys.
func runInit(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "init", "init [--ledger-only | --deliver] [--db PATH]",
		"hookledger init --db /var/lib/hookledger/ledger.db --ledger-only")
	dbPath := fs.String("db", "", dbFlagUsage)
	ledgerOnly := fs.Bool("ledger-only", false, "record events without delivering them (no handler, by choice)")
	deliver := fs.Bool("deliver", false, "deliver events through HOOKLEDGER_FORWARD_URL or HOOKLEDGER_EXEC (the default)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *ledgerOnly && *deliver {
		return usageError("init: --ledger-only and --deliver exclude each other")
	}
	// init writes: it opens (and creates) the ledger read-write.
	_, db, err := openConfigured(ctx, env, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	cur, err := db.Mode(ctx)
	if err != nil {
		return err
	}
	want := ledger.ModeDeliver
	switch {
	case *ledgerOnly:
		want = ledger.ModeLedgerOnly
	case !*deliver && cur != ledger.ModeUnset:
		want = cur // no flag on a ledger whose mode is chosen: only say it
	}
	if want != cur {
		if _, err := db.SetMode(ctx, want); errors.Is(err, ledger.ErrEventsWaiting) {
			return usageError(fmt.Sprintf("init: ledger %s cannot become ledger-only: %v; deliver them first "+
				"(`hookledger process` with a handler), or nothing ever will", db.Path(), err))
		} else if err != nil {
			return err
		}
	}
	fmt.Fprintln(env.Stdout, modeLine(db.Path(), want))
	if cur == ledger.ModeLedgerOnly && want == ledger.ModeDeliver {
		fmt.Fprintln(env.Stdout, "events recorded while it was ledger-only were never delivered; "+
			"`hookledger replay --state processed --since D` queues them for delivery")
	}
	return nil
}

// modeLine is the one line every command prints about the ledger's mode.
func modeLine(path string, m ledger.Mode) string {
	return fmt.Sprintf("ledger %s: mode %s", path, m.Describe())
}

// sayMode prints the ledger's mode line on w and returns the mode.
func sayMode(ctx context.Context, w io.Writer, db *ledger.DB) (ledger.Mode, error) {
	m, err := db.Mode(ctx)
	if err != nil {
		return m, err
	}
	fmt.Fprintln(w, modeLine(db.Path(), m))
	return m, nil
}

// errNeedsChoice is why serve refuses a ledger whose mode says events are
// delivered when no handler is configured: the two ways out.
const errNeedsChoice = "no handler configured, and ledger %s is not ledger-only, so nothing would deliver its events. " +
	"Either set HOOKLEDGER_FORWARD_URL or HOOKLEDGER_EXEC (events are delivered to your app), " +
	"or choose ledger-only explicitly (events are recorded, never delivered): " +
	"`hookledger init --ledger-only`, or `hookledger serve --ledger-only` on a new ledger"

// settleMode checks the ledger's mode against a processor command's
// configuration (hasHandler, and --ledger-only for serve) and, on a ledger
// whose mode was never chosen, records the choice. It returns the mode, or
// a usage error when the two disagree: only an explicit choice makes a
// ledger ledger-only, and a ledger-only one delivers nothing.
func settleMode(ctx context.Context, db *ledger.DB, cmd string, hasHandler, ledgerOnly bool) (ledger.Mode, error) {
	if ledgerOnly && hasHandler {
		return "", usageError(cmd + ": --ledger-only with a handler configured (HOOKLEDGER_FORWARD_URL or HOOKLEDGER_EXEC): choose one")
	}
	cur, err := db.Mode(ctx)
	if err != nil {
		return cur, err
	}
	switch {
	case cur == ledger.ModeLedgerOnly && hasHandler:
		return cur, usageError(fmt.Sprintf("%s: ledger %s is ledger-only, but a handler is configured: unset "+
			"HOOKLEDGER_FORWARD_URL / HOOKLEDGER_EXEC, or make the ledger deliver with `hookledger init --deliver`", cmd, db.Path()))
	case cur == ledger.ModeLedgerOnly:
		return cur, nil
	case ledgerOnly && cur == ledger.ModeDeliver:
		return cur, usageError(fmt.Sprintf("%s: ledger %s delivers events (mode deliver); to stop delivering, "+
			"run `hookledger init --ledger-only` first", cmd, db.Path()))
	case !hasHandler && !ledgerOnly:
		return cur, usageError(fmt.Sprintf(cmd+": "+errNeedsChoice, db.Path()))
	}
	want := ledger.ModeDeliver
	if ledgerOnly {
		want = ledger.ModeLedgerOnly
	}
	if cur == want {
		return cur, nil
	}
	if _, err := db.SetMode(ctx, want); errors.Is(err, ledger.ErrEventsWaiting) {
		return cur, usageError(fmt.Sprintf("%s: ledger %s cannot become ledger-only: %v that nothing would deliver; "+
			"run with a handler instead", cmd, db.Path(), err))
	} else if err != nil {
		return cur, err
	}
	return want, nil
}
