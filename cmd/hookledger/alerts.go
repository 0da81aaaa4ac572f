package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/hookledger/hookledger/alerts"
	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
)

// runAlerts is `hookledger alerts list|ack|flush`.
func runAlerts(ctx context.Context, env *app.Env, args []string) error {
	return dispatch(ctx, env, "alerts", args, []command{
		{"list", "alerts (open, or --all) and the outbox", runAlertsList},
		{"ack", "acknowledge an open alert (the forgery signal stays open until then)", runAlertsAck},
		{"flush", "deliver the alert outbox now", runAlertsFlush},
	})
}

// alertsJSON is `alerts list --json`: the alerts, newest first, and the
// messages still waiting in the outbox.
type alertsJSON struct {
	Alerts []app.AlertJSON `json:"alerts"`
	Outbox []outboxJSON    `json:"outbox"`
}

type outboxJSON struct {
	ID            int64     `json:"id"`
	Source        string    `json:"source,omitempty"`
	Kind          string    `json:"kind"`
	Text          string    `json:"text"`
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
	LastError     string    `json:"last_error,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

// runAlertsList is `hookledger alerts list`: open (or all) alerts and the
// outbox, as a table or one JSON object.
func runAlertsList(ctx context.Context, env *app.Env, args []string) error {
	fs := newFlagSet(env, "alerts list", "alerts list [--all] [--json] [--db PATH]", "hookledger alerts list --all --json")
	dbPath := fs.String("db", "", app.DBFlagUsage)
	all := fs.Bool("all", false, "include resolved alerts")
	asJSON := fs.Bool("json", false, "print one JSON object on stdout")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	db, err := app.OpenReadOnly(ctx, env, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := app.SayMode(ctx, env.Stderr, db); err != nil {
		return err
	}
	list, err := db.Alerts(ctx, ledger.AlertFilter{All: *all})
	if err != nil {
		return err
	}
	queued, err := db.AlertMessages(ctx, false, 0)
	if err != nil {
		return err
	}
	out := alertsJSON{Alerts: make([]app.AlertJSON, len(list)), Outbox: make([]outboxJSON, len(queued))}
	for i, a := range list {
		out.Alerts[i] = app.ToAlertJSON(a)
	}
	for i, m := range queued {
		out.Outbox[i] = outboxJSON{ID: m.ID, Source: m.Source, Kind: m.Kind, Text: m.Text, Attempts: m.Attempts,
			NextAttemptAt: m.NextAttemptAt, LastError: m.LastError, CreatedAt: m.CreatedAt}
	}
	if *asJSON {
		return app.WriteJSON(env.Stdout, out)
	}
	return printAlerts(env.Stdout, out, *all)
}

// printAlerts writes the human form of `alerts list`.
func printAlerts(w io.Writer, out alertsJSON, all bool) error {
	if len(out.Alerts) == 0 {
		if all {
			fmt.Fprintln(w, "no alerts")
		} else {
			fmt.Fprintln(w, "no open alerts (--all shows resolved ones)")
		}
	} else {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATE\tOPENED\tDELIVERED\tSUMMARY")
		for _, a := range out.Alerts {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s%s\n", a.ID, a.State, a.OpenedAt.Format(time.RFC3339), yesNo(a.Delivered),
				a.Summary, ackNote(a))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if n := len(out.Outbox); n > 0 {
		oldest := out.Outbox[n-1]
		fmt.Fprintf(w, "\noutbox: %d message(s) waiting; next attempt %s", n, oldest.NextAttemptAt.Format(time.RFC3339))
		if oldest.LastError != "" {
			fmt.Fprintf(w, "; last error: %s", oldest.LastError)
		}
		fmt.Fprintln(w, "\nrun `hookledger alerts flush` to deliver now")
	}
	return nil
}

// ackNote is what `alerts list` adds to an alert's summary about its
// acknowledgement: who and when, or how to give one.
func ackNote(a app.AlertJSON) string {
	switch {
	case a.AckedAt != nil:
		return fmt.Sprintf(" (acknowledged by %s at %s)", a.AckedBy, a.AckedAt.Format(time.RFC3339))
	case a.Kind == alerts.KindUnknown && a.State == string(ledger.AlertOpen):
		return fmt.Sprintf(" (open until acknowledged: hookledger alerts ack %d)", a.ID)
	}
	return ""
}

// runAlertsAck is `hookledger alerts ack ID`: record who acknowledged the
// open alert and when, resolve it, and queue a reply in its thread.
func runAlertsAck(ctx context.Context, env *app.Env, args []string) error {
	fs := newFlagSet(env, "alerts ack", "alerts ack ID [--by NAME] [--db PATH]", "hookledger alerts ack 12 --by alice")
	dbPath := fs.String("db", "", app.DBFlagUsage)
	by := fs.String("by", "", "who acknowledges it (default $USER)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return app.UsageError("alerts ack: want one alert ID (see `hookledger alerts list`)")
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id < 1 {
		return app.UsageError(fmt.Sprintf("alerts ack: %q is not an alert ID", pos[0]))
	}
	if *by == "" {
		*by = env.Getenv("USER")
	}
	if *by == "" {
		return app.UsageError("alerts ack: say who acknowledges it with --by NAME ($USER is not set)")
	}
	cfg, db, err := app.OpenConfigured(ctx, env, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := app.SayMode(ctx, env.Stderr, db); err != nil {
		return err
	}
	al, err := app.NewAlerter(db, cfg, slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), nil)
	if err != nil {
		return err
	}
	a, err := al.Ack(ctx, id, *by)
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		return fmt.Errorf("alerts ack: no alert %d in %s", id, app.LedgerName(db))
	case errors.Is(err, ledger.ErrNotOpen):
		return fmt.Errorf("alerts ack: alert %d is already resolved", id)
	case err != nil:
		return err
	}
	fmt.Fprintf(env.Stdout, "acknowledged alert %d (%s) by %s at %s; the reply waits in the outbox "+
		"(a running serve delivers it, or `hookledger alerts flush`)\n", a.ID, a.Summary, a.AckedBy, a.AckedAt.Format(time.RFC3339))
	return nil
}

// runAlertsFlush is `hookledger alerts flush`: one delivery pass over the
// outbox, now.
func runAlertsFlush(ctx context.Context, env *app.Env, args []string) error {
	fs := newFlagSet(env, "alerts flush", "alerts flush [--db PATH] [--log-format text|json] [--log-level L]",
		"SLACK_BOT_TOKEN=xoxb-… SLACK_CHANNEL=C0123 hookledger alerts flush")
	dbPath := fs.String("db", "", app.DBFlagUsage)
	logf := addLogFlags(fs, slog.LevelInfo)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	lc, err := logf.config(env, slog.LevelInfo)
	if err != nil {
		return err
	}
	cfg, db, err := app.OpenConfigured(ctx, env, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	al, err := app.NewAlerter(db, cfg, app.NewLogger(env, lc), nil)
	if err != nil {
		return err
	}
	sent, flushErr := al.Flush(ctx)
	left, err := db.AlertMessages(ctx, false, 0)
	if err != nil {
		return errors.Join(flushErr, err)
	}
	fmt.Fprintf(env.Stdout, "delivered %d alert message(s) via %s; %d still queued\n", sent, al.Transport(), len(left))
	if flushErr != nil {
		return fmt.Errorf("flush alerts: %w", flushErr)
	}
	return nil
}
