package shopify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/hookledger/hookledger/sources"
)

// SignatureHeader carries the base64 HMAC-SHA256 of the raw body.
const SignatureHeader = "X-Shopify-Hmac-Sha256"

// Errors returned by VerifySignature. Each wraps sources.ErrSignature.
var (
	// ErrNoSecret means no secret is configured: nothing can verify.
	ErrNoSecret = fmt.Errorf("shopify: no webhook secret configured: %w", sources.ErrSignature)
	// ErrNoSignature means the request has no X-Shopify-Hmac-Sha256 header.
	ErrNoSignature = fmt.Errorf("shopify: missing %s header: %w", SignatureHeader, sources.ErrSignature)
	// ErrBadHeader means the header is not 32 bytes of base64, or repeated.
	ErrBadHeader = fmt.Errorf("shopify: malformed %s header: %w", SignatureHeader, sources.ErrSignature)
	// ErrBadSignature means no configured secret produces the signature.
	ErrBadSignature = fmt.Errorf("shopify: signature does not match: %w", sources.ErrSignature)
)

// VerifyOptions configures VerifySignature.
type VerifyOptions struct {
	// Secrets are the app's client secrets; any one verifies. Shopify can
	// take up to an hour to sign with a new secret, so keep both then.
	Secrets []string
}

// ParseSignature decodes the header value: 32 bytes of standard base64.
func ParseSignature(v string) ([]byte, bool) {
	sum, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
	if err != nil || len(sum) != sha256.Size {
		return nil, false
	}
	return sum, true
}

// VerifySignature checks X-Shopify-Hmac-Sha256 against the raw body before
// anything decodes it, comparing in constant time with the MAC under every
// configured secret (without stopping early). It returns nil or one of the
// Err* sentinels, never naming a secret or the signature. Shopify signs no
// timestamp, so there is no tolerance to check.
func VerifySignature(body []byte, header http.Header, opts VerifyOptions) error {
	if len(strings.Join(opts.Secrets, "")) == 0 {
		return ErrNoSecret
	}
	values := header.Values(SignatureHeader)
	switch {
	case len(values) == 0:
		return ErrNoSignature
	case len(values) > 1:
		return ErrBadHeader
	}
	sum, ok := ParseSignature(values[0])
	if !ok {
		return ErrBadHeader
	}
	match := false
	for _, secret := range opts.Secrets {
		if secret != "" && hmac.Equal(mac(secret, body), sum) {
			match = true
		}
	}
	if !match {
		return ErrBadSignature
	}
	return nil
}

// Sign returns the X-Shopify-Hmac-Sha256 value Shopify sends for body.
func Sign(body []byte, secret string) string {
	return base64.StdEncoding.EncodeToString(mac(secret, body))
}

func mac(secret string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write(body)
	return h.Sum(nil)
}
