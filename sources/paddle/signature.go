package paddle

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hookledger/hookledger/sources"
)

// SignatureHeader is the header Paddle signs each webhook in.
const SignatureHeader = "Paddle-Signature"

// DefaultTolerance is how far the signed ts may lie from now, in either
// direction, when VerifyOptions.Tolerance is zero. Paddle's SDKs check 5
// seconds; hookledger allows the 5 minutes it allows every provider, since
// a receiver's clock can be off by more than 5 seconds and Paddle signs
// every retry afresh.
const DefaultTolerance = 5 * time.Minute

// Errors returned by VerifySignature. Each wraps sources.ErrSignature.
var (
	// ErrNoSecret means no secret key is configured: nothing can verify.
	ErrNoSecret = fmt.Errorf("paddle: no webhook secret key configured: %w", sources.ErrSignature)
	// ErrNoSignature means the header is absent or carries no h1.
	ErrNoSignature = fmt.Errorf("paddle: no h1 signature in %s header: %w", SignatureHeader, sources.ErrSignature)
	// ErrBadHeader means the ts is missing, repeated or not an integer.
	ErrBadHeader = fmt.Errorf("paddle: malformed %s header: %w", SignatureHeader, sources.ErrSignature)
	// ErrBadSignature means no h1 matches any configured secret key.
	ErrBadSignature = fmt.Errorf("paddle: signature does not match: %w", sources.ErrSignature)
	// ErrTooOld means the signature matches but ts is older than the tolerance.
	ErrTooOld = fmt.Errorf("paddle: signature timestamp older than tolerance: %w", sources.ErrSignature)
	// ErrTooNew means the signature matches but ts lies further in the
	// future than the tolerance.
	ErrTooNew = fmt.Errorf("paddle: signature timestamp in the future beyond tolerance: %w", sources.ErrSignature)
)

// VerifyOptions configures VerifySignature.
type VerifyOptions struct {
	// Secrets are the notification destination's secret keys
	// (pdl_ntfset_…); a signature made with any of them verifies.
	Secrets   []string
	Tolerance time.Duration // zero or negative means DefaultTolerance
	Now       func() time.Time
}

// ParsedSignature is the content of a Paddle-Signature header.
type ParsedSignature struct {
	TS string   // the ts= value as sent (it is signed as text)
	H1 [][]byte // each well-formed h1= value, hex-decoded (32 bytes)
}

// ParseSignatureHeader reads "ts=…;h1=…[;h1=…]". Other keys are ignored,
// as are h1 values that are not 64 hex digits (they can never match). It
// returns ErrNoSignature for an empty header or one without any h1, and
// ErrBadHeader when ts is missing, repeated or not an integer.
func ParseSignatureHeader(header string) (ParsedSignature, error) {
	var p ParsedSignature
	if strings.TrimSpace(header) == "" {
		return p, ErrNoSignature
	}
	haveH1 := false
	for item := range strings.SplitSeq(header, ";") {
		key, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			continue
		}
		switch key {
		case "ts":
			if _, err := strconv.ParseUint(value, 10, 63); err != nil || p.TS != "" {
				return ParsedSignature{}, ErrBadHeader
			}
			p.TS = value
		case "h1":
			haveH1 = true
			if sum, err := hex.DecodeString(value); err == nil && len(sum) == sha256.Size {
				p.H1 = append(p.H1, sum)
			}
		}
	}
	if p.TS == "" {
		return ParsedSignature{}, ErrBadHeader
	}
	if !haveH1 {
		return ParsedSignature{}, ErrNoSignature
	}
	return p, nil
}

// VerifySignature checks header (the Paddle-Signature value) against the
// raw body: an HMAC-SHA256 of "ts:body" under any configured secret key
// must equal any h1 (every h1 compared in constant time with every key,
// without stopping early), and ts must lie within the tolerance of now. It
// returns nil or one of the Err* sentinels, never naming a key or a
// signature value.
func VerifySignature(body []byte, header string, opts VerifyOptions) error {
	if len(strings.Join(opts.Secrets, "")) == 0 {
		return ErrNoSecret
	}
	p, err := ParseSignatureHeader(header)
	if err != nil {
		return err
	}
	match := false
	for _, secret := range opts.Secrets {
		if secret == "" {
			continue
		}
		expected := mac(body, secret, p.TS)
		for _, sig := range p.H1 {
			if hmac.Equal(expected, sig) {
				match = true
			}
		}
	}
	if !match {
		return ErrBadSignature
	}
	ts, _ := strconv.ParseInt(p.TS, 10, 64)
	return sources.CheckTimestamp(ts, opts.Tolerance, DefaultTolerance, opts.Now, ErrTooOld, ErrTooNew)
}

// Sign returns the Paddle-Signature value for body sent at t, with one h1
// per secret (several during a rotation), as Paddle sends it.
func Sign(body []byte, t time.Time, secrets ...string) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	var b strings.Builder
	b.WriteString("ts=" + ts)
	for _, s := range secrets {
		b.WriteString(";h1=" + hex.EncodeToString(mac(body, s, ts)))
	}
	return b.String()
}

func mac(body []byte, secret, ts string) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{':'})
	h.Write(body)
	return h.Sum(nil)
}
