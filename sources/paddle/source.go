// Package paddle is hookledger's Paddle Billing provider
// (POST /webhooks/paddle, PADDLE_WEBHOOK_SECRET; reconcile with
// PADDLE_API_KEY, PADDLE_NOTIFICATION_SETTING_ID and PADDLE_API_URL).
//
// Paddle signs each webhook with Paddle-Signature: "ts=…;h1=…", h1 the hex
// HMAC-SHA256 of "{ts}:{raw body}" under the notification destination's
// secret key, with several h1 while a key rotates. The header is checked
// over the raw bytes, every h1 against every configured key (comma-
// separated) in constant time, with a tolerance on ts. The official Go
// SDK's WebhookVerifier is not used for intake: it accepts exactly one h1
// and reads the wall clock; the tests check our signatures with it and with
// @paddle/paddle-node-sdk.
//
// Dedup key: event_id (evt_…). Paddle's "how webhooks work" guide makes it
// the deduplication key: a retry resends the same notification, a replay
// creates a new notification (new notification_id) for the same event_id,
// and each notification destination gets its own notification for one
// event. The notification_id is kept in the event's headers.
//
// Reconcile: Paddle keeps notifications for 90 days. The lister pages
// through GET /notifications for the configured destination with the
// official SDK (github.com/PaddleHQ/paddle-go-sdk/v4), newest first, and
// yields each event once (a notification of origin "event"; replays are the
// same events again). The SDK decodes payloads into typed structs, which
// would drop fields it does not know, so the listed payload is taken byte
// for byte from the page the SDK fetched: a backfilled event is exactly the
// body the webhook would have carried. Redeliver asks Paddle to replay the
// notification (POST /notifications/{id}/replay).
package paddle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	paddlesdk "github.com/PaddleHQ/paddle-go-sdk/v4"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
)

// Name is the source name and receiver path segment.
const Name = "paddle"

// Retention is how long Paddle keeps notifications.
const Retention = 90 * 24 * time.Hour

// DefaultAPIURL is Paddle's live API; the sandbox is paddlesdk.SandboxBaseURL.
const DefaultAPIURL = paddlesdk.ProductionBaseURL

// Config configures a Source. Only WebhookSecrets is needed to verify;
// APIKey and NotificationSettingID are needed to reconcile.
type Config struct {
	WebhookSecrets        []string      // PADDLE_WEBHOOK_SECRET, split at commas
	Tolerance             time.Duration // 0 means DefaultTolerance
	APIKey                string        // PADDLE_API_KEY, with notification.read (and .write to replay)
	APIURL                string        // PADDLE_API_URL; "" means DefaultAPIURL
	NotificationSettingID string        // PADDLE_NOTIFICATION_SETTING_ID: the destination (ntfset_…) hookledger receives
	HTTPClient            *http.Client  // its Transport makes each attempt; nil means http.DefaultTransport
	Retry                 sources.RetryPolicy
	Now                   func() time.Time
	Logger                *slog.Logger
}

// Source is the Paddle Billing provider. It is safe for concurrent use.
type Source struct {
	cfg    Config
	client *http.Client // retrying, shared by every SDK instance
	base   *url.URL
	logger *slog.Logger
}

var (
	_ sources.Source    = (*Source)(nil)
	_ sources.Lister    = (*Source)(nil)
	_ sources.Describer = (*Source)(nil)
)

// New returns a Source for cfg. It fails when APIURL is not an absolute
// URL (without echoing it: it could carry credentials).
func New(cfg Config) (*Source, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	base, err := url.Parse(cfg.APIURL)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, errors.New("parse api url: PADDLE_API_URL is not an absolute URL")
	}
	logger := cfg.Logger.With("component", "paddle")
	retry := cfg.Retry
	retry.Now = cfg.Now
	return &Source{cfg: cfg, client: sources.NewRetryClient(cfg.HTTPClient, retry, logger), base: base, logger: logger}, nil
}

// Name returns "paddle".
func (s *Source) Name() string { return Name }

// Capabilities returns list, fetch and redeliver.
func (s *Source) Capabilities() sources.Capabilities {
	return sources.Capabilities{List: true, Fetch: true, Redeliver: true}
}

// Retention returns 90 days.
func (s *Source) Retention() time.Duration { return Retention }

// Verify checks Paddle-Signature over the raw body, then reads the
// envelope. Errors wrap sources.ErrSignature (the Err* sentinels) or
// sources.ErrMalformed.
func (s *Source) Verify(header http.Header, body []byte) (*ledger.Event, error) {
	err := VerifySignature(body, header.Get(SignatureHeader), VerifyOptions{
		Secrets: s.cfg.WebhookSecrets, Tolerance: s.cfg.Tolerance, Now: s.cfg.Now})
	if err != nil {
		return nil, err
	}
	env, err := ParseEnvelope(body)
	if err != nil {
		return nil, err
	}
	return env.event(body, s.cfg.NotificationSettingID, ledger.OriginWebhook), nil
}

// Scope returns all types: a notification destination is only sent the
// events it subscribes to, so every listed notification is expected.
func (s *Source) Scope(context.Context) (sources.Scope, error) {
	return sources.Scope{AllTypes: true,
		Note: "notifications of " + s.cfg.NotificationSettingID + " are what it subscribes to: expecting all types"}, nil
}

// sdk returns an SDK instance whose responses are captured by pc.
func (s *Source) sdk(pc *pageCapture) (*paddlesdk.SDK, error) {
	sdk, err := paddlesdk.New(s.cfg.APIKey, paddlesdk.WithBaseURL(s.base.String()), paddlesdk.WithClient(pc))
	if err != nil {
		return nil, fmt.Errorf("paddle sdk: %w", err)
	}
	return sdk, nil
}
