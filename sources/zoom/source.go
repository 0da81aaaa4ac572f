// Package zoom is hookledger's Zoom provider (POST /webhooks/zoom,
// ZOOM_WEBHOOK_SECRET_TOKEN).
//
// Zoom signs each request with x-zm-signature: "v0=" and the hex
// HMAC-SHA256 of "v0:{x-zm-request-timestamp}:{raw body}" under the app's
// secret token. It is checked over the raw bytes against every configured
// token (comma-separated, for a rotation) before any decoding, with a
// five-minute tolerance on the timestamp.
//
// Handshake: endpoint.url_validation (sent when the endpoint is set and
// every 72 hours) is verified like any request, then answered as Zoom
// documents, {"plainToken": P, "encryptedToken": hex HMAC-SHA256 of P under
// the secret token that verified it}, and never becomes an event.
//
// Dedup key: Zoom gives a notification no id of its own: x-zm-trackingid
// identifies the request, and Zoom does not say it survives a retry.
// Zoom's retries (after 5, 20 and 60 minutes) resend the same body, so the
// key is the event name and its event_ts (milliseconds), "{event}:{event_ts}",
// as Zoom's developer forum advises. Two notifications of the same event
// name in the same millisecond would be taken for one.
//
// Zoom has no API that lists past webhook notifications: this source is
// live-only.
package zoom

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
)

// Name is the source name and receiver path segment.
const Name = "zoom"

// EventURLValidation is the handshake's event name.
const EventURLValidation = "endpoint.url_validation"

// Errors for a verified request that is not a readable Zoom notification.
// Each wraps sources.ErrMalformed.
var (
	// ErrBadPayload means the body is not a JSON object with an event and
	// an event_ts, or a URL validation without a plainToken.
	ErrBadPayload = fmt.Errorf("zoom: payload is not a Zoom notification: %w", sources.ErrMalformed)
)

// Config configures a Source.
type Config struct {
	SecretTokens []string      // ZOOM_WEBHOOK_SECRET_TOKEN, split at commas
	Tolerance    time.Duration // 0 means DefaultTolerance
	Now          func() time.Time
}

// Source is the Zoom provider. It is safe for concurrent use.
type Source struct {
	opts VerifyOptions
}

var (
	_ sources.Source     = (*Source)(nil)
	_ sources.Describer  = (*Source)(nil)
	_ sources.Handshaker = (*Source)(nil)
)

// New returns a Source for cfg; with no token every request fails ErrNoSecret.
func New(cfg Config) *Source {
	return &Source{opts: VerifyOptions{Secrets: cfg.SecretTokens, Tolerance: cfg.Tolerance, Now: cfg.Now}}
}

// Name returns "zoom".
func (s *Source) Name() string { return Name }

// Capabilities returns none beyond verify: Zoom is live-only.
func (s *Source) Capabilities() sources.Capabilities {
	return sources.Capabilities{LiveOnly: sources.LiveOnlyNote("Zoom")}
}

// Envelope is what hookledger reads of a Zoom notification.
type Envelope struct {
	Event      string
	EventTS    int64  // milliseconds
	AccountID  string // payload.account_id
	PlainToken string // payload.plainToken, endpoint.url_validation only
}

// ParseEnvelope reads the envelope members of body by their exact names
// (sources.Members), after sources.CheckPayload, or returns one of those
// checks' errors or ErrBadPayload (no event, or a URL validation without a
// plainToken).
func ParseEnvelope(body []byte) (Envelope, error) {
	if err := sources.CheckPayload(body); err != nil {
		return Envelope{}, fmt.Errorf("zoom: %w", err)
	}
	m, err := sources.Members(body, "event", "event_ts", "payload")
	if err != nil {
		return Envelope{}, fmt.Errorf("zoom: %w", err)
	}
	var env Envelope
	if env.Event, err = sources.String(m["event"]); err != nil {
		return Envelope{}, fmt.Errorf("zoom: event: %w", err)
	}
	if env.EventTS, err = sources.Int(m["event_ts"]); err != nil {
		return Envelope{}, fmt.Errorf("zoom: event_ts: %w", err)
	}
	if raw := m["payload"].Raw; raw != "" && raw != "null" {
		p, err := sources.Members([]byte(raw), "account_id", "plainToken")
		if err != nil {
			return Envelope{}, fmt.Errorf("zoom: payload: %w", err)
		}
		if env.AccountID, err = sources.String(p["account_id"]); err != nil {
			return Envelope{}, fmt.Errorf("zoom: payload.account_id: %w", err)
		}
		if env.PlainToken, err = sources.String(p["plainToken"]); err != nil {
			return Envelope{}, fmt.Errorf("zoom: payload.plainToken: %w", err)
		}
	}
	if env.Event == "" || (env.Event == EventURLValidation && env.PlainToken == "") {
		return Envelope{}, ErrBadPayload
	}
	return env, nil
}

// Handshake answers a verified endpoint.url_validation; it returns
// (nil, nil) for any other notification.
func (s *Source) Handshake(header http.Header, body []byte) (*sources.Answer, error) {
	token, err := VerifySignature(body, header, s.opts)
	if err != nil {
		return nil, err
	}
	env, err := ParseEnvelope(body)
	if err != nil || env.Event != EventURLValidation {
		return nil, err
	}
	answer, err := json.Marshal(map[string]string{
		"plainToken":     env.PlainToken,
		"encryptedToken": EncryptToken(token, env.PlainToken),
	})
	if err != nil {
		return nil, fmt.Errorf("zoom: encode url validation answer: %w", err)
	}
	return &sources.Answer{ContentType: "application/json", Body: answer}, nil
}

// EncryptToken is what Zoom calls the encryptedToken: the hex HMAC-SHA256
// of plainToken under the secret token.
func EncryptToken(secretToken, plainToken string) string {
	m := hmac.New(sha256.New, []byte(secretToken))
	m.Write([]byte(plainToken))
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks the signature over the raw body, then returns the event:
// EventID "{event}:{event_ts}", Type the event name, Account the account_id,
// CreatedAt event_ts. Errors wrap sources.ErrSignature or ErrMalformed.
func (s *Source) Verify(header http.Header, body []byte) (*ledger.Event, error) {
	if _, err := VerifySignature(body, header, s.opts); err != nil {
		return nil, err
	}
	env, err := ParseEnvelope(body)
	if err != nil {
		return nil, err
	}
	if env.EventTS <= 0 || env.Event == EventURLValidation {
		return nil, ErrBadPayload
	}
	if err := sources.CheckUnix(env.EventTS / 1000); err != nil {
		return nil, fmt.Errorf("zoom: event_ts: %w", err)
	}
	headers := map[string]string{}
	if id := header.Get("X-Zm-Trackingid"); id != "" {
		headers["X-Zm-Trackingid"] = id
	}
	return &ledger.Event{
		Source:      Name,
		EventID:     env.Event + ":" + strconv.FormatInt(env.EventTS, 10),
		Type:        env.Event,
		Account:     env.AccountID,
		ContentType: "application/json",
		Headers:     headers,
		Payload:     body,
		CreatedAt:   time.UnixMilli(env.EventTS).UTC(),
		Origin:      ledger.OriginWebhook,
	}, nil
}
