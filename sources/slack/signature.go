package slack

import (
	"fmt"
	"net/http"
	"time"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/internal/v0sig"
)

// Headers Slack signs each request with.
const (
	SignatureHeader = "X-Slack-Signature"
	TimestampHeader = "X-Slack-Request-Timestamp"
)

// DefaultTolerance is how far the request timestamp may lie from now, in
// either direction, when VerifyOptions.Tolerance is zero: Slack's
// documented five minutes.
const DefaultTolerance = 5 * time.Minute

// Errors returned by VerifySignature. Each wraps sources.ErrSignature.
var (
	// ErrNoSecret means no signing secret is configured: nothing can verify.
	ErrNoSecret = fmt.Errorf("slack: no signing secret configured: %w", sources.ErrSignature)
	// ErrNoSignature means the signature or timestamp header is missing.
	ErrNoSignature = fmt.Errorf("slack: missing %s or %s header: %w", SignatureHeader, TimestampHeader, sources.ErrSignature)
	// ErrBadHeader means the signature is not "v0=" and 64 hex digits, or
	// the timestamp is not an integer.
	ErrBadHeader = fmt.Errorf("slack: malformed signature headers: %w", sources.ErrSignature)
	// ErrBadSignature means no configured secret produces the signature.
	ErrBadSignature = fmt.Errorf("slack: signature does not match: %w", sources.ErrSignature)
	// ErrTooOld means the signature matches but the timestamp is older than
	// the tolerance.
	ErrTooOld = fmt.Errorf("slack: request timestamp older than tolerance: %w", sources.ErrSignature)
	// ErrTooNew means the signature matches but the timestamp lies further
	// in the future than the tolerance.
	ErrTooNew = fmt.Errorf("slack: request timestamp in the future beyond tolerance: %w", sources.ErrSignature)
)

// VerifyOptions configures VerifySignature.
type VerifyOptions struct {
	Secrets   []string      // signing secrets; any one verifies (several while rotating)
	Tolerance time.Duration // zero or negative means DefaultTolerance
	Now       func() time.Time
}

// VerifySignature checks X-Slack-Signature over "v0:{timestamp}:{body}"
// with every configured secret in constant time, then the timestamp
// against the tolerance. It returns nil or one of the Err* sentinels, never
// naming a secret or a signature value.
func VerifySignature(body []byte, header http.Header, opts VerifyOptions) error {
	_, err := v0sig.Verify(body, header.Get(SignatureHeader), header.Get(TimestampHeader),
		v0sig.Options{Secrets: opts.Secrets, Tolerance: opts.Tolerance, Default: DefaultTolerance, Now: opts.Now}, errs)
	return err
}

// errs are the sentinels v0sig.Verify returns for Slack.
var errs = v0sig.Errors{NoSecret: ErrNoSecret, NoSignature: ErrNoSignature, BadHeader: ErrBadHeader,
	BadSignature: ErrBadSignature, TooOld: ErrTooOld, TooNew: ErrTooNew}
