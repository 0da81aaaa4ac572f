package app

import (
	"encoding/json"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// EventJSON is an event's shape in `events list --json` and `events show
// --json` (docs/design.md): scripts depend on these names.
type EventJSON struct {
	Source        string        `json:"source"`
	EventID       string        `json:"event_id"`
	Type          string        `json:"type"`
	Action        string        `json:"action,omitempty"`
	Account       string        `json:"account,omitempty"`
	State         ledger.State  `json:"state"`
	Origin        ledger.Origin `json:"origin"`
	Attempts      int           `json:"attempts"`
	CreatedAt     jsonTime      `json:"created_at"`
	ReceivedAt    jsonTime      `json:"received_at"`
	ProcessedAt   *time.Time    `json:"processed_at,omitempty"`
	NextAttemptAt *time.Time    `json:"next_attempt_at,omitempty"`
	LastError     string        `json:"last_error,omitempty"`
	// PayloadPrunedAt is set when retention dropped the payload; the
	// event then has no payload.
	PayloadPrunedAt *time.Time       `json:"payload_pruned_at,omitempty"`
	Payload         json.RawMessage  `json:"payload,omitempty"`
	PayloadBase64   string           `json:"payload_base64,omitempty"` // a payload that is not UTF-8
	Receipts        []receiptJSON    `json:"receipts,omitempty"`
	Alerts          []EventAlertJSON `json:"alerts,omitempty"` // events show only: alerts that named it
	AttemptLog      []attemptJSON    `json:"attempt_log,omitempty"`
}

// receiptJSON is one receipt in `events show --json`.
type receiptJSON struct {
	Outcome    ledger.Outcome `json:"outcome"`
	Status     int            `json:"status"`
	Reason     string         `json:"reason,omitempty"`
	RemoteAddr string         `json:"remote_addr"`
	BodySize   int            `json:"body_size"`
	DurationMS float64        `json:"duration_ms"`
	ReceivedAt time.Time      `json:"received_at"`
}

// attemptJSON is one processing attempt in `events show --json`.
type attemptJSON struct {
	Attempt    int           `json:"attempt"`
	Origin     ledger.Origin `json:"origin"`
	StartedAt  time.Time     `json:"started_at"`
	DurationMS float64       `json:"duration_ms"`
	Outcome    string        `json:"outcome"`
	Error      string        `json:"error,omitempty"`
}

// jsonTime is a time in `events --json`: RFC 3339, or null for one RFC
// 3339 cannot write (a year past 9999, which a ledger written before intake
// checked created times can hold), so that one row never fails the listing.
type jsonTime struct{ time.Time }

// MarshalJSON writes t as RFC 3339, or null outside years 0 to 9999.
func (t jsonTime) MarshalJSON() ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		return []byte("null"), nil
	}
	return t.Time.MarshalJSON()
}

// ToEventJSON is ev's shape in `events list --json`; next_attempt_at only
// while the event waits for one.
func ToEventJSON(ev *ledger.Event) EventJSON {
	j := EventJSON{
		Source: ev.Source, EventID: ev.EventID, Type: ev.Type, Action: ev.Action, Account: ev.Account,
		State: ev.State, Origin: ev.Origin, Attempts: ev.Attempts,
		CreatedAt: jsonTime{ev.CreatedAt}, ReceivedAt: jsonTime{ev.ReceivedAt}, LastError: ev.LastError,
	}
	if !ev.ProcessedAt.IsZero() {
		j.ProcessedAt = &ev.ProcessedAt
	}
	if !ev.PayloadPrunedAt.IsZero() {
		j.PayloadPrunedAt = &ev.PayloadPrunedAt
	}
	if !ev.NextAttemptAt.IsZero() && (ev.State == ledger.StateFailed || ev.State == ledger.StatePending) {
		j.NextAttemptAt = &ev.NextAttemptAt
	}
	return j
}
