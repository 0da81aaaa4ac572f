// Package stripe is hookledger's Stripe provider: it verifies
// Stripe-Signature headers on incoming webhooks, reads the event envelope,
// and lists, fetches and scopes events through Stripe's API (stripe-go) for
// reconcile. The fake Stripe API for tests lives in stripetest.
package stripe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
)

// Name is the source name and receiver path segment.
const Name = "stripe"

// Retention is how far back GET /v1/events reaches.
const Retention = 30 * 24 * time.Hour

// Defaults for Config fields left zero.
const (
	DefaultAPIBase = "https://api.stripe.com"
	DefaultRPS     = 20 // well under Stripe's live limit of 100 requests/s
	DefaultWorkers = 4
)

// Config configures a Source. Only WebhookSecrets is needed to verify
// webhooks; APIKey is needed to list, fetch and scope.
type Config struct {
	WebhookSecrets []string      // STRIPE_WEBHOOK_SECRET, split on commas
	Tolerance      time.Duration // signature timestamp tolerance; 0 means 5m
	APIKey         string        // STRIPE_API_KEY, a restricted read key is enough
	APIBase        string        // STRIPE_API_BASE; "" means https://api.stripe.com
	EndpointID     string        // STRIPE_WEBHOOK_ENDPOINT_ID: read enabled_events from it
	EventTypes     []string      // STRIPE_EVENT_TYPES: used when EndpointID is empty
	RPS            float64       // STRIPE_API_RPS, requests per second; 0 means 20
	Workers        int           // concurrent list slices; 0 means 4
	MaxRetries     int           // per request, for 429, 5xx and transport errors; 0 means 6
	RetryBase      time.Duration // first retry delay, doubling; 0 means 500ms
	MaxRetryDelay  time.Duration // longest wait, Retry-After included; 0 means 30s
	HTTPClient     *http.Client  // nil means a client with an 80s timeout
	Now            func() time.Time
	Logger         *slog.Logger
}

// Source is the Stripe provider.
type Source struct {
	cfg Config
	api *apiClient
}

var (
	_ sources.Source    = (*Source)(nil)
	_ sources.Lister    = (*Source)(nil)
	_ sources.Describer = (*Source)(nil)
)

// New returns a Source for cfg with defaults filled in. It returns an
// error when neither a webhook secret nor an API key is configured; with
// no secret every webhook fails ErrNoSecret, with no key every API call
// fails.
func New(cfg Config) (*Source, error) {
	if len(cfg.WebhookSecrets) == 0 && cfg.APIKey == "" {
		return nil, errors.New("neither webhook secret nor api key configured")
	}
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	if cfg.RPS <= 0 {
		cfg.RPS = DefaultRPS
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = DefaultRetryBase
	}
	if cfg.MaxRetryDelay <= 0 {
		cfg.MaxRetryDelay = DefaultMaxRetryDelay
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Source{cfg: cfg, api: newAPIClient(cfg)}, nil
}

// Name returns "stripe".
func (s *Source) Name() string { return Name }

// Capabilities returns list and fetch: Stripe lists whole events for 30
// days but has no API to resend one.
func (s *Source) Capabilities() sources.Capabilities {
	return sources.Capabilities{List: true, Fetch: true}
}

// Retention returns 30 days, how far back Stripe lists events.
func (s *Source) Retention() time.Duration { return Retention }

// Verify checks the Stripe-Signature header over the raw body, then reads
// the event envelope. Errors wrap sources.ErrSignature (one of the Err*
// sentinels) or sources.ErrMalformed.
func (s *Source) Verify(header http.Header, body []byte) (*ledger.Event, error) {
	err := VerifySignature(body, header.Get(SignatureHeader), VerifyOptions{
		Secrets:   s.cfg.WebhookSecrets,
		Tolerance: s.cfg.Tolerance,
		Now:       s.cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	env, err := ParseEnvelope(body)
	if err != nil {
		return nil, err
	}
	return env.event(body, ledger.OriginWebhook), nil
}

// Fetch returns l.Event when the listing carried it, else retrieves the
// event from GET /v1/events/{id}. The returned event has Origin reconcile.
func (s *Source) Fetch(ctx context.Context, l sources.Listed) (*ledger.Event, error) {
	if l.Event != nil {
		return l.Event, nil
	}
	raw, err := s.api.getEvent(ctx, l.EventID)
	if err != nil {
		return nil, fmt.Errorf("fetch event %s: %w", l.EventID, err)
	}
	env, err := ParseEnvelope(raw)
	if err != nil {
		return nil, fmt.Errorf("fetch event %s: %w", l.EventID, err)
	}
	return env.event(raw, ledger.OriginReconcile), nil
}

// Redeliver returns sources.ErrNotSupported: Stripe has no API to resend an
// event, and a listed event is complete, so backfill is the way.
func (s *Source) Redeliver(context.Context, sources.Listed) error {
	return fmt.Errorf("redeliver event: %w", sources.ErrNotSupported)
}

// Scope returns the event types Stripe is expected to send: the webhook
// endpoint's enabled_events when EndpointID is set ("*" means all), else
// EventTypes, else all types with a note saying no subscription is known.
func (s *Source) Scope(ctx context.Context) (sources.Scope, error) {
	switch {
	case s.cfg.EndpointID != "":
		types, err := s.api.enabledEvents(ctx, s.cfg.EndpointID)
		if err != nil {
			return sources.Scope{}, err // enabledEvents names the call
		}
		return scopeOf(types, "enabled_events of "+s.cfg.EndpointID), nil
	case len(s.cfg.EventTypes) > 0:
		return scopeOf(s.cfg.EventTypes, "STRIPE_EVENT_TYPES"), nil
	}
	return sources.Scope{AllTypes: true, Note: "no subscription known: expecting all types"}, nil
}

func scopeOf(types []string, note string) sources.Scope {
	for _, t := range types {
		if t == "*" {
			return sources.Scope{AllTypes: true, Note: note + ": *"}
		}
	}
	return sources.Scope{Types: types, Note: note}
}
