// Package v0sig is the signature scheme Slack and Zoom share: a header
// "v0=" followed by the hex HMAC-SHA256, keyed by the signing secret, of
// "v0:{timestamp}:{raw body}", with the timestamp in a header of its own.
package v0sig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/hookledger/hookledger/sources"
)

// Errors are a provider's own sentinels for each way a check fails.
type Errors struct {
	NoSecret, NoSignature, BadHeader, BadSignature, TooOld, TooNew error
}

// Options configures Verify.
type Options struct {
	Secrets   []string      // any one verifies (several while rotating)
	Tolerance time.Duration // zero or negative means Default
	Default   time.Duration
	Now       func() time.Time
}

// Verify checks the signature header value sig over "v0:{ts}:{body}"
// with every configured secret in constant time, then ts against the
// tolerance. It returns the secret that matched, or one of errs.
func Verify(body []byte, sig, ts string, o Options, errs Errors) (string, error) {
	if len(strings.Join(o.Secrets, "")) == 0 {
		return "", errs.NoSecret
	}
	ts = strings.TrimSpace(ts)
	if sig == "" || ts == "" {
		return "", errs.NoSignature
	}
	sum, ok := Parse(sig)
	unix, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil {
		return "", errs.BadHeader
	}
	i := Match(o.Secrets, ts, body, sum)
	if i < 0 {
		return "", errs.BadSignature
	}
	if err := sources.CheckTimestamp(unix, o.Tolerance, o.Default, o.Now, errs.TooOld, errs.TooNew); err != nil {
		return "", err
	}
	return o.Secrets[i], nil
}

// prefix starts every signature header value.
const prefix = "v0="

// Parse decodes "v0=<64 hex digits>"; ok is false for anything else.
func Parse(header string) (sum []byte, ok bool) {
	digits, found := strings.CutPrefix(strings.TrimSpace(header), prefix)
	if !found || len(digits) != 2*sha256.Size {
		return nil, false
	}
	sum, err := hex.DecodeString(digits)
	return sum, err == nil
}

// Match returns the index of the secret whose MAC of "v0:{ts}:{body}"
// equals sum, or -1. It computes and compares (in constant time) the MAC
// of every non-empty secret without stopping early, so timing says
// nothing about which one matched.
func Match(secrets []string, ts string, body, sum []byte) int {
	found := -1
	for i, secret := range secrets {
		if secret == "" {
			continue
		}
		if hmac.Equal(mac(secret, ts, body), sum) && found < 0 {
			found = i
		}
	}
	return found
}

// Sign returns the signature header value for body sent at ts with secret.
func Sign(body []byte, secret, ts string) string {
	return prefix + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte("v0:"))
	h.Write([]byte(ts))
	h.Write([]byte{':'})
	h.Write(body)
	return h.Sum(nil)
}
