package zoom

import (
	"fmt"
	"net/http"
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
	return v0sig.Verify(body, header.Get(SignatureHeader), header.Get(TimestampHeader),
		v0sig.Options{Secrets: opts.Secrets, Tolerance: opts.Tolerance, Default: DefaultTolerance, Now: opts.Now}, errs)
}

// errs are the sentinels v0sig.Verify returns for Zoom.
var errs = v0sig.Errors{NoSecret: ErrNoSecret, NoSignature: ErrNoSignature, BadHeader: ErrBadHeader,
	BadSignature: ErrBadSignature, TooOld: ErrTooOld, TooNew: ErrTooNew}
