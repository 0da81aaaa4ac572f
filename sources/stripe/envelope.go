package stripe

import (
	"fmt"
	"time"

	"hookledger/ledger"
	"hookledger/sources"
)

// Envelope is the part of a Stripe event hookledger reads: the rest of the
// payload is stored untouched and never decoded.
type Envelope struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Type    string `json:"type"`
	Created int64  `json:"created"`
	Account string `json:"account"` // the connected account, "" for the platform's own events
}

// CreatedAt returns Created as a UTC time.
func (e Envelope) CreatedAt() time.Time {
	return time.Unix(e.Created, 0).UTC()
}

// ParseEnvelope decodes the envelope fields of a Stripe event. It returns
// an error wrapping sources.ErrMalformed when payload is not a JSON object,
// its object is not "event", or the id or type is missing.
func ParseEnvelope(payload []byte) (Envelope, error) {
	env, err := scanEnvelope(payload)
	if err != nil {
		return Envelope{}, fmt.Errorf("%w: stripe event: not a JSON event object", sources.ErrMalformed)
	}
	switch {
	case env.Object != "event":
		return Envelope{}, fmt.Errorf("%w: stripe event: object is not \"event\"", sources.ErrMalformed)
	case env.ID == "":
		return Envelope{}, fmt.Errorf("%w: stripe event: missing id", sources.ErrMalformed)
	case env.Type == "":
		return Envelope{}, fmt.Errorf("%w: stripe event: missing type", sources.ErrMalformed)
	}
	return env, nil
}

// scanEnvelope validates payload as JSON in one pass and picks the
// envelope members (exact key match; the last of duplicates wins).
func scanEnvelope(payload []byte) (Envelope, error) {
	var env Envelope
	s := &scanner{b: payload}
	if s.peek() != '{' {
		return env, errSyntax
	}
	err := s.object(func(key []byte) error {
		switch string(key) {
		case "id":
			return s.stringField(&env.ID)
		case "object":
			return s.stringField(&env.Object)
		case "type":
			return s.stringField(&env.Type)
		case "account":
			return s.stringField(&env.Account)
		case "created":
			return s.int64Field(&env.Created)
		}
		return s.value()
	})
	if err != nil {
		return env, err
	}
	return env, s.end()
}

// event builds the ledger event for a verified or listed payload; payload
// is kept as given, byte for byte.
func (e Envelope) event(payload []byte, origin ledger.Origin) *ledger.Event {
	return &ledger.Event{
		Source:      Name,
		EventID:     e.ID,
		Type:        e.Type,
		Account:     e.Account,
		ContentType: "application/json",
		Payload:     payload,
		CreatedAt:   e.CreatedAt(),
		Origin:      origin,
	}
}

// listed is the Listed form of a listed event.
func (e Envelope) listed(payload []byte) sources.Listed {
	return sources.Listed{
		EventID:   e.ID,
		Type:      e.Type,
		CreatedAt: e.CreatedAt(),
		Account:   e.Account,
		Event:     e.event(payload, ledger.OriginReconcile),
	}
}
