// Package slack is hookledger's Slack Events API provider
// (POST /webhooks/slack, SLACK_SIGNING_SECRET).
//
// Slack signs each request with X-Slack-Signature: "v0=" and the hex
// HMAC-SHA256 of "v0:{X-Slack-Request-Timestamp}:{raw body}" under the
// app's signing secret, and the timestamp must be within five minutes of
// now. The signature is checked over the raw bytes, against every
// configured secret (comma-separated, for a rotation), before any decoding.
//
// slack-go's slack.NewSecretsVerifier is not used for intake: it takes one
// secret per call and checks the timestamp against the wall clock, which
// cannot be injected. The tests check our verifier against it instead.
//
// Dedup key: the envelope's event_id ("Ev…"), which Slack keeps on every
// retry. Slack retries an unanswered event up to three times with
// X-Slack-Retry-Num and X-Slack-Retry-Reason; those retries are therefore
// duplicates in the ledger. The event type is the inner event's type
// (message, app_mention, …), the action its subtype, the account the team.
//
// Handshakes: url_verification (sent when the Request URL is set) is
// verified like any request and answered with its challenge in plain text;
// app_rate_limited (a notice that Slack is dropping events) is verified and
// answered 200. Neither becomes an event.
//
// Slack has no API that lists past events: this source is live-only.
package slack

import (
	"net/http"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
)

// Name is the source name and receiver path segment.
const Name = "slack"

// Headers Slack sets on a retry.
const (
	RetryNumHeader    = "X-Slack-Retry-Num"
	RetryReasonHeader = "X-Slack-Retry-Reason"
)

// Config configures a Source.
type Config struct {
	SigningSecrets []string      // SLACK_SIGNING_SECRET, split at commas
	Tolerance      time.Duration // 0 means DefaultTolerance
	Now            func() time.Time
}

// Source is the Slack Events API provider. It is safe for concurrent use.
type Source struct {
	opts VerifyOptions
}

var (
	_ sources.Source     = (*Source)(nil)
	_ sources.Describer  = (*Source)(nil)
	_ sources.Handshaker = (*Source)(nil)
)

// New returns a Source for cfg; with no secret every request fails
// ErrNoSecret.
func New(cfg Config) *Source {
	return &Source{opts: VerifyOptions{Secrets: cfg.SigningSecrets, Tolerance: cfg.Tolerance, Now: cfg.Now}}
}

// Name returns "slack".
func (s *Source) Name() string { return Name }

// Capabilities returns none beyond verify: Slack is live-only.
func (s *Source) Capabilities() sources.Capabilities {
	return sources.Capabilities{LiveOnly: sources.LiveOnlyNote("Slack")}
}

// Handshake answers a verified url_verification with its challenge (plain
// text, as Slack documents) and a verified app_rate_limited with "ok". It
// returns (nil, nil) for an event_callback, and the signature or envelope
// error otherwise.
func (s *Source) Handshake(header http.Header, body []byte) (*sources.Answer, error) {
	if err := VerifySignature(body, header, s.opts); err != nil {
		return nil, err
	}
	env, err := ParseEnvelope(body)
	if err != nil {
		return nil, err
	}
	switch env.Type {
	case TypeURLVerification:
		return &sources.Answer{ContentType: "text/plain", Body: []byte(env.Challenge)}, nil
	case TypeAppRateLimited:
		return &sources.Answer{ContentType: "text/plain", Body: []byte("ok")}, nil
	}
	return nil, nil
}

// Verify checks the signature over the raw body, then reads the envelope
// of an event_callback. Errors wrap sources.ErrSignature (the Err*
// sentinels) or sources.ErrMalformed (a handshake or another type included:
// the receiver calls Handshake first).
func (s *Source) Verify(header http.Header, body []byte) (*ledger.Event, error) {
	if err := VerifySignature(body, header, s.opts); err != nil {
		return nil, err
	}
	env, err := ParseEnvelope(body)
	if err != nil {
		return nil, err
	}
	if err := env.checkCallback(); err != nil {
		return nil, err
	}
	return &ledger.Event{
		Source:      Name,
		EventID:     env.EventID,
		Type:        env.EventType,
		Action:      env.EventSubtype,
		Account:     env.TeamID,
		ContentType: "application/json",
		Payload:     body,
		CreatedAt:   time.Unix(env.EventTime, 0).UTC(),
		Origin:      ledger.OriginWebhook,
	}, nil
}
