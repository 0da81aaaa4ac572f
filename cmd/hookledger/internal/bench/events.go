package bench

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// benchTemplate is a Stripe invoice.paid event as Stripe sends it. The
// placeholders (fixed width) are overwritten per event so every event of a
// run has its own id; PAD grows metadata.note to the requested size.
const benchTemplate = `{
  "id": "evt_@@@@@@@@@@@@@@@@@@@@@@@@",
  "object": "event",
  "api_version": "2023-10-16",
  "created": @CREATED@,
  "data": {
    "object": {
      "id": "in_@@@@@@@@@@@@@@@@@@@@@@@@",
      "object": "invoice",
      "account_country": "US",
      "account_name": "Acme Analytics, Inc.",
      "amount_due": 4900,
      "amount_paid": 4900,
      "amount_remaining": 0,
      "attempt_count": 1,
      "attempted": true,
      "billing_reason": "subscription_cycle",
      "charge": "ch_3OBenchChargeQ7pWx1nA0bC9",
      "collection_method": "charge_automatically",
      "created": @CREATED@,
      "currency": "usd",
      "customer": "cus_PBenchCustomer9Tz",
      "customer_email": "billing@example.com",
      "customer_name": "Example Customer",
      "invoice_pdf": "https://pay.stripe.com/invoice/acct_1BenchAcct/test_YWNjdF8xQmVuY2g/pdf",
      "lines": {
        "object": "list",
        "data": [
          {
            "id": "il_1OBenchLineItem000000001",
            "object": "line_item",
            "amount": 4900,
            "currency": "usd",
            "description": "1 × Pro plan (at $49.00 / month)",
            "period": {"end": @CREATED@, "start": @CREATED@},
            "price": {"id": "price_1OBenchPricePro", "object": "price", "active": true, "currency": "usd", "product": "prod_PBenchProduct", "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"}, "type": "recurring", "unit_amount": 4900},
            "proration": false,
            "quantity": 1,
            "subscription": "sub_1OBenchSubscription01",
            "type": "subscription"
          }
        ],
        "has_more": false,
        "total_count": 1,
        "url": "/v1/invoices/in_1OBenchInvoice/lines"
      },
      "livemode": false,
      "metadata": {"note": "PAD"},
      "number": "ACME-0042",
      "paid": true,
      "payment_intent": "pi_3OBenchPaymentIntent01",
      "period_end": @CREATED@,
      "period_start": @CREATED@,
      "status": "paid",
      "status_transitions": {"finalized_at": @CREATED@, "paid_at": @CREATED@},
      "subscription": "sub_1OBenchSubscription01",
      "subtotal": 4900,
      "tax": null,
      "total": 4900
    }
  },
  "livemode": false,
  "pending_webhooks": 1,
  "request": {"id": null, "idempotency_key": null},
  "type": "invoice.paid"
}`

// idWidth is the width of the unique part of an event id: a 10-character
// run tag and a 14-digit sequence number.
const idWidth = 24

// eventPool is a run's set of distinct, pre-signed Stripe events. Only the
// template and one 32-byte signature per event are held; an event's body
// is rebuilt by copying the template and writing its id, which costs far
// less than the request it goes into.
type eventPool struct {
	scheme    *benchScheme
	tmpl      []byte
	idOffsets []int // where each placeholder id starts in tmpl
	msOffsets []int // where each placeholder millisecond time starts
	tag       string
	secret    string
	key       []byte
	timestamp int64
	sigs      [][sha256.Size]byte
}

// newEventPool builds a pool of n events of exactly size bytes as scheme's
// provider sends them, signed at now with a fresh random secret. It fails
// when size is below the template's natural size.
func newEventPool(scheme *benchScheme, n, size int, now time.Time) (*eventPool, error) {
	tmpl, err := sizedTemplate(scheme, now, size)
	if err != nil {
		return nil, err
	}
	secret := scheme.newSecret()
	p := &eventPool{scheme: scheme, tmpl: tmpl, tag: runTag(now), secret: secret, key: scheme.key(secret), timestamp: now.Unix()}
	p.idOffsets = placeholders(tmpl, strings.Repeat("@", idWidth))
	p.msOffsets = placeholders(tmpl, msPlaceholder)
	p.sign(n)
	return p, nil
}

// msPlaceholder marks a millisecond time in an envelope (13 digits).
const msPlaceholder = "@MS@@@@@@@@@@"

// placeholders returns where each copy of mark starts in tmpl.
func placeholders(tmpl []byte, mark string) []int {
	var out []int
	for i := 0; ; {
		j := bytes.Index(tmpl[i:], []byte(mark))
		if j < 0 {
			return out
		}
		out = append(out, i+j)
		i += j + len(mark)
	}
}

// sizedTemplate returns scheme's envelope around benchTemplate, stamped at
// now and padded to size bytes; a size below its natural size is a usage
// error.
func sizedTemplate(scheme *benchScheme, now time.Time, size int) ([]byte, error) {
	base := scheme.envelopeOf(benchTemplate)
	base = strings.ReplaceAll(base, "@CREATED@", strconv.FormatInt(now.Unix(), 10))
	base = strings.ReplaceAll(base, "@ISO@", now.UTC().Format(time.RFC3339))
	pad := size - (len(base) - len("PAD"))
	if pad < 0 {
		return nil, app.UsageError(fmt.Sprintf("bench: --size must be at least %d bytes", len(base)-len("PAD")))
	}
	return []byte(strings.Replace(base, "PAD", filler(pad, now.UnixNano()), 1)), nil
}

// filler returns n bytes of reference ids, random base62 like a
// provider's, so that an event compresses as real provider JSON does
// (about 2.3× with zlib for the 2,600-byte Stripe event; a repeated phrase
// would compress far better and flatter compact storage).
func filler(n int, seed int64) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	var b strings.Builder
	for b.Len() < n {
		b.WriteString("ref_")
		for range 14 {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		b.WriteByte(' ')
	}
	return b.String()[:n]
}

// sign computes the v1 signature of every event, on every CPU.
func (p *eventPool) sign(n int) {
	p.sigs = make([][sha256.Size]byte, n)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			buf := make([]byte, len(p.tmpl))
			for seq := w; seq < n; seq += workers {
				mac := hmac.New(sha256.New, p.key)
				p.scheme.signed(p, seq, mac)
				mac.Write(p.render(buf, seq))
				mac.Sum(p.sigs[seq][:0])
			}
		})
	}
	wg.Wait()
}

// Len returns how many signed events the pool holds.
func (p *eventPool) Len() int { return len(p.sigs) }

// render writes event seq into buf (len(buf) == len(p.tmpl)) and returns it.
func (p *eventPool) render(buf []byte, seq int) []byte {
	copy(buf, p.tmpl)
	id := p.idSuffix(seq)
	for _, off := range p.idOffsets {
		copy(buf[off:off+idWidth], id)
	}
	if len(p.msOffsets) > 0 {
		ms := p.millis(seq)
		for _, off := range p.msOffsets {
			copy(buf[off:off+len(msPlaceholder)], ms)
		}
	}
	return buf
}

// millis is event seq's millisecond time: the run's, plus seq, so that
// every event's is its own (13 digits until the year 2286).
func (p *eventPool) millis(seq int) string {
	return strconv.FormatInt(p.timestamp*1000+int64(seq), 10)
}

// idSuffix is the unique, fixed-width part of event seq's ids.
func (p *eventPool) idSuffix(seq int) string {
	return fmt.Sprintf("%s%014d", p.tag, seq)
}

// eventID returns the ledger id of event seq.
func (p *eventPool) eventID(seq int) string {
	if p.scheme.byTime {
		return p.scheme.idPrefix + p.millis(seq)
	}
	return p.scheme.idPrefix + p.idSuffix(seq)
}

// setHeaders sets event seq's headers, its signature among them, on h.
func (p *eventPool) setHeaders(h http.Header, seq int) {
	h.Set("Content-Type", "application/json; charset=utf-8")
	p.scheme.headers(p, seq, p.sigs[seq][:], h)
}

// runTag returns a 10-character tag, unique per run, that starts event ids.
func runTag(now time.Time) string {
	s := strconv.FormatInt(now.UnixNano(), 36)
	return "1B" + s[len(s)-8:]
}
