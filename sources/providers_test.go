package sources_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/paddle"
	"github.com/hookledger/hookledger/sources/shopify"
	"github.com/hookledger/hookledger/sources/shopify/shopifytest"
	"github.com/hookledger/hookledger/sources/slack"
	"github.com/hookledger/hookledger/sources/slack/slacktest"
	"github.com/hookledger/hookledger/sources/standard"
	"github.com/hookledger/hookledger/sources/zoom"
	"github.com/hookledger/hookledger/sources/zoom/zoomtest"
)

// signedBy signs a body for one of the newer providers.
type signedBy struct {
	src  sources.Source
	sign func(body []byte) http.Header
	// member is an envelope member the source reads, and envelope renders a
	// valid body with it written as given (name and value), so a test can
	// repeat it or change its case; nil for a source that reads none.
	member   string
	envelope func(member string) string
}

func newerProviders(t *testing.T) map[string]signedBy {
	now := time.Now()
	stdKeys, err := standard.DecodeSecrets([]string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
	if err != nil {
		t.Fatal(err)
	}
	std, err := standard.New(standard.Config{Name: "clerk", Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}})
	if err != nil {
		t.Fatal(err)
	}
	pd, err := paddle.New(paddle.Config{WebhookSecrets: []string{"pdl_key"}})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]signedBy{
		"slack": {slack.New(slack.Config{SigningSecrets: []string{"s"}}),
			func(b []byte) http.Header { return slacktest.Header("s", now, b, 0) }, "event_id",
			func(id string) string {
				return `{"type":"event_callback",` + id + `,"event_time":1700000000,"event":{"type":"message"}}`
			}},
		"zoom": {zoom.New(zoom.Config{SecretTokens: []string{"z"}}),
			func(b []byte) http.Header { return zoomtest.Header("z", now, b) }, "event",
			func(id string) string { return `{` + id + `,"event_ts":1700000000000,"payload":{}}` }},
		"paddle": {pd,
			func(b []byte) http.Header {
				h := http.Header{}
				h.Set(paddle.SignatureHeader, paddle.Sign(b, now, "pdl_key"))
				return h
			}, "event_id",
			func(id string) string {
				return `{` + id + `,"event_type":"transaction.completed","occurred_at":"2026-01-01T00:00:00Z","data":{}}`
			}},
		"shopify": {shopify.New(shopify.Config{Secrets: []string{"shp"}}),
			func(b []byte) http.Header {
				return shopifytest.Header("shp", shopifytest.Delivery{EventID: "e1", Topic: "orders/create", Shop: "a", At: now}, b)
			}, "", nil},
		"standard": {std,
			func(b []byte) http.Header {
				h := http.Header{}
				h.Set("webhook-id", "msg_1")
				h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
				h.Set("webhook-signature", standard.Sign(b, stdKeys[0], standard.Message{ID: "msg_1", Timestamp: now.Unix()}))
				return h
			}, "type", func(m string) string { return `{` + m + `,"data":{}}` }},
	}
}

// TestNewerProvidersRejectWhatTheLedgerCannotKeep: the newer providers
// hold their payloads to intake's rules (sources.CheckPayload and
// sources.Members) like Stripe and GitHub: invalid UTF-8, nesting past
// MaxDepth, and an id member given twice or in another case are 400s, even
// with a valid signature.
func TestNewerProvidersRejectWhatTheLedgerCannotKeep(t *testing.T) {
	for name, p := range newerProviders(t) {
		idName := p.member
		cases := map[string]string{
			"not UTF-8": "{\"type\":\"a\xff\"}",
			"too deep":  strings.Repeat("[", sources.MaxDepth+1) + strings.Repeat("]", sources.MaxDepth+1),
		}
		if p.envelope != nil {
			good := p.envelope(`"` + idName + `":"x1"`)
			if _, err := p.src.Verify(p.sign([]byte(good)), []byte(good)); err != nil {
				t.Fatalf("%s: the valid envelope %s fails: %v", name, good, err)
			}
			cases["member twice"] = p.envelope(`"` + idName + `":"x1","` + idName + `":"x2"`)
			cases["member in another case"] = p.envelope(`"` + strings.ToUpper(idName) + `":"x1","` + idName + `":"x2"`)
		}
		for what, body := range cases {
			_, err := p.src.Verify(p.sign([]byte(body)), []byte(body))
			if !errors.Is(err, sources.ErrMalformed) {
				t.Errorf("%s, %s: Verify() = %v, want ErrMalformed", name, what, err)
			}
		}
	}
}
