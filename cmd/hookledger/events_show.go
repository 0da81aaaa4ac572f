package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/hookledger/hookledger/alerts"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
)

// runEventsShow is `hookledger events show`: one event with its payload,
// receipts and attempts.
func runEventsShow(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "events show", "events show SOURCE EVENT_ID [--json] [--db PATH]",
		"hookledger events show stripe evt_1OaBcD --json")
	dbPath := fs.String("db", "", dbFlagUsage)
	asJSON := fs.Bool("json", false, "print one JSON object on stdout")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageError("events show: want SOURCE EVENT_ID")
	}
	db, err := openLedger(ctx, env, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := sayMode(ctx, env.Stderr, db); err != nil {
		return err
	}
	j, size, err := eventDetail(ctx, db, pos[0], pos[1])
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env.Stdout, j)
	}
	printEvent(env.Stdout, j, size)
	return nil
}

// eventDetail reads one event with its payload, receipts and attempts, and
// returns it with the payload's size in bytes. An unknown event is an
// error naming the ledger.
func eventDetail(ctx context.Context, db *ledger.DB, source, id string) (eventJSON, int, error) {
	ev, err := db.Event(ctx, source, id)
	if errors.Is(err, ledger.ErrNotFound) {
		return eventJSON{}, 0, fmt.Errorf("no event %s %s in %s", source, id, db.Path())
	} else if err != nil {
		return eventJSON{}, 0, fmt.Errorf("read event: %w", err)
	}
	rcs, err := db.Receipts(ctx, source, id)
	if err != nil {
		return eventJSON{}, 0, fmt.Errorf("read receipts: %w", err)
	}
	atts, err := db.Attempts(ctx, ev.ID)
	if err != nil {
		return eventJSON{}, 0, fmt.Errorf("read attempts: %w", err)
	}
	j := toEventJSON(ev)
	if ev.PayloadPrunedAt.IsZero() {
		setPayload(&j, ev.Payload)
	}
	if j.Alerts, err = eventAlerts(ctx, db, source, id); err != nil {
		return eventJSON{}, 0, err
	}
	for _, rc := range rcs {
		j.Receipts = append(j.Receipts, receiptJSON{Outcome: rc.Outcome, Status: rc.Status, Reason: rc.Reason,
			RemoteAddr: rc.RemoteAddr, BodySize: rc.BodySize, ReceivedAt: rc.ReceivedAt,
			DurationMS: millisOf(rc.Duration)})
	}
	for _, a := range atts {
		j.AttemptLog = append(j.AttemptLog, attemptJSON{Attempt: a.Attempt, Origin: a.Origin, StartedAt: a.StartedAt,
			DurationMS: millisOf(a.Duration), Outcome: a.Outcome, Error: a.Error})
	}
	return j, len(ev.Payload), nil
}

// setPayload puts p in j so that the output is always valid UTF-8 JSON:
// raw when p is JSON every reader takes (sources.CheckPayload: what intake
// accepts), else as a JSON string when p is UTF-8 text (a GitHub
// form-encoded body, or JSON nested too deep to embed), else in
// payload_base64, bytes intact.
func setPayload(j *eventJSON, p []byte) {
	switch {
	case sources.CheckPayload(p) == nil:
		j.Payload = json.RawMessage(p)
	case utf8.Valid(p):
		j.Payload, _ = json.Marshal(string(p))
	default:
		j.PayloadBase64 = base64.StdEncoding.EncodeToString(p)
	}
}

// eventAlerts lists the alerts that named the event; an unknown-event one
// says the provider does not know it (the forgery signal).
func eventAlerts(ctx context.Context, db *ledger.DB, source, id string) ([]eventAlertJSON, error) {
	als, err := db.AlertsNaming(ctx, source, id)
	if err != nil {
		return nil, err
	}
	var out []eventAlertJSON
	for _, a := range als {
		ea := eventAlertJSON{ID: a.ID, Kind: a.Kind, State: string(a.State), Summary: a.Summary, OpenedAt: a.OpenedAt,
			AckedBy: a.AckedBy, ProviderUnknown: a.Kind == alerts.KindUnknown}
		if !a.AckedAt.IsZero() {
			t := a.AckedAt
			ea.AckedAt = &t
		}
		out = append(out, ea)
	}
	return out, nil
}

// eventAlertJSON is an alert that named the event, in `events show --json`.
type eventAlertJSON struct {
	ID      int64  `json:"id"`
	Kind    string `json:"kind"`
	State   string `json:"state"`
	Summary string `json:"summary"`
	// ProviderUnknown: the provider's API does not know this event,
	// although it came in with a valid signature (a forgery signal).
	ProviderUnknown bool       `json:"provider_unknown"`
	OpenedAt        time.Time  `json:"opened_at"`
	AckedBy         string     `json:"acked_by,omitempty"`
	AckedAt         *time.Time `json:"acked_at,omitempty"`
}

// ackState says whether unknown-event alert a was acknowledged.
func ackState(a eventAlertJSON) string {
	if a.AckedAt != nil {
		return fmt.Sprintf("acknowledged by %s at %s", a.AckedBy, a.AckedAt.Format(time.RFC3339))
	}
	return fmt.Sprintf("open until acknowledged: hookledger alerts ack %d", a.ID)
}

// printEvent writes the human form of `events show`; size is the
// payload's, which only --json prints.
func printEvent(w io.Writer, j eventJSON, size int) {
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
