package zoom

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/internal/v0sig"
)

// Headers Zoom signs each request with.
const (
	SignatureHeader = "X-Zm-Signature"
	TimestampHeader = "X-Zm-Request-Timestamp"
)

// DefaultTolerance is how far the request timestamp may lie from now, in
// either direction, when VerifyOptions.Tolerance is zero. Zoom documents
// the timestamp for replay protection without a number; five minutes is
// the bound Slack and Stripe use for the same scheme.
const DefaultTolerance = 5 * time.Minute

// Errors returned by VerifySignature. Each wraps sources.ErrSignature.
var (
	// ErrNoSecret means no secret token is configured: nothing can verify.
	ErrNoSecret = fmt.Errorf("zoom: no webhook secret token configured: %w", sources.ErrSignature)
	// ErrNoSignature means the signature or timestamp header is missing.
	ErrNoSignature = fmt.Errorf("zoom: missing x-zm-signature or x-zm-request-timestamp header: %w", sources.ErrSignature)
	// ErrBadHeader means the signature is not "v0=" and 64 hex digits, or
	// the timestamp is not an integer.
	ErrBadHeader = fmt.Errorf("zoom: malformed signature headers: %w", sources.ErrSignature)
	// ErrBadSignature means no configured secret token produces the signature.
	ErrBadSignature = fmt.Errorf("zoom: signature does not match: %w", sources.ErrSignature)
	// ErrTooOld means the signature matches but the timestamp is older than
	// the tolerance.
	ErrTooOld = fmt.Errorf("zoom: request timestamp older than tolerance: %w", sources.ErrSignature)
	// ErrTooNew means the signature matches but the timestamp lies further
	// in the future than the tolerance.
	ErrTooNew = fmt.Errorf("zoom: request timestamp in the future beyond tolerance: %w", sources.ErrSignature)
)

// VerifyOptions configures VerifySignature.
type VerifyOptions struct {
	Secrets   []string      // secret tokens; any one verifies (several while rotating)
	Tolerance time.Duration // zero or negative means DefaultTolerance
	Now       func() time.Time
}

// VerifySignature checks x-zm-signature over "v0:{timestamp}:{body}" with
// every configured secret token in constant time, then the timestamp. It
// returns the secret token that matched (to answer a URL validation with),
// or one of the Err* sentinels, never naming a secret or signature value.
func VerifySignature(body []byte, header http.Header, opts VerifyOptions) (string, error) {
	if len(strings.Join(opts.Secrets, "")) == 0 {
		return "", ErrNoSecret
	}
	rawSig, rawTS := header.Get(SignatureHeader), strings.TrimSpace(header.Get(TimestampHeader))
	if rawSig == "" || rawTS == "" {
		return "", ErrNoSignature
	}
	sum, ok := v0sig.Parse(rawSig)
	ts, err := strconv.ParseInt(rawTS, 10, 64)
	if !ok || err != nil {
		return "", ErrBadHeader
	}
	i := v0sig.Match(opts.Secrets, rawTS, body, sum)
	if i < 0 {
		return "", ErrBadSignature
	}
	switch sources.Skew(ts, opts.Tolerance, DefaultTolerance, opts.Now) {
	case -1:
		return "", ErrTooOld
	case 1:
		return "", ErrTooNew
	}
	return opts.Secrets[i], nil
}
