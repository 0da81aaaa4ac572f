package sources

import "context"

// Endpoint is what a provider says about one endpoint it sends webhooks
// to: a Stripe webhook endpoint, a GitHub hook. It is a gap signal the
// ledger cannot see: a disabled endpoint sends nothing at all.
type Endpoint struct {
	ID      string // the provider's name for it: "we_…", "owner/repo:123"
	Enabled bool   // the provider sends to it
	Status  string // the provider's own word: "enabled", "disabled", "active", "inactive"
	URL     string // where it sends
	// LastResponseCode and LastResponseMessage are the provider's record of
	// its last delivery (GitHub's last_response); 0 and "" when it keeps none.
	LastResponseCode    int
	LastResponseMessage string
}

// EndpointViewer is a Lister that can read the provider's view of the
// endpoints it reconciles. An empty result means there is nothing to look
// at (no endpoint configured).
type EndpointViewer interface {
	Endpoints(ctx context.Context) ([]Endpoint, error)
}
