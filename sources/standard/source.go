// Package standard is hookledger's generic Standard Webhooks provider
// (https://www.standardwebhooks.com): the scheme Svix and the senders built
// on it sign with (Clerk, Resend and others). HOOKLEDGER_STANDARD_SOURCES
// names each sender; each is its own source at /webhooks/<name>, verified
// with its own <NAME>_WEBHOOK_SECRET.
//
// A request carries webhook-id, webhook-timestamp and webhook-signature, or
// the same three under the svix- prefix that Svix sends. The signature is
// an HMAC-SHA256, keyed by the base64 secret after its whsec_ prefix, over
// "{id}.{timestamp}.{body}"; webhook-signature holds one or more
// space-separated "v1,<base64>" entries (several while the sender rotates
// its secret). Every entry is compared in constant time against every
// configured secret, and the timestamp must lie within 5 minutes of now.
//
// Dedup key: the webhook-id. The specification makes it the message's
// idempotency key, the same on every retry of a message, so a retry is a
// duplicate in the ledger. The event type is the payload's top-level
// "type" when it has one (Clerk, Resend and Svix senders do).
//
// The reference Go library (github.com/standard-webhooks/standard-webhooks/
// libraries/go, v0.0.1) is not used: it reads only the webhook- headers,
// keys one secret per verifier, and checks the timestamp against a package
// clock and tolerance that cannot be injected.
//
// Standard Webhooks defines no API for listing past messages, so these
// sources are live-only.
package standard

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
)

// Config configures one Standard Webhooks source.
type Config struct {
	Name      string        // the source name and path segment: "clerk"
	Secrets   []string      // whsec_… values, several during rotation
	Tolerance time.Duration // timestamp tolerance; 0 means DefaultTolerance
	Now       func() time.Time
}

// Source is one Standard Webhooks sender. It is safe for concurrent use.
type Source struct {
	name string
	opts VerifyOptions
}

var (
	_ sources.Source    = (*Source)(nil)
	_ sources.Describer = (*Source)(nil)
)

// namePattern is what a source name may be: it becomes a URL path segment
// and, upper-cased, part of an environment variable name.
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// ErrBadName means a source name is not a lowercase word usable as a path
// segment and in an environment variable name.
var ErrBadName = errors.New("standard: source name must be a lowercase letter followed by up to 31 of a-z, 0-9, _ or -")

// New returns the source cfg describes. It fails on a bad name or a
// secret that is not base64 (after an optional whsec_ prefix), naming
// neither the secret nor its value; with no secret every request fails
// ErrNoSecret.
func New(cfg Config) (*Source, error) {
	if !namePattern.MatchString(cfg.Name) {
		return nil, ErrBadName
	}
	keys, err := DecodeSecrets(cfg.Secrets)
	if err != nil {
		return nil, fmt.Errorf("standard source %s: %w", cfg.Name, err)
	}
	return &Source{name: cfg.Name, opts: VerifyOptions{Keys: keys, Tolerance: cfg.Tolerance, Now: cfg.Now}}, nil
}

// SecretVar is the environment variable holding the secrets of the source
// named name: "clerk" → CLERK_WEBHOOK_SECRET, "my-app" → MY_APP_WEBHOOK_SECRET.
func SecretVar(name string) string {
	return strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_WEBHOOK_SECRET"
}

// Name returns the configured name.
func (s *Source) Name() string { return s.name }

// Capabilities returns none beyond verify: the scheme has no list API.
func (s *Source) Capabilities() sources.Capabilities {
	return sources.Capabilities{LiveOnly: "Standard Webhooks senders have no common API that lists past messages: " +
		"gaps there are caught by silence and counts, not by reconcile"}
}

// Verify checks the signature headers over the raw body, then returns the
// event: EventID the message id, Type the payload's "type" ("" when it has
// none), CreatedAt the signed timestamp. Errors wrap sources.ErrSignature
// (one of the Err* sentinels) or sources.ErrMalformed.
func (s *Source) Verify(header http.Header, body []byte) (*ledger.Event, error) {
	msg, err := VerifyRequest(body, header, s.opts)
	if err != nil {
		return nil, err
	}
	typ, err := eventType(body)
	if err != nil {
		return nil, err
	}
	if !utf8.ValidString(msg.ID) {
		return nil, ErrBadID
	}
	if err := sources.CheckUnix(msg.Timestamp); err != nil {
		return nil, fmt.Errorf("standard: webhook-timestamp: %w", err)
	}
	return &ledger.Event{
		Source:      s.name,
		EventID:     msg.ID,
		ContentType: "application/json",
		Headers:     map[string]string{"Webhook-Id": msg.ID},
		Payload:     body,
		CreatedAt:   time.Unix(msg.Timestamp, 0).UTC(),
		Type:        typ,
		Origin:      ledger.OriginWebhook,
	}, nil
}

// ErrBadID means the message id is not UTF-8: two raw ids could read as
// one. It wraps sources.ErrMalformed.
var ErrBadID = fmt.Errorf("standard: webhook-id is not valid UTF-8: %w", sources.ErrMalformed)

// eventType checks body with sources.CheckPayload and returns its
// top-level "type" ("" when absent), read by its exact name.
func eventType(body []byte) (string, error) {
	if err := sources.CheckPayload(body); err != nil {
		return "", fmt.Errorf("standard: %w", err)
	}
	m, err := sources.Members(body, "type")
	if err != nil {
		return "", fmt.Errorf("standard: %w", err)
	}
	typ, err := sources.String(m["type"])
	if err != nil {
		return "", fmt.Errorf("standard: type: %w", err)
	}
	return typ, nil
}
