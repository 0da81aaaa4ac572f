package shopify_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/internal/nodetest"
	"github.com/hookledger/hookledger/sources/internal/rxtest"
	"github.com/hookledger/hookledger/sources/shopify"
	"github.com/hookledger/hookledger/sources/shopify/shopifytest"
)

const (
	secret    = "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"
	oldSecret = "shpss_00000000000000000000000000000000"
)

var at = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// shopifySampleScript is the manual check of Shopify's "verify webhook
// deliveries" guide in node: HMAC-SHA256 of the raw body, base64, compared
// with timingSafeEqual. It prints, per request, whether it verifies.
const shopifySampleScript = `
const crypto = require("crypto");
let input = ""; process.stdin.on("data", d => input += d).on("end", () => {
  const { secret, requests } = JSON.parse(input);
  console.log(JSON.stringify(requests.map(r => {
    const digest = crypto.createHmac("sha256", secret).update(Buffer.from(r.body, "utf8")).digest("base64");
    const a = Buffer.from(digest, "base64"), b = Buffer.from(r.hmac, "base64");
    return a.length === b.length && crypto.timingSafeEqual(a, b);
  })));
});`

// TestShopifyDocumentedCheckAgrees: Shopify's documented check, run by
// node, accepts what shopifytest signs; ours accepts it too and rejects the
// same body tampered.
func TestShopifyDocumentedCheckAgrees(t *testing.T) {
	dir := nodetest.Install(t)
	bodies := [][]byte{shopifytest.Order(820982911946154508, at), []byte(`{"note":"ünïcode ☃","id":1}`)}
	type request struct {
		Body string `json:"body"`
		HMAC string `json:"hmac"`
	}
	var reqs []request
	for _, b := range bodies {
		reqs = append(reqs, request{string(b), shopify.Sign(b, secret)})
	}
	in, _ := json.Marshal(map[string]any{"secret": secret, "requests": reqs})
	var got []bool
	if err := json.Unmarshal(nodetest.Run(t, dir, shopifySampleScript, in), &got); err != nil || len(got) != len(bodies) {
		t.Fatalf("node output: %v, %v", err, got)
	}
	src := shopify.New(shopify.Config{Secrets: []string{secret}})
	for i, b := range bodies {
		h := shopifytest.Header(secret, shopifytest.Delivery{EventID: "e1", Topic: "orders/create", Shop: "acme.myshopify.com", At: at}, b)
		if !got[i] {
			t.Errorf("body %d: Shopify's documented check rejects our signature", i)
		}
		if _, err := src.Verify(h, b); err != nil {
			t.Errorf("body %d: Verify() = %v", i, err)
		}
		if _, err := src.Verify(h, append(b, '\n')); !errors.Is(err, shopify.ErrBadSignature) {
			t.Errorf("body %d tampered: Verify() = %v, want ErrBadSignature", i, err)
		}
	}
}

func TestVerifyCases(t *testing.T) {
	body := shopifytest.Order(1, at)
	d := shopifytest.Delivery{EventID: "evt-1", WebhookID: "wh-1", Topic: "orders/create", Shop: "acme.myshopify.com", At: at}
	for _, tc := range []struct {
		name    string
		secrets []string
		header  http.Header
		want    error
	}{
		{"valid", []string{secret}, shopifytest.Header(secret, d, body), nil},
		{"rotated", []string{secret, oldSecret}, shopifytest.Header(oldSecret, d, body), nil},
		{"wrong secret", []string{secret}, shopifytest.Header(oldSecret, d, body), shopify.ErrBadSignature},
		{"no secret", nil, shopifytest.Header(secret, d, body), shopify.ErrNoSecret},
		{"no signature", []string{secret}, http.Header{}, shopify.ErrNoSignature},
		{"hex, not base64", []string{secret}, with(shopifytest.Header(secret, d, body), shopify.SignatureHeader, strings.Repeat("ab", 32)), shopify.ErrBadHeader},
		{"no ids", []string{secret}, shopifytest.Header(secret, shopifytest.Delivery{Topic: "orders/create", At: at}, body), shopify.ErrNoID},
		{"no topic", []string{secret}, shopifytest.Header(secret, shopifytest.Delivery{EventID: "e", At: at}, body), shopify.ErrNoTopic},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := shopify.New(shopify.Config{Secrets: tc.secrets}).Verify(tc.header, body)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify() = %v, want %v", err, tc.want)
			}
			if err == nil && (ev.EventID != "evt-1" || ev.Type != "orders/create" || ev.Account != "acme.myshopify.com" || !ev.CreatedAt.Equal(at)) {
				t.Errorf("Verify() = %+v, want evt-1 orders/create of acme at %s", ev, at)
			}
			if err != nil && !errors.Is(err, sources.ErrSignature) && !errors.Is(err, sources.ErrMalformed) {
				t.Errorf("error %v wraps neither ErrSignature nor ErrMalformed", err)
			}
		})
	}
}

// TestDuplicatesShareTheEventID: a retry and a second subscription's
// delivery of the same event carry new webhook ids but the same event id,
// and are stored once; without an event id the webhook id is the key.
func TestDuplicatesShareTheEventID(t *testing.T) {
	h := rxtest.New(t, shopify.New(shopify.Config{Secrets: []string{secret}}))
	body := shopifytest.Order(7, at)
	for _, wh := range []string{"wh-a", "wh-b", "wh-c"} {
		d := shopifytest.Delivery{EventID: "evt-7", WebhookID: wh, Topic: "orders/create", Shop: "acme.myshopify.com", At: at}
		if status, _ := h.Post(t, "/webhooks/shopify", shopifytest.Header(secret, d, body), body); status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
	}
	legacy := shopifytest.Delivery{WebhookID: "wh-legacy", Topic: "orders/paid", Shop: "acme.myshopify.com", At: at}
	for range 2 {
		h.Post(t, "/webhooks/shopify", shopifytest.Header(secret, legacy, body), body)
	}
	events := h.Events(t, "shopify")
	if len(events) != 2 || events[0].EventID != "evt-7" || events[1].EventID != "wh-legacy" {
		t.Fatalf("ledger holds %d events, want evt-7 and wh-legacy", len(events))
	}
	if events[0].Headers[shopify.SignatureHeader] != "" {
		t.Error("the signature header was stored with the event")
	}
}

func with(h http.Header, k, v string) http.Header {
	h.Set(k, v)
	return h
}
