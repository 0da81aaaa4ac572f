package slack

import (
	"encoding/json"
	"fmt"

	"github.com/hookledger/hookledger/sources"
)

// Outer envelope types of the Events API.
const (
	TypeEventCallback   = "event_callback"
	TypeURLVerification = "url_verification"
	TypeAppRateLimited  = "app_rate_limited"
)

// Errors for a verified request that is not a readable Events API
// envelope. Each wraps sources.ErrMalformed.
var (
	// ErrBadPayload means the body is not a JSON object with a type.
	ErrBadPayload = fmt.Errorf("slack: payload is not an Events API envelope: %w", sources.ErrMalformed)
	// ErrNoEventID means an event_callback without event_id or inner type.
	ErrNoEventID = fmt.Errorf("slack: event_callback without event_id or event type: %w", sources.ErrMalformed)
	// ErrUnknownType means an envelope type hookledger does not record.
	ErrUnknownType = fmt.Errorf("slack: envelope type is not event_callback: %w", sources.ErrMalformed)
)

// Envelope is what hookledger reads of an Events API request; the rest of
// the payload is stored untouched.
type Envelope struct {
	Type      string `json:"type"`
	Challenge string `json:"challenge"` // url_verification only
	EventID   string `json:"event_id"`
	EventTime int64  `json:"event_time"`
	TeamID    string `json:"team_id"`
	Event     struct {
		Type    string `json:"type"`
		Subtype string `json:"subtype"`
	} `json:"event"`
}

// ParseEnvelope decodes the envelope fields of body. It returns
// ErrBadPayload when body is not a JSON object with a type, and
// ErrBadPayload too for a url_verification without a challenge.
func ParseEnvelope(body []byte) (Envelope, error) {
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil || env.Type == "" {
		return Envelope{}, ErrBadPayload
	}
	if env.Type == TypeURLVerification && env.Challenge == "" {
		return Envelope{}, ErrBadPayload
	}
	return env, nil
}

// checkCallback reports whether env is an event_callback hookledger can
// record: ErrUnknownType or ErrNoEventID otherwise.
func (env Envelope) checkCallback() error {
	switch {
	case env.Type != TypeEventCallback:
		return ErrUnknownType
	case env.EventID == "" || env.Event.Type == "":
		return ErrNoEventID
	}
	return nil
}
