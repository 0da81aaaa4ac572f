package bench

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/paddle"
	"github.com/hookledger/hookledger/sources/shopify"
	"github.com/hookledger/hookledger/sources/slack"
	"github.com/hookledger/hookledger/sources/standard"
	"github.com/hookledger/hookledger/sources/stripe"
	"github.com/hookledger/hookledger/sources/zoom"
)

// benchScheme is how one provider signs and sends the bench's events, so
// that the ingest phase can drive any source. Every scheme's body carries
// the same Stripe invoice as its payload (the receiver reads only the
// envelope), so the sizes and the work compare.
type benchScheme struct {
	name string
	// envelope wraps the invoice (BODY) in the provider's envelope; @@@…
	// (idWidth) is the event's unique part, @MS@… its millisecond time,
	// @CREATED@ and @ISO@ the run's time.
	envelope string
	idPrefix string // the ledger event id is idPrefix + the unique part
	// newSecret returns a fresh secret; key turns it into the HMAC key.
	newSecret func() string
	key       func(secret string) []byte
	// signed writes what the provider signs before the body to mac.
	signed func(p *eventPool, seq int, mac hash.Hash)
	// headers sets the request's headers for event seq from its MAC.
	headers func(p *eventPool, seq int, sum []byte, h http.Header)
	// source is the receiver's source for the pool's secret.
	source func(secret string) (sources.Source, error)
	// byTime, for Zoom, makes the event id idPrefix and the event's
	// millisecond time rather than idPrefix and the unique part.
	byTime bool
}

// benchSchemes are the sources the bench can drive, by name.
var benchSchemes = map[string]*benchScheme{
	"stripe": {
		name: stripe.Name, envelope: "BODY", idPrefix: "evt_", newSecret: rawSecret("whsec_"), key: rawKey,
		signed: func(p *eventPool, _ int, mac hash.Hash) { fmt.Fprintf(mac, "%d.", p.timestamp) },
		headers: func(p *eventPool, _ int, sum []byte, h http.Header) {
			h.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
			h.Set(stripe.SignatureHeader, "t="+strconv.FormatInt(p.timestamp, 10)+",v1="+hex.EncodeToString(sum))
		},
		source: func(secret string) (sources.Source, error) {
			return stripe.New(stripe.Config{WebhookSecrets: []string{secret}})
		},
	},
	"paddle": {
		name: paddle.Name, idPrefix: "evt_", newSecret: rawSecret("pdl_ntfset_bench_"), key: rawKey,
		envelope: `{"event_id":"evt_@@@@@@@@@@@@@@@@@@@@@@@@","event_type":"transaction.completed","occurred_at":"@ISO@",` +
			`"notification_id":"ntf_@@@@@@@@@@@@@@@@@@@@@@@@","data":BODY}`,
		signed: func(p *eventPool, _ int, mac hash.Hash) { fmt.Fprintf(mac, "%d:", p.timestamp) },
		headers: func(p *eventPool, _ int, sum []byte, h http.Header) {
			h.Set(paddle.SignatureHeader, "ts="+strconv.FormatInt(p.timestamp, 10)+";h1="+hex.EncodeToString(sum))
		},
		source: func(secret string) (sources.Source, error) {
			return paddle.New(paddle.Config{WebhookSecrets: []string{secret}})
		},
	},
	"slack": {
		name: slack.Name, idPrefix: "Ev", newSecret: rawSecret(""), key: rawKey,
		envelope: `{"token":"XXYYZZ","team_id":"T0BENCH","api_app_id":"A0BENCH","type":"event_callback",` +
			`"event_id":"Ev@@@@@@@@@@@@@@@@@@@@@@@@","event_time":@CREATED@,"event":{"type":"message","channel":"C0BENCH","text":"hi"},"data":BODY}`,
		signed:  func(p *eventPool, _ int, mac hash.Hash) { fmt.Fprintf(mac, "v0:%d:", p.timestamp) },
		headers: v0Headers(slack.TimestampHeader, slack.SignatureHeader),
		source: func(secret string) (sources.Source, error) {
			return slack.New(slack.Config{SigningSecrets: []string{secret}}), nil
		},
	},
	"zoom": {
		name: zoom.Name, idPrefix: "meeting.ended:", byTime: true, newSecret: rawSecret(""), key: rawKey,
		envelope: `{"event":"meeting.ended","event_ts":@MS@@@@@@@@@@,"payload":{"account_id":"AAbench","object":BODY}}`,
		signed:   func(p *eventPool, _ int, mac hash.Hash) { fmt.Fprintf(mac, "v0:%d:", p.timestamp) },
		headers:  v0Headers(zoom.TimestampHeader, zoom.SignatureHeader),
		source: func(secret string) (sources.Source, error) {
			return zoom.New(zoom.Config{SecretTokens: []string{secret}}), nil
		},
	},
	"shopify": {
		name: shopify.Name, envelope: "BODY", idPrefix: "", newSecret: rawSecret("shpss_"), key: rawKey,
		signed: func(*eventPool, int, hash.Hash) {},
		headers: func(p *eventPool, seq int, sum []byte, h http.Header) {
			h.Set(shopify.SignatureHeader, base64.StdEncoding.EncodeToString(sum))
			h.Set(shopify.EventIDHeader, p.idSuffix(seq))
			h.Set(shopify.TopicHeader, "orders/paid")
			h.Set(shopify.ShopDomainHeader, "bench.myshopify.com")
		},
		source: func(secret string) (sources.Source, error) {
			return shopify.New(shopify.Config{Secrets: []string{secret}}), nil
		},
	},
	"standard": {
		name: "standard", envelope: "BODY", idPrefix: "msg_", newSecret: rawSecret("whsec_"),
		key: func(secret string) []byte {
			k, _ := standard.DecodeSecrets([]string{secret})
			return k[0]
		},
		signed: func(p *eventPool, seq int, mac hash.Hash) {
			fmt.Fprintf(mac, "msg_%s.%d.", p.idSuffix(seq), p.timestamp)
		},
		headers: func(p *eventPool, seq int, sum []byte, h http.Header) {
			h.Set(standard.IDHeader, "msg_"+p.idSuffix(seq))
			h.Set(standard.TimestampHeader, strconv.FormatInt(p.timestamp, 10))
			h.Set(standard.SignatureHeader, "v1,"+base64.StdEncoding.EncodeToString(sum))
		},
		source: func(secret string) (sources.Source, error) {
			return standard.New(standard.Config{Name: "standard", Secrets: []string{secret}})
		},
	},
}

// SchemeNames lists benchSchemes' names, for usage text.
const SchemeNames = "stripe, paddle, slack, zoom, shopify, standard"

// v0Headers sets Slack's and Zoom's "v0=" signature and timestamp headers.
func v0Headers(tsHeader, sigHeader string) func(*eventPool, int, []byte, http.Header) {
	return func(p *eventPool, _ int, sum []byte, h http.Header) {
		h.Set(tsHeader, strconv.FormatInt(p.timestamp, 10))
		h.Set(sigHeader, "v0="+hex.EncodeToString(sum))
	}
}

// rawSecret returns a generator of random secrets starting with prefix,
// the rest base64 (so a whsec_ one is a valid Standard Webhooks secret).
func rawSecret(prefix string) func() string {
	return func() string {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		return prefix + base64.StdEncoding.EncodeToString(b)
	}
}

// rawKey keys the MAC with the secret's bytes.
func rawKey(secret string) []byte { return []byte(secret) }

// envelopeOf returns s's envelope around body.
func (s *benchScheme) envelopeOf(body string) string {
	return strings.Replace(s.envelope, "BODY", body, 1)
}

// ParseSource returns the scheme named name, or a usage error.
func ParseSource(name string) (*benchScheme, error) {
	s, ok := benchSchemes[name]
	if !ok {
		return nil, app.UsageError(fmt.Sprintf("bench: unknown --source %q (want one of %s)", name, SchemeNames))
	}
	return s, nil
}
