// Package shopify is hookledger's Shopify provider (POST /webhooks/shopify,
// SHOPIFY_WEBHOOK_SECRET).
//
// Shopify signs each HTTPS delivery with X-Shopify-Hmac-Sha256: the base64
// HMAC-SHA256 of the raw body under the app's client secret. It is checked
// over the raw bytes against every configured secret (comma-separated: a
// new secret can take an hour to be used) before any decoding. The scheme
// signs no timestamp, so there is no tolerance.
//
// Dedup key: X-Shopify-Event-Id. Shopify's "ignore duplicates" guide names
// it as the value that is the same across duplicate webhooks (retries, and
// one delivery per subscription when several subscribe to the topic).
// Deliveries without it (older API versions) fall back to
// X-Shopify-Webhook-Id, which Shopify's "verify deliveries" guide calls the
// delivery id and which retries keep. The type is X-Shopify-Topic
// (orders/create), the account X-Shopify-Shop-Domain, the time
// X-Shopify-Triggered-At.
//
// Shopify has no API that lists past webhook deliveries: this source is
// live-only (a reconcile would have to diff resources such as orders).
package shopify

import (
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
)

// Name is the source name and receiver path segment.
const Name = "shopify"

// Headers Shopify sends with every webhook.
const (
	EventIDHeader     = "X-Shopify-Event-Id"
	WebhookIDHeader   = "X-Shopify-Webhook-Id"
	TopicHeader       = "X-Shopify-Topic"
	ShopDomainHeader  = "X-Shopify-Shop-Domain"
	TriggeredAtHeader = "X-Shopify-Triggered-At"
	APIVersionHeader  = "X-Shopify-Api-Version"
)

// Errors for a verified request that cannot be read as a Shopify webhook.
// Each wraps sources.ErrMalformed.
var (
	// ErrNoID means neither X-Shopify-Event-Id nor X-Shopify-Webhook-Id is set.
	ErrNoID = fmt.Errorf("shopify: missing %s and %s headers: %w", EventIDHeader, WebhookIDHeader, sources.ErrMalformed)
	// ErrNoTopic means the X-Shopify-Topic header is missing.
	ErrNoTopic = fmt.Errorf("shopify: missing %s header: %w", TopicHeader, sources.ErrMalformed)
	// ErrBadIDHeader means the id, topic or shop domain header is not UTF-8.
	ErrBadIDHeader = fmt.Errorf("shopify: an id, topic or shop header is not valid UTF-8: %w", sources.ErrMalformed)
)

// keptHeaders are the non-secret headers stored with an event.
var keptHeaders = []string{EventIDHeader, WebhookIDHeader, TopicHeader, ShopDomainHeader, TriggeredAtHeader, APIVersionHeader}

// Config configures a Source.
type Config struct {
	Secrets []string // SHOPIFY_WEBHOOK_SECRET, split at commas
	Now     func() time.Time
}

// Source is the Shopify provider. It is safe for concurrent use.
type Source struct {
	opts VerifyOptions
	now  func() time.Time
}

var (
	_ sources.Source    = (*Source)(nil)
	_ sources.Describer = (*Source)(nil)
)

// New returns a Source for cfg; with no secret every request fails ErrNoSecret.
func New(cfg Config) *Source {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Source{opts: VerifyOptions{Secrets: cfg.Secrets}, now: cfg.Now}
}

// Name returns "shopify".
func (s *Source) Name() string { return Name }

// Capabilities returns none beyond verify: Shopify is live-only.
func (s *Source) Capabilities() sources.Capabilities {
	return sources.Capabilities{LiveOnly: "Shopify has no API that lists past webhook deliveries: " +
		"gaps there are caught by silence and counts, not by reconcile"}
}

// Verify checks the signature over the raw body, then returns the event
// the headers describe. CreatedAt is X-Shopify-Triggered-At, or now when it
// is absent or unreadable. Errors wrap sources.ErrSignature or ErrMalformed.
func (s *Source) Verify(header http.Header, body []byte) (*ledger.Event, error) {
	if err := VerifySignature(body, header, s.opts); err != nil {
		return nil, err
	}
	id := strings.TrimSpace(header.Get(EventIDHeader))
	if id == "" {
		id = strings.TrimSpace(header.Get(WebhookIDHeader))
	}
	topic := strings.TrimSpace(header.Get(TopicHeader))
	shop := strings.TrimSpace(header.Get(ShopDomainHeader))
	switch {
	case id == "":
		return nil, ErrNoID
	case topic == "":
		return nil, ErrNoTopic
	case !utf8.ValidString(id) || !utf8.ValidString(topic) || !utf8.ValidString(shop):
		return nil, ErrBadIDHeader
	}
	if err := sources.CheckPayload(body); err != nil {
		return nil, fmt.Errorf("shopify: %w", err)
	}
	at, err := time.Parse(time.RFC3339Nano, header.Get(TriggeredAtHeader))
	if err != nil || sources.CheckTime(at) != nil {
		at = s.now()
	}
	kept := map[string]string{}
	for _, k := range keptHeaders {
		if v := header.Get(k); v != "" {
			kept[k] = v
		}
	}
	return &ledger.Event{
		Source:      Name,
		EventID:     id,
		Type:        topic,
		Account:     shop,
		ContentType: "application/json",
		Headers:     kept,
		Payload:     body,
		CreatedAt:   at.UTC(),
		Origin:      ledger.OriginWebhook,
	}, nil
}
