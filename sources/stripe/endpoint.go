package stripe

import (
	"context"

	stripego "github.com/stripe/stripe-go/v76"

	"github.com/hookledger/hookledger/sources"
)

var _ sources.EndpointViewer = (*Source)(nil)

// Endpoints returns Stripe's view of the configured webhook endpoint
// (STRIPE_WEBHOOK_ENDPOINT_ID): its status and URL. Without an endpoint id
// there is nothing to look at, and it returns none.
func (s *Source) Endpoints(ctx context.Context) ([]sources.Endpoint, error) {
	if s.cfg.EndpointID == "" {
		return nil, nil
	}
	we, err := s.api.endpoint(ctx, s.cfg.EndpointID)
	if err != nil {
		return nil, err
	}
	return []sources.Endpoint{endpointOf(s.cfg.EndpointID, we)}, nil
}

func endpointOf(id string, we *stripego.WebhookEndpoint) sources.Endpoint {
	// Stripe says "enabled" or "disabled"; anything else is not sending.
	return sources.Endpoint{ID: id, Enabled: we.Status == "enabled", Status: we.Status, URL: we.URL}
}
