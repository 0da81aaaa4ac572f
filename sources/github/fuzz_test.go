package github

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookledger/hookledger/sources"
)

// seed is a real example payload and the event it was sent as.
type seed struct {
	event string
	body  []byte
}

// seedPayloads returns a few real example payloads for the seed corpora.
func seedPayloads(f *testing.F) []seed {
	files, _ := filepath.Glob(filepath.Join("testdata", "webhooks", "*.0.json"))
	var out []seed
	for i, name := range files {
		if i%6 != 0 {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		event, _, _ := strings.Cut(filepath.Base(name), ".")
		out = append(out, seed{event, b})
	}
	if len(out) == 0 {
		f.Fatal("no seed payloads in testdata/webhooks")
	}
	return out
}

// FuzzVerify checks that whatever verifies really carries a valid HMAC of
// the body under the configured secret, and that nothing panics.
func FuzzVerify(f *testing.F) {
	const secret = "fuzz-secret"
	for _, p := range seedPayloads(f) {
		// Each sent as its own event (it verifies) and as a push (a
		// relabelled delivery, refused where the payload names its event).
		f.Add(p.body, Sign(p.body, secret), p.event, "72d3162e-cc78-11e3-81ab-4c9367dc0958", "application/json")
		f.Add(p.body, Sign(p.body, "other"), "push", "g", "")
	}
	f.Add([]byte(`payload=%7B%7D`), Sign([]byte(`payload=%7B%7D`), secret), "ping", "g", "application/x-www-form-urlencoded")
	f.Add([]byte(`{}`), "sha256=zz", "", "", "text/plain")
	src, err := New(Config{WebhookSecrets: []string{"other-secret", secret}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, sig, event, guid, contentType string) {
		h := http.Header{}
		h.Set(SignatureHeader, sig)
		h.Set(EventHeader, event)
		h.Set(DeliveryHeader, guid)
		h.Set("Content-Type", contentType)
		ev, err := src.Verify(h, body)
		if err != nil {
			if !errors.Is(err, sources.ErrSignature) && !errors.Is(err, sources.ErrMalformed) {
				t.Fatalf("Verify() error = %v wraps neither sentinel", err)
			}
			return
		}
		got, ok := parseSignature(sig)
		matches := false
		for _, key := range []string{"other-secret", secret} {
			mac := hmac.New(sha256.New, []byte(key))
			mac.Write(body)
			matches = matches || (ok && hmac.Equal(got[:], mac.Sum(nil)))
		}
		if !matches {
			t.Fatalf("Verify() accepted signature %q that is not the HMAC of the body under any configured secret", sig)
		}
		if string(ev.Payload) != string(body) || ev.EventID == "" || ev.Type == "" {
			t.Fatalf("Verify() = %+v, want the body untouched and an id and type", ev)
		}
	})
}

// FuzzParseEnvelope checks the envelope parser never panics and either
// returns a malformed error or an event with an id and type.
func FuzzParseEnvelope(f *testing.F) {
	for _, p := range seedPayloads(f) {
		f.Add(p.body, "application/json")
	}
	f.Add([]byte(`payload=%7B%22action%22%3A%22x%22%7D`), "application/x-www-form-urlencoded")
	f.Add([]byte(`{"action":"\ud800"}`), "")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		h := http.Header{}
		h.Set(EventHeader, "push")
		h.Set(DeliveryHeader, "g")
		h.Set("Content-Type", contentType)
		env, err := ParseEnvelope(h, body)
		if err != nil && !errors.Is(err, sources.ErrMalformed) {
			t.Fatalf("ParseEnvelope() error = %v, not ErrMalformed", err)
		}
		if err == nil && (env.DeliveryID != "g" || env.Event != "push") {
			t.Fatalf("ParseEnvelope() = %+v", env)
		}
	})
}

// FuzzParseHooks checks that whatever parses prints back to a string that
// parses to the same hooks.
func FuzzParseHooks(f *testing.F) {
	for _, s := range []string{"octo/hello:12", "org:octo-org:7", "a/b:1, org:c:2", "", "org::1", "x/y:-1", "a/b:1,a/b:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hooks, err := ParseHooks(s)
		if err != nil {
			return
		}
		for _, h := range hooks {
			again, err := ParseHook(h.String())
			if err != nil || again != h {
				t.Fatalf("ParseHook(%q) = %+v, %v; want %+v", h.String(), again, err, h)
			}
		}
	})
}
