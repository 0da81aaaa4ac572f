package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/hookledger/hookledger/alerts"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
)

// EventDetail reads one event with its payload, receipts and attempts, and
// returns it with the payload's size in bytes. An unknown event is an
// error naming the ledger.
func EventDetail(ctx context.Context, db Ledger, source, id string) (EventJSON, int, error) {
	ev, err := db.Event(ctx, source, id)
	if errors.Is(err, ledger.ErrNotFound) {
		return EventJSON{}, 0, fmt.Errorf("no event %s %s in %s", source, id, LedgerName(db))
	} else if err != nil {
		return EventJSON{}, 0, fmt.Errorf("read event: %w", err)
	}
	rcs, err := db.Receipts(ctx, source, id)
	if err != nil {
		return EventJSON{}, 0, fmt.Errorf("read receipts: %w", err)
	}
	atts, err := db.Attempts(ctx, ev.ID)
	if err != nil {
		return EventJSON{}, 0, fmt.Errorf("read attempts: %w", err)
	}
	j := ToEventJSON(ev)
	if ev.PayloadPrunedAt.IsZero() {
		setPayload(&j, ev.Payload)
	}
	if j.Alerts, err = eventAlerts(ctx, db, source, id); err != nil {
		return EventJSON{}, 0, err
	}
	for _, rc := range rcs {
		j.Receipts = append(j.Receipts, receiptJSON{Outcome: rc.Outcome, Status: rc.Status, Reason: rc.Reason,
			RemoteAddr: rc.RemoteAddr, BodySize: rc.BodySize, ReceivedAt: rc.ReceivedAt,
			DurationMS: MillisOf(rc.Duration)})
	}
	for _, a := range atts {
		j.AttemptLog = append(j.AttemptLog, attemptJSON{Attempt: a.Attempt, Origin: a.Origin, StartedAt: a.StartedAt,
			DurationMS: MillisOf(a.Duration), Outcome: a.Outcome, Error: a.Error})
	}
	return j, len(ev.Payload), nil
}

// setPayload puts p in j so that the output is always valid UTF-8 JSON:
// raw when p is JSON every reader takes (sources.CheckPayload: what intake
// accepts), else as a JSON string when p is UTF-8 text (a GitHub
// form-encoded body, or JSON nested too deep to embed), else in
// payload_base64, bytes intact.
func setPayload(j *EventJSON, p []byte) {
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
func eventAlerts(ctx context.Context, db Ledger, source, id string) ([]EventAlertJSON, error) {
	als, err := db.AlertsNaming(ctx, source, id)
	if err != nil {
		return nil, err
	}
	var out []EventAlertJSON
	for _, a := range als {
		ea := EventAlertJSON{ID: a.ID, Kind: a.Kind, State: string(a.State), Summary: a.Summary, OpenedAt: a.OpenedAt,
			AckedBy: a.AckedBy, ProviderUnknown: a.Kind == alerts.KindUnknown}
		if !a.AckedAt.IsZero() {
			t := a.AckedAt
			ea.AckedAt = &t
		}
		out = append(out, ea)
	}
	return out, nil
}

// EventAlertJSON is an alert that named the event, in `events show --json`.
type EventAlertJSON struct {
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
