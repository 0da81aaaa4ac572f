package sources_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/github"
	"github.com/hookledger/hookledger/sources/stripe"
)

// verifyOnly is a Source with no listing and no declared capabilities.
type verifyOnly struct{}

func (verifyOnly) Name() string { return "plain" }
func (verifyOnly) Verify(http.Header, []byte) (*ledger.Event, error) {
	return nil, sources.ErrSignature
}

func TestCapabilitiesOfEachKindOfSource(t *testing.T) {
	st, err := stripe.New(stripe.Config{WebhookSecrets: []string{"whsec_x"}})
	if err != nil {
		t.Fatal(err)
	}
	gh, err := github.New(github.Config{WebhookSecrets: []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		src      sources.Source
		want     string
		liveOnly bool
	}{
		{st, "verify, list, fetch", false},
		{gh, "verify, list, fetch, redeliver", false},
		{verifyOnly{}, "verify", true},
	} {
		got := sources.CapabilitiesOf(tc.src)
		if got.String() != tc.want {
			t.Errorf("CapabilitiesOf(%s) = %q, want %q", tc.src.Name(), got, tc.want)
		}
		if (got.LiveOnly != "") != tc.liveOnly {
			t.Errorf("CapabilitiesOf(%s).LiveOnly = %q, want live-only %v", tc.src.Name(), got.LiveOnly, tc.liveOnly)
		}
	}
	if note := sources.CapabilitiesOf(verifyOnly{}).LiveOnly; !strings.Contains(note, "no API that lists past events") {
		t.Errorf("live-only note = %q, want it to say there is no list API", note)
	}
}

func TestFingerprintNeverRevealsTheSecret(t *testing.T) {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	fp := sources.Fingerprint(secret)
	// printf %s "$secret" | sha256sum | cut -c1-8
	if fp != "96ad2ccd" {
		t.Errorf("Fingerprint() = %q, want 96ad2ccd", fp)
	}
	if sources.Fingerprint(secret) != fp || sources.Fingerprint(secret+"x") == fp {
		t.Error("Fingerprint is not a stable function of the secret")
	}
	if sources.Fingerprint("") != "" {
		t.Error(`Fingerprint("") is not ""`)
	}
}
