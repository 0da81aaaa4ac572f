package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
)

// runEventsShow is `hookledger events show`: one event with its payload,
// receipts and attempts.
func runEventsShow(ctx context.Context, env *app.Env, args []string) error {
	fs := newFlagSet(env, "events show", "events show SOURCE EVENT_ID [--json] [--db PATH]",
		"hookledger events show stripe evt_1OaBcD --json")
	dbPath := fs.String("db", "", app.DBFlagUsage)
	asJSON := fs.Bool("json", false, "print one JSON object on stdout")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return app.UsageError("events show: want SOURCE EVENT_ID")
	}
	db, err := app.OpenReadOnly(ctx, env, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := app.SayMode(ctx, env.Stderr, db); err != nil {
		return err
	}
	j, size, err := app.EventDetail(ctx, db, pos[0], pos[1])
	if err != nil {
		return err
	}
	if *asJSON {
		return app.WriteJSON(env.Stdout, j)
	}
	printEvent(env.Stdout, j, size)
	return nil
}

// ackState says whether unknown-event alert a was acknowledged.
func ackState(a app.EventAlertJSON) string {
	if a.AckedAt != nil {
		return fmt.Sprintf("acknowledged by %s at %s", a.AckedBy, a.AckedAt.Format(time.RFC3339))
	}
	return fmt.Sprintf("open until acknowledged: hookledger alerts ack %d", a.ID)
}

// printEvent writes the human form of `events show`; size is the
// payload's, which only --json prints.
func printEvent(w io.Writer, j app.EventJSON, size int) {
	fmt.Fprintf(w, "%s %s  %s\n", j.Source, j.EventID, j.Type)
	if j.Action != "" {
		fmt.Fprintf(w, "  action:      %s\n", j.Action)
	}
	fmt.Fprintf(w, "  state:       %s (origin %s, %d attempts)\n", j.State, j.Origin, j.Attempts)
	fmt.Fprintf(w, "  created:     %s\n", j.CreatedAt.Format(time.RFC3339))
	fmt.Fprintf(w, "  received:    %s\n", j.ReceivedAt.Format(time.RFC3339))
	if j.LastError != "" {
		fmt.Fprintf(w, "  last error:  %s\n", j.LastError)
	}
	if j.State == ledger.StateProcessed && j.Attempts == 0 {
		fmt.Fprintf(w, "  delivery:    none: recorded as processed with no attempt (ledger-only); on a delivering "+
			"ledger `hookledger replay %s %s` queues it for the processor\n", j.Source, j.EventID)
	}
	for _, a := range j.Alerts {
		if a.ProviderUnknown {
			fmt.Fprintf(w, "  WARNING:     %s's API does not know this event, although its signature was valid "+
				"(forgery signal, alert #%d, %s)\n", j.Source, a.ID, ackState(a))
		}
	}
	if j.PayloadPrunedAt != nil {
		fmt.Fprintf(w, "  payload:     pruned %s (HOOKLEDGER_RETENTION_PAYLOADS)\n", j.PayloadPrunedAt.Format(time.RFC3339))
	} else {
		fmt.Fprintf(w, "  payload:     %d bytes (--json shows it)\n", size)
	}
	fmt.Fprintf(w, "receipts:\n")
	for _, rc := range j.Receipts {
		fmt.Fprintf(w, "  %s  %-9s %d  %s %s\n", rc.ReceivedAt.Format(time.RFC3339), rc.Outcome, rc.Status, rc.RemoteAddr, rc.Reason)
	}
	fmt.Fprintf(w, "attempts:\n")
	for _, a := range j.AttemptLog {
		fmt.Fprintf(w, "  #%d %s  %-9s %6.1fms  %s %s\n", a.Attempt, a.StartedAt.Format(time.RFC3339), a.Outcome, a.DurationMS, a.Origin, a.Error)
	}
}
