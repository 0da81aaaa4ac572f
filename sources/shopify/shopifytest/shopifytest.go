// Package shopifytest builds and signs Shopify webhook requests the way
// Shopify sends them, for tests, the demo and the bench. Shopify has no API
// that lists past deliveries, so there is no API to fake: only the sender.
package shopifytest

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/hookledger/hookledger/sources/shopify"
)

// Delivery is one webhook delivery.
type Delivery struct {
	EventID   string // X-Shopify-Event-Id, the same on every duplicate
	WebhookID string // X-Shopify-Webhook-Id, this delivery's
	Topic     string // orders/create
	Shop      string // acme.myshopify.com
	At        time.Time
}

// Order renders a small orders/create payload for order id.
func Order(id int64, at time.Time) []byte {
	body, _ := json.Marshal(map[string]any{"id": id, "name": "#1001", "email": "buyer@example.com",
		"created_at": at.Format(time.RFC3339), "currency": "EUR", "total_price": "42.00",
		"line_items": []map[string]any{{"id": id*10 + 1, "title": "Mug", "quantity": 1, "price": "42.00"}}})
	return body
}

// Header returns the headers Shopify sends for d with body, signed with secret.
func Header(secret string, d Delivery, body []byte) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Shopify-Captain-Hook")
	h.Set(shopify.TopicHeader, d.Topic)
	h.Set(shopify.ShopDomainHeader, d.Shop)
	h.Set(shopify.APIVersionHeader, "2025-10")
	h.Set(shopify.TriggeredAtHeader, d.At.UTC().Format(time.RFC3339Nano))
	if d.EventID != "" {
		h.Set(shopify.EventIDHeader, d.EventID)
	}
	if d.WebhookID != "" {
		h.Set(shopify.WebhookIDHeader, d.WebhookID)
	}
	h.Set(shopify.SignatureHeader, shopify.Sign(body, secret))
	return h
}
