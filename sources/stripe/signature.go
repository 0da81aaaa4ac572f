package stripe

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

// SignatureHeader is the HTTP header Stripe signs webhooks with.
const SignatureHeader = "Stripe-Signature"

// DefaultTolerance is how far a signature's timestamp may lie from now,
// in either direction, when VerifyOptions.Tolerance is zero.
const DefaultTolerance = 5 * time.Minute

// Errors returned by VerifySignature. Each wraps sources.ErrSignature, so
// errors.Is(err, sources.ErrSignature) holds for all of them.
var (
	// ErrNoSecret means no webhook secret is configured: nothing can verify.
	ErrNoSecret = fmt.Errorf("stripe: no webhook secret configured: %w", sources.ErrSignature)
	// ErrNoSignature means the header is absent or carries no v1 signature.
	ErrNoSignature = fmt.Errorf("stripe: no v1 signature in %s header: %w", SignatureHeader, sources.ErrSignature)
	// ErrBadHeader means the header cannot be parsed: its timestamp is
	// missing, repeated or not an integer.
	ErrBadHeader = fmt.Errorf("stripe: malformed %s header: %w", SignatureHeader, sources.ErrSignature)
	// ErrBadSignature means no v1 signature matches any configured secret.
	ErrBadSignature = fmt.Errorf("stripe: signature does not match: %w", sources.ErrSignature)
	// ErrTooOld means the signature matches but its timestamp is older than
	// the tolerance.
	ErrTooOld = fmt.Errorf("stripe: signature timestamp older than tolerance: %w", sources.ErrSignature)
	// ErrTooNew means the signature matches but its timestamp lies further
	// in the future than the tolerance.
	ErrTooNew = fmt.Errorf("stripe: signature timestamp in the future beyond tolerance: %w", sources.ErrSignature)
)

// VerifyOptions configures VerifySignature.
type VerifyOptions struct {
	// Secrets are the endpoint's signing secrets (whsec_…). Several are
	// allowed during rotation; a signature matching any of them verifies.
	Secrets []string
	// Tolerance bounds the distance between the signed timestamp and now,
	// in the past and in the future. Zero or negative means DefaultTolerance.
	Tolerance time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ParsedSignature is the content of a Stripe-Signature header.
type ParsedSignature struct {
	Timestamp int64    // the t= value, Unix seconds
	V1        [][]byte // each well-formed v1= value, hex-decoded (32 bytes)
}

// ParseSignatureHeader reads "t=…,v1=…[,v1=…][,v0=…]". Schemes other than
// v1 are ignored, as are v1 values that are not 64 hex digits (they can
// never match). It returns ErrNoSignature for an empty header or one without
// any v1 entry, and ErrBadHeader when the timestamp is missing, repeated or
// not an integer.
func ParseSignatureHeader(header string) (ParsedSignature, error) {
	var p ParsedSignature
	if header == "" {
		return p, ErrNoSignature
	}
	haveT, haveV1 := false, false
	for item := range strings.SplitSeq(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			continue
		}
		switch key {
		case "t":
			ts, err := strconv.ParseInt(value, 10, 64)
			if err != nil || haveT {
				return ParsedSignature{}, ErrBadHeader
			}
			p.Timestamp, haveT = ts, true
		case "v1":
			haveV1 = true
			if len(value) != 2*sha256.Size {
				continue
			}
			sig := make([]byte, sha256.Size)
			if _, err := hex.Decode(sig, []byte(value)); err == nil {
				p.V1 = append(p.V1, sig)
			}
		}
	}
	if !haveT {
		return ParsedSignature{}, ErrBadHeader
	}
	if !haveV1 {
		return ParsedSignature{}, ErrNoSignature
	}
	return p, nil
}

// VerifySignature checks header (the Stripe-Signature value) against the
// raw payload: an HMAC-SHA256 over "t.payload" with any configured secret
// must equal any v1 signature (compared in constant time, every signature
// against every secret), and t must lie within the tolerance of now on
// either side. It returns nil or one of the package's Err* sentinels; the
// error never contains a secret or a signature value. The event's API
// version plays no part.
func VerifySignature(payload []byte, header string, opts VerifyOptions) error {
	if len(opts.Secrets) == 0 {
		return ErrNoSecret
	}
	p, err := ParseSignatureHeader(header)
	if err != nil {
		return err
	}
	if !matchAny(p, payload, opts.Secrets) {
		return ErrBadSignature
	}
	return checkTimestamp(p.Timestamp, opts)
}

// matchAny computes one MAC per secret and compares it with every v1
// signature, without stopping early, so timing says nothing about which
// secret or signature matched.
func matchAny(p ParsedSignature, payload []byte, secrets []string) bool {
	var tsBuf [20]byte
	ts := strconv.AppendInt(tsBuf[:0], p.Timestamp, 10)
	var sum [sha256.Size]byte
	ok := false
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(ts)
		mac.Write([]byte{'.'})
		mac.Write(payload)
		expected := mac.Sum(sum[:0])
		for _, sig := range p.V1 {
			if hmac.Equal(expected, sig) {
				ok = true
			}
		}
	}
	return ok
}

func checkTimestamp(ts int64, opts VerifyOptions) error {
	tolerance := opts.Tolerance
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	// Compare ts with now±limit rather than now-ts, which would overflow
	// for absurd timestamps.
	unix := now().Unix()
	limit := int64(tolerance / time.Second)
	switch {
	case ts < unix-limit:
		return ErrTooOld
	case ts > unix+limit:
		return ErrTooNew
	}
	return nil
}
