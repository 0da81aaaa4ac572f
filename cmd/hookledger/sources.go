package main

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/github"
	"github.com/hookledger/hookledger/sources/stripe"
)

// providers is what the configuration turns on: the sources the receiver
// verifies (a webhook secret is set) and the ones reconcile can list (API
// credentials are set).
type providers struct {
	Webhook   []sources.Source
	Reconcile []sources.Lister
}

// buildProviders builds every provider the configuration mentions. A
// provider with neither a webhook secret nor API credentials is off.
func buildProviders(cfg Config, logger *slog.Logger, client *http.Client) (providers, error) {
	var p providers
	if len(cfg.StripeWebhookSecrets) > 0 || cfg.StripeAPIKey != "" {
		s, err := stripe.New(stripe.Config{
			WebhookSecrets: cfg.StripeWebhookSecrets,
			APIKey:         cfg.StripeAPIKey,
			APIBase:        cfg.StripeAPIBase,
			EndpointID:     cfg.StripeEndpointID,
			EventTypes:     cfg.StripeEventTypes,
			RPS:            cfg.StripeAPIRPS,
			HTTPClient:     client,
			Logger:         logger,
		})
		if err != nil {
			return p, fmt.Errorf("configure stripe: %w", err)
		}
		p.add(s, len(cfg.StripeWebhookSecrets) > 0, cfg.StripeAPIKey != "")
	}
	if len(cfg.GitHubWebhookSecrets) > 0 || cfg.GitHubToken != "" {
		hooks, err := github.ParseHooks(cfg.GitHubHooks)
		if err != nil {
			return p, usageError(fmt.Sprintf("GITHUB_HOOKS: %v", err))
		}
		s, err := github.New(github.Config{
			WebhookSecrets: cfg.GitHubWebhookSecrets,
			Token:          cfg.GitHubToken,
			APIURL:         cfg.GitHubAPIURL,
			Hooks:          hooks,
			HTTPClient:     client,
			Logger:         logger,
		})
		if err != nil {
			return p, fmt.Errorf("configure github: %w", err)
		}
		p.add(s, len(cfg.GitHubWebhookSecrets) > 0, cfg.GitHubToken != "" && len(hooks) > 0)
	}
	return p, nil
}

// add turns l on for the receiver (webhook) and for reconcile as asked.
func (p *providers) add(l sources.Lister, webhook, reconcile bool) {
	if webhook {
		p.Webhook = append(p.Webhook, l)
	}
	if reconcile {
		p.Reconcile = append(p.Reconcile, l)
	}
}

// names lists the sources' names, for log lines.
func names[S sources.Source](srcs []S) []string {
	out := make([]string, 0, len(srcs))
	for _, s := range srcs {
		out = append(out, s.Name())
	}
	return out
}
