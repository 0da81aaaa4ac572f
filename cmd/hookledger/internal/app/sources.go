package app

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/github"
	"github.com/hookledger/hookledger/sources/paddle"
	"github.com/hookledger/hookledger/sources/shopify"
	"github.com/hookledger/hookledger/sources/slack"
	"github.com/hookledger/hookledger/sources/standard"
	"github.com/hookledger/hookledger/sources/stripe"
	"github.com/hookledger/hookledger/sources/zoom"
)

// Providers is what the configuration turns on: the sources the receiver
// verifies (a webhook secret is set) and the ones reconcile can list (API
// credentials are set), and a description of each for `hookledger sources`.
type Providers struct {
	Webhook   []sources.Source
	Reconcile []sources.Lister
	Info      []sourceInfo
}

// sourceInfo describes one configured source, never its secrets.
type sourceInfo struct {
	Name         string
	Route        string   // the receiver's path
	Fingerprints []string // of each webhook secret, see sources.Fingerprint
	Caps         sources.Capabilities
	Webhook      bool   // the receiver verifies it (a secret is set)
	Reconcile    bool   // reconcile lists it (API credentials are set)
	Needs        string // what reconcile needs when the provider can list but is not set up
}

// BuildProviders builds every provider the configuration mentions. A
// provider with neither a webhook secret nor API credentials is off.
func BuildProviders(cfg Config, logger *slog.Logger, client *http.Client) (Providers, error) {
	var p Providers
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
		p.describe(s, cfg.StripeWebhookSecrets, cfg.StripeAPIKey != "", "STRIPE_API_KEY")
	}
	if len(cfg.GitHubWebhookSecrets) > 0 || cfg.GitHubToken != "" {
		hooks, err := github.ParseHooks(cfg.GitHubHooks)
		if err != nil {
			return p, UsageError(fmt.Sprintf("GITHUB_HOOKS: %v", err))
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
		p.describe(s, cfg.GitHubWebhookSecrets, cfg.GitHubToken != "" && len(hooks) > 0, "GITHUB_TOKEN and GITHUB_HOOKS")
	}
	if len(cfg.PaddleWebhookSecrets) > 0 || cfg.PaddleAPIKey != "" {
		s, err := paddle.New(paddle.Config{
			WebhookSecrets:        cfg.PaddleWebhookSecrets,
			APIKey:                cfg.PaddleAPIKey,
			APIURL:                cfg.PaddleAPIURL,
			NotificationSettingID: cfg.PaddleSettingID,
			HTTPClient:            client,
			Logger:                logger,
		})
		if err != nil {
			return p, fmt.Errorf("configure paddle: %w", err)
		}
		reconcile := cfg.PaddleAPIKey != "" && cfg.PaddleSettingID != ""
		p.add(s, len(cfg.PaddleWebhookSecrets) > 0, reconcile)
		p.describe(s, cfg.PaddleWebhookSecrets, reconcile, "PADDLE_API_KEY and PADDLE_NOTIFICATION_SETTING_ID")
	}
	if len(cfg.SlackSigningSecrets) > 0 {
		p.addLive(slack.New(slack.Config{SigningSecrets: cfg.SlackSigningSecrets}), cfg.SlackSigningSecrets)
	}
	if len(cfg.ZoomSecretTokens) > 0 {
		p.addLive(zoom.New(zoom.Config{SecretTokens: cfg.ZoomSecretTokens}), cfg.ZoomSecretTokens)
	}
	if len(cfg.ShopifySecrets) > 0 {
		p.addLive(shopify.New(shopify.Config{Secrets: cfg.ShopifySecrets}), cfg.ShopifySecrets)
	}
	for _, std := range cfg.StandardSources {
		s, err := standard.New(standard.Config{Name: std.Name, Secrets: std.Secrets})
		if err != nil {
			return p, UsageError(fmt.Sprintf("HOOKLEDGER_STANDARD_SOURCES / %s: %v", standard.SecretVar(std.Name), err))
		}
		p.addLive(s, std.Secrets)
	}
	return p, nil
}

// addLive turns on live-only source s for the receiver, verified with
// secrets.
func (p *Providers) addLive(s sources.Source, secrets []string) {
	p.Webhook = append(p.Webhook, s)
	p.describe(s, secrets, false, "")
}

// AnyWebhookSecret reports whether some source's webhook secret is set:
// the receiver then has a source to serve.
func (c Config) AnyWebhookSecret() bool {
	n := len(c.StandardSources) // each has its secret, or LoadConfig refused it
	for _, secrets := range [][]string{c.StripeWebhookSecrets, c.GitHubWebhookSecrets, c.PaddleWebhookSecrets,
		c.SlackSigningSecrets, c.ZoomSecretTokens, c.ShopifySecrets} {
		n += len(secrets)
	}
	return n > 0
}

// add turns l on for the receiver (webhook) and for reconcile as asked.
func (p *Providers) add(l sources.Lister, webhook, reconcile bool) {
	if webhook {
		p.Webhook = append(p.Webhook, l)
	}
	if reconcile {
		p.Reconcile = append(p.Reconcile, l)
	}
}

// describe adds the description of s, configured with secrets and, when
// reconcile is false, needing what needs says to be reconciled.
func (p *Providers) describe(s sources.Source, secrets []string, reconcile bool, needs string) {
	info := sourceInfo{Name: s.Name(), Route: "/webhooks/" + s.Name(), Caps: sources.CapabilitiesOf(s),
		Webhook: len(secrets) > 0, Reconcile: reconcile}
	for _, sec := range secrets {
		info.Fingerprints = append(info.Fingerprints, sources.Fingerprint(sec))
	}
	if !reconcile && info.Caps.List {
		info.Needs = needs
	}
	p.Info = append(p.Info, info)
}

// LiveOnly returns the configured sources that cannot be reconciled
// because their provider lists nothing, with the note saying so.
func (p Providers) LiveOnly() []sourceInfo {
	var out []sourceInfo
	for _, in := range p.Info {
		if in.Caps.LiveOnly != "" {
			out = append(out, in)
		}
	}
	return out
}

// Names lists the sources' names, for log lines.
func Names[S sources.Source](srcs []S) []string {
	out := make([]string, 0, len(srcs))
	for _, s := range srcs {
		out = append(out, s.Name())
	}
	return out
}
