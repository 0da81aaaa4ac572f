package handler

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// verifyStandardWebhook checks a request the way the Standard Webhooks
// specification describes, written independently of Sign: the key is the
// base64 after "whsec_", the signed content is "msg_id.timestamp.payload",
// and the header holds space-separated "v1,<base64>" signatures.
func verifyStandardWebhook(secret string, h http.Header, payload []byte) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	content := h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "." + string(payload)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(content))
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		version, b64, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("no matching signature")
}

func TestSignVerifiesWithReferenceAlgorithm(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("a 24-byte test secret!!!"))
	key, err := ParseSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Unix(1714564800, 0)
	body := []byte(`{"id":"evt_1","type":"invoice.paid"}`)
	h := http.Header{}
	h.Set("webhook-id", "evt_1")
	h.Set("webhook-timestamp", "1714564800")
	h.Set("webhook-signature", Sign(body, key, "evt_1", ts))
	if err := verifyStandardWebhook(secret, h, body); err != nil {
		t.Errorf("reference verify = %v, want nil", err)
	}
	if err := verifyStandardWebhook(secret, h, append(body, ' ')); err == nil {
		t.Error("reference verify of a changed body = nil, want an error")
	}
}

func TestParseSecret(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"whsec_" + base64.StdEncoding.EncodeToString([]byte("key")), "key", false},
		{"plain-secret", "plain-secret", false},
		{"whsec_***", "", true},
		{"whsec_", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		got, err := ParseSecret(tt.in)
		if (err != nil) != tt.wantErr || string(got) != tt.want {
			t.Errorf("ParseSecret(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && len(tt.in) > len("whsec_") && strings.Contains(err.Error(), tt.in) {
			t.Errorf("ParseSecret(%q) error quotes the secret: %v", tt.in, err)
		}
	}
}
