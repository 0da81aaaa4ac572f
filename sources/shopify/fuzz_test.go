package shopify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"testing"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/shopify"
)

// FuzzVerifySignature: every error wraps ErrSignature; an accepted header
// decodes to the HMAC of the body under one of the configured secrets.
func FuzzVerifySignature(f *testing.F) {
	f.Add(shopify.Sign([]byte(`{"id":1}`), secret), []byte(`{"id":1}`))
	f.Add(shopify.Sign([]byte(`{}`), oldSecret)+" ", []byte(`{}`))
	f.Add("=", []byte{})
	f.Add("AAAA", []byte("x"))
	secrets := []string{secret, oldSecret}
	f.Fuzz(func(t *testing.T, sig string, body []byte) {
		h := http.Header{}
		h.Set(shopify.SignatureHeader, sig)
		err := shopify.VerifySignature(body, h, shopify.VerifyOptions{Secrets: secrets})
		if err != nil {
			if !errors.Is(err, sources.ErrSignature) {
				t.Fatalf("VerifySignature() = %v", err)
			}
			return
		}
		got, ok := shopify.ParseSignature(sig)
		if !ok {
			t.Fatal("accepted a header ParseSignature refuses")
		}
		for _, s := range secrets {
			m := hmac.New(sha256.New, []byte(s))
			m.Write(body)
			if hmac.Equal(m.Sum(nil), got) {
				return
			}
		}
		t.Fatalf("accepted %q, which no secret makes (%s)", sig, base64.StdEncoding.EncodeToString(got))
	})
}
