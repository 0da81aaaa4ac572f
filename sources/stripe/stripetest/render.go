package stripetest

import (
	"fmt"
	"strconv"
	"strings"
)

// APIVersion is the api_version the fake stamps on events by default
// (stripe-go v76's version).
const APIVersion = "2023-10-16"

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// splitmix64 turns a counter into well-spread bits, so generated ids and
// amounts look random yet are the same every time an event is rendered.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// objectID returns a Stripe-looking id ("cus_1…", 24 characters after the
// underscore) for the object of kind prefix belonging to event seed.
func objectID(prefix string, seed uint64) string {
	var b strings.Builder
	b.Grow(len(prefix) + 25)
	b.WriteString(prefix)
	b.WriteString("_1")
	h := splitmix64(seed ^ uint64(len(prefix))<<56 ^ uint64(prefix[0])<<48)
	for i := range 23 {
		if i%10 == 9 {
			h = splitmix64(h)
		}
		b.WriteByte(alphabet[h%62])
		h /= 62
	}
	return b.String()
}

// values are the per-event particulars substituted into the templates, in
// the order of the templates' %[n] verbs.
func values(seed uint64, created int64) []any {
	amount := int64(500 + splitmix64(seed^0xa11)%200000)
	return []any{
		created,                    // 1
		objectID("cus", seed),      // 2
		objectID("in", seed),       // 3
		objectID("sub", seed),      // 4
		objectID("ch", seed),       // 5
		objectID("pi", seed),       // 6
		amount,                     // 7
		objectID("price", seed%97), // 8
		objectID("prod", seed%97),  // 9
		objectID("pm", seed),       // 10
		"customer" + strconv.FormatUint(seed, 10) + "@example.com",     // 11
		fmt.Sprintf("%08X-%04d", uint32(splitmix64(seed)), seed%10000), // 12
		created + 30*24*3600,                // 13
		objectID("re", seed),                // 14
		objectID("txn", seed),               // 15
		objectID("si", seed),                // 16
		objectID("il", seed),                // 17
		objectID("sec", seed)[6:],           // 18
		strconv.Itoa(1000 + int(seed%9000)), // 19 card last4
	}
}

// renderObject appends the data.object JSON of an event of type typ.
func renderObject(buf []byte, typ string, seed uint64, created int64) []byte {
	tmpl, ok := templates[typ]
	if !ok {
		tmpl, ok = templates[objectKind(typ)]
	}
	if !ok {
		return renderGeneric(buf, typ, seed, created)
	}
	return fmt.Appendf(buf, tmpl, values(seed, created)...)
}

// objectKind maps an event type to the template of its object:
// "invoice.payment_failed" → "invoice".
func objectKind(typ string) string {
	kind, _, _ := strings.Cut(typ, ".")
	if strings.HasPrefix(typ, "customer.subscription.") {
		kind = "subscription"
	}
	return kind
}

// renderGeneric renders a small object for a type without a template.
func renderGeneric(buf []byte, typ string, seed uint64, created int64) []byte {
	kind := typ
	if i := strings.LastIndexByte(typ, '.'); i > 0 {
		kind = typ[:i]
	}
	kind = strings.ReplaceAll(kind, ".", "_")
	return fmt.Appendf(buf, `{
      "id": %q,
      "object": %q,
      "created": %d,
      "livemode": false,
      "metadata": {}
    }`, objectID(kind[:min(len(kind), 4)], seed), kind, created)
}

// appendEvent appends the whole event JSON, pretty-printed as Stripe does.
func appendEvent(buf []byte, r *record, id, typ, account string) []byte {
	buf = append(buf, "{\n  \"id\": \""...)
	buf = append(buf, id...)
	buf = append(buf, "\",\n  \"object\": \"event\",\n"...)
	if account != "" {
		buf = fmt.Appendf(buf, "  \"account\": %q,\n", account)
	}
	buf = fmt.Appendf(buf, "  \"api_version\": %q,\n  \"created\": %d,\n  \"data\": {\n    \"object\": ", APIVersion, r.created)
	if r.object != nil {
		buf = append(buf, r.object...)
	} else {
		buf = renderObject(buf, typ, uint64(r.seq)+1, r.created)
	}
	if strings.HasSuffix(typ, ".updated") {
		buf = append(buf, ",\n    \"previous_attributes\": {\n      \"metadata\": {}\n    }"...)
	}
	seed := splitmix64(uint64(r.seq) + 7)
	buf = fmt.Appendf(buf, `
  },
  "livemode": false,
  "pending_webhooks": 1,
  "request": {
    "id": "req_%s",
    "idempotency_key": "%08x-%04x-%04x-%04x-%012x"
  },
  "type": %q
}`, objectID("r", seed)[3:17], uint32(seed), uint16(seed>>32), uint16(seed>>48), uint16(seed>>8), seed>>16, typ)
	return buf
}
