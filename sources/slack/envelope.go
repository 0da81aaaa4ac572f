package slack

import (
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
	// ErrBadPayload means the body is an object without a type, or a
	// url_verification without a challenge.
	ErrBadPayload = fmt.Errorf("slack: payload is not an Events API envelope: %w", sources.ErrMalformed)
	// ErrNoEventID means an event_callback without event_id or inner type.
	ErrNoEventID = fmt.Errorf("slack: event_callback without event_id or event type: %w", sources.ErrMalformed)
	// ErrUnknownType means an envelope type hookledger does not record.
	ErrUnknownType = fmt.Errorf("slack: envelope type is not event_callback: %w", sources.ErrMalformed)
)

// Envelope is what hookledger reads of an Events API request; the rest of
// the payload is stored untouched.
type Envelope struct {
	Type         string
	Challenge    string // url_verification only
	EventID      string
	EventTime    int64
	TeamID       string
	EventType    string // the inner event's type
	EventSubtype string // the inner event's subtype, "" for none
}

// ParseEnvelope reads the envelope members of body by their exact names
// (sources.Members), after sources.CheckPayload. Besides those checks'
// errors it returns ErrBadPayload for an object without a type, or a
// url_verification without a challenge, and sources.CheckUnix's for an
// event_time outside 1970–9999.
func ParseEnvelope(body []byte) (Envelope, error) {
	if err := sources.CheckPayload(body); err != nil {
		return Envelope{}, fmt.Errorf("slack: %w", err)
	}
	m, err := sources.Members(body, "type", "challenge", "event_id", "event_time", "team_id", "event")
	if err != nil {
		return Envelope{}, fmt.Errorf("slack: %w", err)
	}
	var env Envelope
	for _, f := range []struct {
		name string
		dst  *string
	}{{"type", &env.Type}, {"challenge", &env.Challenge}, {"event_id", &env.EventID}, {"team_id", &env.TeamID}} {
		if *f.dst, err = sources.String(m[f.name]); err != nil {
			return Envelope{}, fmt.Errorf("slack: %s: %w", f.name, err)
		}
	}
	if env.EventTime, err = sources.Int(m["event_time"]); err != nil {
		return Envelope{}, fmt.Errorf("slack: event_time: %w", err)
	}
	if err := env.readInner(m["event"].Raw); err != nil {
		return Envelope{}, err
	}
	switch {
	case env.Type == "", env.Type == TypeURLVerification && env.Challenge == "":
		return Envelope{}, ErrBadPayload
	}
	return env, nil
}

// readInner reads the inner event's type and subtype from raw, the
// "event" member ("" when absent).
func (env *Envelope) readInner(raw string) error {
	if raw == "" || raw == "null" {
		return nil
	}
	m, err := sources.Members([]byte(raw), "type", "subtype")
	if err != nil {
		return fmt.Errorf("slack: event: %w", err)
	}
	if env.EventType, err = sources.String(m["type"]); err != nil {
		return fmt.Errorf("slack: event.type: %w", err)
	}
	if env.EventSubtype, err = sources.String(m["subtype"]); err != nil {
		return fmt.Errorf("slack: event.subtype: %w", err)
	}
	return nil
}

// checkCallback reports whether env is an event_callback hookledger can
// record: ErrUnknownType, ErrNoEventID or a time out of range otherwise.
func (env Envelope) checkCallback() error {
	switch {
	case env.Type != TypeEventCallback:
		return ErrUnknownType
	case env.EventID == "" || env.EventType == "":
		return ErrNoEventID
	}
	if err := sources.CheckUnix(env.EventTime); err != nil {
		return fmt.Errorf("slack: event_time: %w", err)
	}
	return nil
}
