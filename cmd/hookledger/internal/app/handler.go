package app

import (
	"errors"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/handler"
)

// ErrNoHandler is returned by commands that need a handler when none is
// configured.
var ErrNoHandler = errors.New("no handler configured: set HOOKLEDGER_FORWARD_URL or HOOKLEDGER_EXEC")

// NewHandler builds the processor's handler from cfg: forward when
// HOOKLEDGER_FORWARD_URL is set, else exec when HOOKLEDGER_EXEC is set,
// else nil (ledger-only mode). The string describes the handler for logs,
// without secrets or URL credentials.
func NewHandler(cfg Config) (ledger.Handler, string, error) {
	switch {
	case cfg.ForwardURL != "":
		f, err := handler.NewForward(handler.ForwardConfig{URL: cfg.ForwardURL, Secret: cfg.ForwardSecret,
			Timeout: cfg.Timeout, Conns: max(cfg.Workers, 64)})
		if err != nil {
			return nil, "", UsageError("HOOKLEDGER_FORWARD_URL / HOOKLEDGER_FORWARD_SECRET: " + err.Error())
		}
		desc := "forward to " + redactURL(cfg.ForwardURL)
		if cfg.ForwardSecret != "" {
			desc += " (signed)"
		}
		return f, desc, nil
	case cfg.Exec != "":
		e, err := handler.NewExec(handler.ExecConfig{Command: cfg.Exec, Timeout: cfg.Timeout,
			Env: WithoutSecrets(os.Environ())})
		if err != nil {
			return nil, "", UsageError("HOOKLEDGER_EXEC: " + err.Error())
		}
		return e, "exec (sh -c $HOOKLEDGER_EXEC)", nil
	}
	return nil, "ledger-only", nil
}

// ProcessorConfig returns the processor settings that come from cfg;
// callers add the logger and metrics observer.
func ProcessorConfig(cfg Config) ledger.ProcessorConfig {
	return ledger.ProcessorConfig{
		Workers:     cfg.Workers,
		Lease:       cfg.Lease,
		Timeout:     cfg.Timeout,
		MaxAttempts: cfg.MaxAttempts,
		RetryBase:   cfg.RetryBase,
	}
}

// redactURL returns u's scheme, host and port only: its userinfo, path
// and query may each hold a credential (…/hooks/SECRETpathtoken).
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return "(unparsable URL)"
	}
	return p.Scheme + "://" + p.Host
}

// SecretVars are the environment variables that hold hookledger's own
// credentials: the user's command gets the event, not the keys to the
// providers or to Slack.
// They are also what every output is redacted of (EnvSecrets): the forward
// URL is among them as its path or query may carry a token.
var SecretVars = []string{"STRIPE_WEBHOOK_SECRET", "STRIPE_API_KEY", "GITHUB_WEBHOOK_SECRET", "GITHUB_TOKEN",
	"SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL", "HOOKLEDGER_FORWARD_SECRET", "HOOKLEDGER_FORWARD_URL",
	"SLACK_SIGNING_SECRET", "ZOOM_WEBHOOK_SECRET_TOKEN", "SHOPIFY_WEBHOOK_SECRET", "PADDLE_WEBHOOK_SECRET", "PADDLE_API_KEY",
	"HOOKLEDGER_ADMIN_TOKEN"}

// WithoutSecrets returns environ ("NAME=value" entries) less SecretVars
// and every *_WEBHOOK_SECRET (the Standard Webhooks sources' secrets).
func WithoutSecrets(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(SecretVars, name) && !strings.HasSuffix(name, "_WEBHOOK_SECRET") {
			out = append(out, kv)
		}
	}
	return out
}
