package paddle

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
)

// ErrBadPayload means a verified body is not a Paddle notification
// payload: a JSON object with event_id, event_type and an RFC 3339
// occurred_at. It wraps sources.ErrMalformed.
var ErrBadPayload = fmt.Errorf("paddle: payload is not a notification with event_id, event_type and occurred_at: %w", sources.ErrMalformed)

// Envelope is the part of a webhook body hookledger reads; the rest is
// stored untouched.
type Envelope struct {
	EventID        string `json:"event_id"`
	EventType      string `json:"event_type"`
	OccurredAt     string `json:"occurred_at"`
	NotificationID string `json:"notification_id"`
	occurred       time.Time
}

// ParseEnvelope decodes the envelope fields of a webhook body (or of a
// listed notification's payload), or returns ErrBadPayload.
func ParseEnvelope(body []byte) (Envelope, error) {
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil || env.EventID == "" || env.EventType == "" {
		return Envelope{}, ErrBadPayload
	}
	t, err := time.Parse(time.RFC3339Nano, env.OccurredAt)
	if err != nil {
		return Envelope{}, ErrBadPayload
	}
	env.occurred = t.UTC()
	return env, nil
}

// event builds the ledger event for body, kept byte for byte; account is
// the notification destination it was sent to, "" when unknown.
func (e Envelope) event(body []byte, account string, origin ledger.Origin) *ledger.Event {
	headers := map[string]string{}
	if e.NotificationID != "" {
		headers["Paddle-Notification-Id"] = e.NotificationID
	}
	return &ledger.Event{
		Source:      Name,
		EventID:     e.EventID,
		Type:        e.EventType,
		Account:     account,
		ContentType: "application/json",
		Headers:     headers,
		Payload:     body,
		CreatedAt:   e.occurred,
		Origin:      origin,
	}
}
