package stripe

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"

	"github.com/tidwall/gjson"
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
//
// It accepts and returns exactly what json.Unmarshal into an Envelope
// followed by those checks would: the same JSON validity (depth limit
// included), case-insensitive member names, the last of duplicate members,
// null leaving a field as is, U+FFFD for invalid UTF-8, and an error for a
// value of the wrong type. FuzzParseEnvelope holds it to that.
func ParseEnvelope(payload []byte) (Envelope, error) {
	if !validJSON(payload) {
		return Envelope{}, errNotEvent
	}
	return checkEnvelope(payload)
}

// checkEnvelope is ParseEnvelope for a payload known to be valid JSON.
func checkEnvelope(payload []byte) (Envelope, error) {
	env, err := decodeEnvelope(payload)
	if err != nil {
		return Envelope{}, errNotEvent
	}
	switch {
	case env.Object != "event":
		return Envelope{}, fmt.Errorf("stripe: payload object is not \"event\": %w", sources.ErrMalformed)
	case env.ID == "":
		return Envelope{}, fmt.Errorf("stripe: event has no id: %w", sources.ErrMalformed)
	case env.Type == "":
		return Envelope{}, fmt.Errorf("stripe: event has no type: %w", sources.ErrMalformed)
	}
	return env, nil
}

// errNotEvent reports a payload that is not JSON or whose envelope fields
// have the wrong types.
var errNotEvent = fmt.Errorf("stripe: payload is not a JSON event object: %w", sources.ErrMalformed)

// decodeEnvelope reads the envelope members of a valid JSON payload with
// gjson in one pass. The rare member it cannot read exactly as
// encoding/json does (a non-ASCII or escaped name, an escaped or invalid
// UTF-8 string, a value of the wrong type) hands the whole payload to
// json.Unmarshal instead.
func decodeEnvelope(payload []byte) (Envelope, error) {
	root := gjson.ParseBytes(payload)
	if !root.IsObject() {
		return Envelope{}, errSyntax
	}
	var env Envelope
	exact := true
	root.ForEach(func(k, v gjson.Result) bool {
		exact = plainKey(k) && env.set(k.Str, v)
		return exact
	})
	if !exact {
		env = Envelope{}
		if err := json.Unmarshal(payload, &env); err != nil {
			return Envelope{}, err
		}
	}
	return env, nil
}

// set stores member name's value when it is an envelope field; it reports
// false when the value needs encoding/json.
func (e *Envelope) set(name string, v gjson.Result) bool {
	switch {
	case strings.EqualFold(name, "id"):
		return setString(&e.ID, v)
	case strings.EqualFold(name, "object"):
		return setString(&e.Object, v)
	case strings.EqualFold(name, "type"):
		return setString(&e.Type, v)
	case strings.EqualFold(name, "account"):
		return setString(&e.Account, v)
	case strings.EqualFold(name, "created"):
		return setInt64(&e.Created, v)
	}
	return true
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
