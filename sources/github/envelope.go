package github

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/hookledger/hookledger/sources"
)

// Header names GitHub sends with every webhook.
const (
	EventHeader    = "X-GitHub-Event"
	DeliveryHeader = "X-GitHub-Delivery"
	HookIDHeader   = "X-GitHub-Hook-ID"
)

// Errors returned when a verified request cannot be read as a GitHub event.
// Each wraps sources.ErrMalformed.
var (
	// ErrNoDelivery means the X-GitHub-Delivery header is missing.
	ErrNoDelivery = fmt.Errorf("github: missing %s header: %w", DeliveryHeader, sources.ErrMalformed)
	// ErrNoEvent means the X-GitHub-Event header is missing.
	ErrNoEvent = fmt.Errorf("github: missing %s header: %w", EventHeader, sources.ErrMalformed)
	// ErrBadPayload means the body is not a JSON object (or a form with a
	// JSON object in its payload field).
	ErrBadPayload = fmt.Errorf("github: payload is not a JSON object: %w", sources.ErrMalformed)
	// ErrBadIDHeader means the delivery id, event or hook id header is not
	// valid UTF-8, so it cannot be kept as the id the app will read.
	ErrBadIDHeader = fmt.Errorf("github: delivery, event or hook id header is not valid UTF-8: %w", sources.ErrMalformed)
)

// keptHeaders are the non-secret headers stored with an event, by their
// canonical names. Signature headers are never among them.
var keptHeaders = []string{
	http.CanonicalHeaderKey(EventHeader),
	http.CanonicalHeaderKey(DeliveryHeader),
	http.CanonicalHeaderKey(HookIDHeader),
	http.CanonicalHeaderKey("X-GitHub-Hook-Installation-Target-Type"),
	http.CanonicalHeaderKey("X-GitHub-Hook-Installation-Target-ID"),
	"User-Agent",
	"Content-Type",
}

// Envelope is what hookledger reads from a GitHub webhook besides its body.
type Envelope struct {
	DeliveryID  string            // the X-GitHub-Delivery GUID
	Event       string            // the X-GitHub-Event type
	Action      string            // the payload's "action", "" when none
	HookID      string            // the X-GitHub-Hook-ID, "" when absent
	ContentType string            // the media type the body arrived as
	Headers     map[string]string // the kept non-secret headers
}

// ParseEnvelope reads the delivery id, event type, hook id and kept headers
// from header, and the action from body, decoding only that field. body is
// JSON, or a application/x-www-form-urlencoded form whose payload field is
// the JSON. It returns ErrNoDelivery, ErrNoEvent, ErrBadPayload, a
// reason the JSON cannot be kept (sources.CheckPayload) or its "action"
// read unambiguously (sources.Members), or ErrEventMismatch when the
// payload is plainly another event than the header names, all wrapping
// sources.ErrMalformed. Call it only after VerifySignature.
func ParseEnvelope(header http.Header, body []byte) (Envelope, error) {
	env := Envelope{
		DeliveryID: strings.TrimSpace(header.Get(DeliveryHeader)),
		Event:      strings.TrimSpace(header.Get(EventHeader)),
		HookID:     strings.TrimSpace(header.Get(HookIDHeader)),
	}
	switch {
	case env.DeliveryID == "":
		return Envelope{}, ErrNoDelivery
	case env.Event == "":
		return Envelope{}, ErrNoEvent
	case !utf8.ValidString(env.DeliveryID) || !utf8.ValidString(env.Event) || !utf8.ValidString(env.HookID):
		return Envelope{}, ErrBadIDHeader
	}
	env.ContentType = mediaType(header.Get("Content-Type"))
	doc := body
	if env.ContentType == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		if err != nil || !form.Has("payload") {
			return Envelope{}, ErrBadPayload
		}
		doc = []byte(form.Get("payload"))
	}
	action, err := decodeAction(doc)
	if err != nil {
		return Envelope{}, err
	}
	if err := checkEventShape(env.Event, doc); err != nil {
		return Envelope{}, err
	}
	env.Action = action
	env.Headers = keepHeaders(header)
	return env, nil
}

// mediaType returns the lowercase media type of a Content-Type value,
// "application/json" when it is empty or unreadable.
func mediaType(v string) string {
	if v == "" {
		return "application/json"
	}
	mt, _, err := mime.ParseMediaType(v)
	if err != nil {
		return "application/json"
	}
	return mt
}

// decodeAction returns the top-level "action" string of a JSON object, ""
// when it is absent or not a string. doc must pass sources.CheckPayload
// and be an object (ErrBadPayload); "action" is matched exactly and must
// be unambiguous.
func decodeAction(doc []byte) (string, error) {
	if err := sources.CheckPayload(doc); errors.Is(err, sources.ErrNotJSON) {
		return "", ErrBadPayload
	} else if err != nil {
		return "", fmt.Errorf("github: %w", err)
	}
	m, err := sources.Members(doc, "action")
	if errors.Is(err, sources.ErrNotObject) {
		return "", ErrBadPayload
	} else if err != nil {
		return "", fmt.Errorf("github: %w", err)
	}
	action, err := sources.String(m["action"])
	if errors.Is(err, sources.ErrMemberType) {
		return "", nil // GitHub's action is a string; another type is no action
	} else if err != nil {
		return "", fmt.Errorf("github: action: %w", err)
	}
	return action, nil
}

// keepHeaders copies the kept headers present in h; nil when none are.
func keepHeaders(h http.Header) map[string]string {
	var out map[string]string
	for _, name := range keptHeaders {
		v := h.Get(name)
		if v == "" {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(keptHeaders))
		}
		out[name] = v
	}
	return out
}

// keepHeaderMap is keepHeaders for a plain map with any key spelling, as the
// deliveries API reports request headers.
func keepHeaderMap(m map[string]string) map[string]string {
	h := make(http.Header, len(m))
	for k, v := range m {
		h.Set(k, v)
	}
	return keepHeaders(h)
}
