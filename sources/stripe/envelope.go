package stripe

import (
	"fmt"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
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
// an error wrapping sources.ErrMalformed when the payload is not one the
// ledger keeps (sources.CheckPayload: valid UTF-8 JSON, at most
// sources.MaxDepth deep), is not an object, names an envelope member
// twice or in another case (sources.Members), has an envelope field of
// the wrong type or a string with an unpaired surrogate, its object is not
// "event", the id or type is missing, or created is before 1970 or after
// 9999. FuzzParseEnvelope holds it to that.
func ParseEnvelope(payload []byte) (Envelope, error) {
	if err := sources.CheckPayload(payload); err != nil {
		return Envelope{}, fmt.Errorf("stripe: %w", err)
	}
	env, err := decodeEnvelope(payload)
	if err != nil {
		return Envelope{}, fmt.Errorf("stripe: %w", err)
	}
	switch {
	case env.Object != "event":
		return Envelope{}, fmt.Errorf("stripe: payload object is not \"event\": %w", sources.ErrMalformed)
	case env.ID == "":
		return Envelope{}, fmt.Errorf("stripe: event has no id: %w", sources.ErrMalformed)
	case env.Type == "":
		return Envelope{}, fmt.Errorf("stripe: event has no type: %w", sources.ErrMalformed)
	}
	if err := sources.CheckUnix(env.Created); err != nil {
		return Envelope{}, fmt.Errorf("stripe: created: %w", err)
	}
	return env, nil
}

// decodeEnvelope reads the envelope members of a payload that passed
// sources.CheckPayload, by their exact names.
func decodeEnvelope(payload []byte) (Envelope, error) {
	m, err := sources.Members(payload, "id", "object", "type", "created", "account")
	if err != nil {
		return Envelope{}, err
	}
	var env Envelope
	for _, f := range []struct {
		name string
		dst  *string
	}{{"id", &env.ID}, {"object", &env.Object}, {"type", &env.Type}, {"account", &env.Account}} {
		if *f.dst, err = sources.String(m[f.name]); err != nil {
			return Envelope{}, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if env.Created, err = sources.Int(m["created"]); err != nil {
		return Envelope{}, fmt.Errorf("created: %w", err)
	}
	return env, nil
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
