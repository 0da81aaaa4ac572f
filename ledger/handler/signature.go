package handler

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// secretPrefix marks a Standard Webhooks secret: whsec_ then base64 bytes.
const secretPrefix = "whsec_"

// ParseSecret returns the signing key for a Standard Webhooks secret: the
// base64-decoded bytes after "whsec_", or the raw bytes of a secret without
// that prefix. It fails on an empty secret or bad base64 after the prefix,
// without quoting the secret.
func ParseSecret(secret string) ([]byte, error) {
	if secret == "" {
		return nil, errors.New("parse secret: empty")
	}
	rest, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return []byte(secret), nil
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(key) == 0 {
		return nil, errors.New("parse secret: the part after whsec_ is not valid base64")
	}
	return key, nil
}

// Sign returns the Standard Webhooks signature header value for a message:
// "v1," and the base64 HMAC-SHA256, under key, of "msgID.timestamp.body"
// with the timestamp in Unix seconds. Like every sign function in
// hookledger it takes the payload first, then the secret, then what else
// is signed, the time last.
func Sign(body, key []byte, msgID string, ts time.Time) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID))
	mac.Write([]byte{'.'})
	mac.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
