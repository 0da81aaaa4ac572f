package github

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/hookledger/hookledger/sources"
)

// SignatureHeader is the header GitHub signs each webhook body in.
const SignatureHeader = "X-Hub-Signature-256"

// signaturePrefix starts every X-Hub-Signature-256 value.
const signaturePrefix = "sha256="

// Errors returned by VerifySignature. Each wraps sources.ErrSignature, so
// errors.Is(err, sources.ErrSignature) holds for all of them.
var (
	// ErrNoSecret means no webhook secret is configured: nothing can verify.
	ErrNoSecret = fmt.Errorf("github: no webhook secret configured: %w", sources.ErrSignature)
	// ErrNoSignature means the request carries no X-Hub-Signature-256 header.
	ErrNoSignature = fmt.Errorf("github: missing %s header: %w", SignatureHeader, sources.ErrSignature)
	// ErrBadHeader means the header is not "sha256=" followed by 64 hex digits.
	ErrBadHeader = fmt.Errorf("github: malformed %s header: %w", SignatureHeader, sources.ErrSignature)
	// ErrBadSignature means no configured secret produces the signature.
	ErrBadSignature = fmt.Errorf("github: signature does not match: %w", sources.ErrSignature)
)

// VerifyOptions configures VerifySignature.
type VerifyOptions struct {
	// Secrets are the webhook secrets accepted; a signature made with any of
	// them verifies (several during a rotation). Empty strings are ignored.
	Secrets []string
}

// VerifySignature checks the X-Hub-Signature-256 header of a request
// against the raw body, before anything decodes it. Like every verify
// function here it takes the payload first, then what carries the
// signature, then the options. It compares in constant
// time against every configured secret and returns nil when one matches,
// else one of ErrNoSecret, ErrNoSignature, ErrBadHeader or ErrBadSignature.
// Errors never include a secret or the signature value.
func VerifySignature(body []byte, header http.Header, opts VerifyOptions) error {
	values := header.Values(SignatureHeader)
	if len(values) == 0 {
		return ErrNoSignature
	}
	if len(values) > 1 {
		return ErrBadHeader
	}
	got, ok := parseSignature(values[0])
	if !ok {
		return ErrBadHeader
	}
	configured := false
	for _, secret := range opts.Secrets {
		if secret == "" {
			continue
		}
		configured = true
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		var want [sha256.Size]byte
		if hmac.Equal(mac.Sum(want[:0]), got[:]) {
			return nil
		}
	}
	if !configured {
		return ErrNoSecret
	}
	return ErrBadSignature
}

// parseSignature decodes "sha256=<64 hex digits>"; ok is false otherwise.
func parseSignature(v string) (sum [sha256.Size]byte, ok bool) {
	hexSum, found := strings.CutPrefix(strings.TrimSpace(v), signaturePrefix)
	if !found || len(hexSum) != 2*sha256.Size {
		return sum, false
	}
	if _, err := hex.Decode(sum[:], []byte(hexSum)); err != nil {
		return sum, false
	}
	return sum, true
}

// Sign returns the X-Hub-Signature-256 value GitHub sends for body signed
// with secret: "sha256=" and the hex HMAC-SHA256. Like every sign function
// here it takes the payload first, then the secret.
func Sign(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}
