package paddle

import (
	"fmt"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
)

// ErrBadPayload means a verified body is not a Paddle notification
// payload: an object with event_id, event_type and an RFC 3339
// occurred_at. It wraps sources.ErrMalformed.
var ErrBadPayload = fmt.Errorf("paddle: payload is not a notification with event_id, event_type and occurred_at: %w", sources.ErrMalformed)

// Envelope is the part of a webhook body hookledger reads; the rest is
// stored untouched.
type Envelope struct {
	EventID        string
	EventType      string
	OccurredAt     string
	NotificationID string
	occurred       time.Time
}

// ParseEnvelope reads the envelope members of a webhook body (or of a
// listed notification's payload) by their exact names (sources.Members),
// after sources.CheckPayload. It returns those checks' errors,
// ErrBadPayload, or sources.ErrTimeRange for an occurred_at outside
// 1970–9999.
func ParseEnvelope(body []byte) (Envelope, error) {
	if err := sources.CheckPayload(body); err != nil {
		return Envelope{}, fmt.Errorf("paddle: %w", err)
	}
	m, err := sources.Members(body, "event_id", "event_type", "occurred_at", "notification_id")
	if err != nil {
		return Envelope{}, fmt.Errorf("paddle: %w", err)
	}
	var env Envelope
	for _, f := range []struct {
		name string
		dst  *string
	}{{"event_id", &env.EventID}, {"event_type", &env.EventType}, {"occurred_at", &env.OccurredAt}, {"notification_id", &env.NotificationID}} {
		if *f.dst, err = sources.String(m[f.name]); err != nil {
			return Envelope{}, fmt.Errorf("paddle: %s: %w", f.name, err)
		}
	}
	t, err := time.Parse(time.RFC3339Nano, env.OccurredAt)
	if env.EventID == "" || env.EventType == "" || err != nil {
		return Envelope{}, ErrBadPayload
	}
	if err := sources.CheckTime(t); err != nil {
		return Envelope{}, fmt.Errorf("paddle: occurred_at: %w", err)
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
