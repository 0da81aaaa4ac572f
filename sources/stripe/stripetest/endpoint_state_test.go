package stripetest_test

import (
	"testing"

	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

// TestEndpointServesStatusAndURL protects the fake's view of a webhook
// endpoint, as stripe-go reads it: enabled until SetEndpointStatus, its URL
// until SetEndpointURL.
func TestEndpointServesStatusAndURL(t *testing.T) {
	srv := stripetest.NewServer()
	defer srv.Close()
	ep := srv.AddEndpoint("https://hooks.example.com/webhooks/stripe", "")
	sc := newClient(t, srv, srv.APIKey())
	got, err := sc.WebhookEndpoints.Get(ep.ID, nil)
	if err != nil || got.Status != "enabled" || got.URL != "https://hooks.example.com/webhooks/stripe" {
		t.Fatalf("Get() = %+v, %v; want enabled at its URL", got, err)
	}
	srv.SetEndpointStatus(ep.ID, "disabled")
	srv.SetEndpointURL(ep.ID, "https://old.example.com/stripe")
	got, err = sc.WebhookEndpoints.Get(ep.ID, nil)
	if err != nil || got.Status != "disabled" || got.URL != "https://old.example.com/stripe" {
		t.Errorf("Get() = %+v, %v; want disabled, pointing elsewhere", got, err)
	}
}
