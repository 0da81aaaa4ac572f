package standard

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookledger/hookledger/sources"
)

// Header names, in their two families: the specification's and Svix's.
const (
	IDHeader            = "Webhook-Id"
	TimestampHeader     = "Webhook-Timestamp"
	SignatureHeader     = "Webhook-Signature"
	SvixIDHeader        = "Svix-Id"
	SvixTimestampHeader = "Svix-Timestamp"
	SvixSignatureHeader = "Svix-Signature"
)

// DefaultTolerance is how far the signed timestamp may lie from now, in
// either direction, when VerifyOptions.Tolerance is zero.
const DefaultTolerance = 5 * time.Minute

// secretPrefix starts a Standard Webhooks secret.
const secretPrefix = "whsec_"

// Errors returned by VerifyRequest. Each wraps sources.ErrSignature.
var (
	// ErrNoSecret means no secret is configured: nothing can verify.
	ErrNoSecret = fmt.Errorf("standard: no webhook secret configured: %w", sources.ErrSignature)
	// ErrNoSignature means the id, timestamp or signature header is missing.
	ErrNoSignature = fmt.Errorf("standard: missing webhook-id, webhook-timestamp or webhook-signature header: %w", sources.ErrSignature)
	// ErrBadHeader means the timestamp is not an integer, or the signature
	// header holds no well-formed v1 entry.
	ErrBadHeader = fmt.Errorf("standard: malformed signature headers: %w", sources.ErrSignature)
	// ErrBadSignature means no v1 entry matches any configured secret.
	ErrBadSignature = fmt.Errorf("standard: signature does not match: %w", sources.ErrSignature)
	// ErrTooOld means the signature matches but its timestamp is older than
	// the tolerance.
	ErrTooOld = fmt.Errorf("standard: signature timestamp older than tolerance: %w", sources.ErrSignature)
	// ErrTooNew means the signature matches but its timestamp lies further
	// in the future than the tolerance.
	ErrTooNew = fmt.Errorf("standard: signature timestamp in the future beyond tolerance: %w", sources.ErrSignature)
)

// errBadSecret means a configured secret is not base64; the message never
// includes the secret.
var errBadSecret = errors.New("a webhook secret is not whsec_ followed by base64")

// DecodeSecrets turns whsec_… secrets into HMAC keys: the prefix (optional)
// dropped, the rest base64-decoded. Blank entries are skipped.
func DecodeSecrets(secrets []string) ([][]byte, error) {
	var keys [][]byte
	for _, s := range secrets {
		s = strings.TrimPrefix(strings.TrimSpace(s), secretPrefix)
		if s == "" {
			continue
		}
		key, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(key) == 0 {
			return nil, errBadSecret
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// VerifyOptions configures VerifyRequest.
type VerifyOptions struct {
	Keys      [][]byte      // decoded secrets (DecodeSecrets); any one verifies
	Tolerance time.Duration // zero or negative means DefaultTolerance
	Now       func() time.Time
}

// Message is the signed part of a verified request's headers.
type Message struct {
	ID        string // webhook-id (or svix-id)
	Timestamp int64  // webhook-timestamp, Unix seconds
}

// Signed is the content of one family of signature headers.
type Signed struct {
	Message
	V1 [][]byte // each well-formed v1 signature, base64-decoded (32 bytes)
}

// ParseHeaders reads the webhook- headers, or the svix- ones when the
// request has no webhook-id. It returns ErrNoSignature when one of the
// family's three is missing and ErrBadHeader when the timestamp is not an
// integer or no v1 entry is 32 bytes of base64. Entries of other versions
// ("v1a,…") are ignored.
func ParseHeaders(header http.Header) (Signed, error) {
	id, ts, sig := IDHeader, TimestampHeader, SignatureHeader
	if header.Get(IDHeader) == "" {
		id, ts, sig = SvixIDHeader, SvixTimestampHeader, SvixSignatureHeader
	}
	p := Signed{Message: Message{ID: header.Get(id)}}
	rawTS, rawSig := header.Get(ts), header.Get(sig)
	if p.ID == "" || rawTS == "" || rawSig == "" {
		return Signed{}, ErrNoSignature
	}
	t, err := strconv.ParseInt(strings.TrimSpace(rawTS), 10, 64)
	if err != nil {
		return Signed{}, ErrBadHeader
	}
	p.Timestamp = t
	for entry := range strings.FieldsSeq(rawSig) {
		version, value, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		mac, err := base64.StdEncoding.DecodeString(value)
		if err == nil && len(mac) == sha256.Size {
			p.V1 = append(p.V1, mac)
		}
	}
	if len(p.V1) == 0 {
		return Signed{}, ErrBadHeader
	}
	return p, nil
}

// VerifyRequest checks a request's signature headers against its raw body
// before anything decodes it: an HMAC-SHA256 of "{id}.{timestamp}.{body}"
// under any key must equal any v1 entry (every entry compared in constant
// time with every key, without stopping early), and the timestamp must lie
// within the tolerance of now. It returns the message, or one of the Err*
// sentinels; an error never includes a secret or a signature value.
func VerifyRequest(body []byte, header http.Header, opts VerifyOptions) (Message, error) {
	if len(opts.Keys) == 0 {
		return Message{}, ErrNoSecret
	}
	p, err := ParseHeaders(header)
	if err != nil {
		return Message{}, err
	}
	ok := false
	for _, key := range opts.Keys {
		expected := mac(key, p.Message, body)
		for _, sig := range p.V1 {
			if hmac.Equal(expected, sig) {
				ok = true
			}
		}
	}
	if !ok {
		return Message{}, ErrBadSignature
	}
	return p.Message, sources.CheckTimestamp(p.Timestamp, opts.Tolerance, DefaultTolerance, opts.Now, ErrTooOld, ErrTooNew)
}

// Sign returns the webhook-signature value for body sent as msg, signed
// with key: "v1," and the base64 MAC. For tests, fakes and the demo.
func Sign(body, key []byte, msg Message) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, msg, body))
}

func mac(key []byte, msg Message, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg.ID))
	h.Write([]byte{'.'})
	h.Write(strconv.AppendInt(nil, msg.Timestamp, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}
