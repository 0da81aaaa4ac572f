package app

import (
	"slices"
	"strings"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/redact"
	"github.com/hookledger/hookledger/sources/standard"
)

// EnvSecrets returns every secret the environment configures: the value
// of each of SecretVars and of each Standard Webhooks source's
// <NAME>_WEBHOOK_SECRET and, for the comma-separated ones (rotation), each
// item. runWith builds the Redactor for the command's output and its exit
// error from it, before any setting is parsed.
func EnvSecrets(getenv func(string) string) []string {
	var out []string
	names := slices.Clone(SecretVars)
	for _, std := range SplitList(getenv("HOOKLEDGER_STANDARD_SOURCES")) {
		names = append(names, standard.SecretVar(std))
	}
	for _, name := range names {
		v := getenv(name)
		if name == "HOOKLEDGER_FORWARD_URL" {
			v = ForwardURLSecret(v)
		}
		if v != "" {
			out = append(out, v)
			out = append(out, SplitList(v)...)
		}
	}
	return out
}

// ForwardURLSecret returns the forward URL u when its userinfo, path or
// query may hold a token, else "": a bare scheme://host:port is no secret,
// and it is what the logs name the forward URL by.
func ForwardURLSecret(u string) string {
	if strings.TrimSuffix(u, "/") == redactURL(u) {
		return ""
	}
	return u
}

// Secrets lists every secret in the configuration (the values of
// SecretVars, from wherever they came: the demo makes its own), for the
// app's Redactor and the alerter.
func (c Config) Secrets() []string {
	out := append([]string{}, c.StripeWebhookSecrets...)
	out = append(out, c.GitHubWebhookSecrets...)
	for _, list := range [][]string{c.SlackSigningSecrets, c.ZoomSecretTokens, c.ShopifySecrets, c.PaddleWebhookSecrets} {
		out = append(out, list...)
	}
	for _, s := range c.StandardSources {
		out = append(out, s.Secrets...)
	}
	for _, s := range []string{c.StripeAPIKey, c.GitHubToken, c.PaddleAPIKey, c.SlackBotToken, c.SlackWebhookURL, c.ForwardSecret,
		ForwardURLSecret(c.ForwardURL), c.AdminToken} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// appRedactor returns the Redactor of an app on cfg: the configuration's
// secrets and the environment's.
func appRedactor(env *Env, cfg Config) *redact.Redactor {
	return redact.New(append(cfg.Secrets(), env.Redact.Secrets()...)...)
}
