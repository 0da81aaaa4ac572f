package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
)

// runInit is `hookledger init`: create the ledger if needed and choose its
// mode, which every process that opens it then obeys.
func runInit(ctx context.Context, env *app.Env, args []string) error {
	fs := newFlagSet(env, "init", "init [--ledger-only | --deliver] [--db PATH]",
		"hookledger init --db /var/lib/hookledger/ledger.db --ledger-only")
	dbPath := fs.String("db", "", app.DBFlagUsage)
	ledgerOnly := fs.Bool("ledger-only", false, "record events without delivering them (no handler, by choice)")
	deliver := fs.Bool("deliver", false, "deliver events through HOOKLEDGER_FORWARD_URL or HOOKLEDGER_EXEC (the default)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *ledgerOnly && *deliver {
		return app.UsageError("init: --ledger-only and --deliver exclude each other")
	}
	// init writes: it opens (and creates) the ledger read-write.
	_, db, err := app.OpenConfigured(ctx, env, *dbPath)
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
			return app.UsageError(fmt.Sprintf("init: ledger %s cannot become ledger-only: %v; deliver them first "+
				"(`hookledger process` with a handler), or nothing ever will", app.LedgerName(db), err))
		} else if err != nil {
			return err
		}
	}
	fmt.Fprintln(env.Stdout, app.ModeLine(app.LedgerName(db), want))
	if cur == ledger.ModeLedgerOnly && want == ledger.ModeDeliver {
		fmt.Fprintln(env.Stdout, "events recorded while it was ledger-only were never delivered; "+
			"`hookledger replay --state processed --since D` queues them for delivery")
	}
	return nil
}
