package sources

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// Capabilities is what a source can do besides verifying and parsing a
// request, which every source does.
type Capabilities struct {
	List      bool // the provider's API lists what it sent in a window
	Fetch     bool // the provider's API returns one full event, to backfill it
	Redeliver bool // the provider's API sends one event to the webhook URL again
	// LiveOnly, for a source that cannot list, says in one sentence for
	// people how its gaps are caught instead; "" for a source that lists.
	LiveOnly string
}

// Describer is a Source that declares its capabilities.
type Describer interface {
	Capabilities() Capabilities
}

// CapabilitiesOf returns what s declares. A Source that does not declare
// them is taken at its type: a Lister lists, fetches and redelivers; any
// other Source is live-only, with LiveOnlyNote as the explanation.
func CapabilitiesOf(s Source) Capabilities {
	if d, ok := s.(Describer); ok {
		return d.Capabilities()
	}
	if _, ok := s.(Lister); ok {
		return Capabilities{List: true, Fetch: true, Redeliver: true}
	}
	return Capabilities{LiveOnly: LiveOnlyNote(s.Name())}
}

// LiveOnlyNote is the plain explanation for a provider with no API that
// lists past events, named display ("Slack").
func LiveOnlyNote(display string) string {
	return display + " has no API that lists past events: gaps there are caught by silence and counts, not by reconcile"
}

// Names lists what c allows, verify and parse first: "verify, list, fetch".
func (c Capabilities) Names() []string {
	out := []string{"verify"}
	for _, capability := range []struct {
		on   bool
		name string
	}{{c.List, "list"}, {c.Fetch, "fetch"}, {c.Redeliver, "redeliver"}} {
		if capability.on {
			out = append(out, capability.name)
		}
	}
	return out
}

// String is Names joined with commas.
func (c Capabilities) String() string { return strings.Join(c.Names(), ", ") }

// Fingerprint identifies a secret without revealing it: the first 8 hex
// digits of its SHA-256. It returns "" for an empty secret.
func Fingerprint(secret string) string {
	if secret == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:4])
}

// Answer is what the receiver sends back for a handshake: a request that
// proves the endpoint to the provider (Slack's url_verification, Zoom's
// endpoint.url_validation) rather than carrying an event.
type Answer struct {
	ContentType string
	Body        []byte
}

// Handshaker is a Source whose provider sends handshakes. The receiver
// calls Handshake before Verify on every request; a handshake is verified
// like any request, answered 200 with the Answer, counted, and never
// recorded as an event.
type Handshaker interface {
	Source
	// Handshake returns (nil, nil) when the request is not a handshake
	// (the receiver then calls Verify); the answer when it is one and it
	// verifies; else an error wrapping ErrSignature or ErrMalformed.
	Handshake(header http.Header, body []byte) (*Answer, error)
}
