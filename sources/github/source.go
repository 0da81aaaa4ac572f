// Package github is hookledger's GitHub provider. It verifies webhook
// requests (X-Hub-Signature-256, an HMAC-SHA256 of the raw body, against
// one or several secrets), turns them into ledger events keyed by the
// X-GitHub-Delivery GUID, and reconciles through the hook deliveries API
// with go-github: it lists the deliveries of the configured hooks, fetches
// one delivery's payload to backfill it, and asks GitHub to redeliver.
//
// Every event type is accepted, including those go-github cannot parse into
// a typed struct: only the action field is decoded from the body.
package github

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
)

// Name is the source name: the path segment /webhooks/github and the
// ledger's source column.
const Name = "github"

// DefaultAPIURL is GitHub's REST API root.
const DefaultAPIURL = "https://api.github.com/"

// Retention is how long GitHub keeps hook deliveries listed.
const Retention = 3 * 24 * time.Hour

var (
	_ sources.Source    = (*Source)(nil)
	_ sources.Lister    = (*Source)(nil)
	_ sources.Describer = (*Source)(nil)
)

// Config configures a Source. Only WebhookSecrets is needed to verify;
// Token and Hooks are needed to reconcile.
type Config struct {
	WebhookSecrets []string     // GITHUB_WEBHOOK_SECRET, split at commas
	Token          string       // GITHUB_TOKEN, sent as a bearer token
	APIURL         string       // GITHUB_API_URL, the API root; default DefaultAPIURL
	Hooks          []Hook       // GITHUB_HOOKS, see ParseHooks
	HTTPClient     *http.Client // its Transport makes each attempt; default http.DefaultTransport
	Retry          RetryPolicy  // zero value: the defaults of RetryPolicy
	Now            func() time.Time
	Logger         *slog.Logger
}

// Source is the GitHub provider. It is safe for concurrent use.
type Source struct {
	secrets []string
	hooks   []Hook
	byID    map[string]string // hook id → Hook.String(), for live events' Account
	client  *gh.Client
	now     func() time.Time
	maxWait time.Duration // longest rate-limit reset call waits for
	logger  *slog.Logger
}

// New returns a Source for cfg. It fails when APIURL is not an absolute
// URL; a missing secret only makes every Verify fail with ErrNoSecret.
func New(cfg Config) (*Source, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	logger := cfg.Logger.With("component", "github")
	client, err := newClient(cfg, logger)
	if err != nil {
		return nil, err
	}
	s := &Source{
		secrets: cfg.WebhookSecrets,
		hooks:   cfg.Hooks,
		byID:    make(map[string]string, len(cfg.Hooks)),
		client:  client,
		now:     cfg.Now,
		maxWait: cfg.Retry.MaxWait,
		logger:  logger,
	}
	if s.maxWait <= 0 {
		s.maxWait = sources.DefaultMaxWait
	}
	for _, h := range cfg.Hooks {
		s.byID[fmt.Sprint(h.ID)] = h.String()
	}
	return s, nil
}

// newClient builds the go-github client: the configured HTTP client
// retrying through sources.NewRetryClient, the token, and the API root as
// its BaseURL.
func newClient(cfg Config, logger *slog.Logger) (*gh.Client, error) {
	raw := cfg.APIURL
	if raw == "" {
		raw = DefaultAPIURL
	}
	base, err := url.Parse(raw)
	if err != nil || base.Scheme == "" || base.Host == "" {
		// Not echoed: a URL can carry credentials in its user info.
		return nil, errors.New("parse api url: GITHUB_API_URL is not an absolute URL")
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	client := gh.NewClient(sources.NewRetryClient(cfg.HTTPClient, retryPolicy(cfg.Retry, cfg.Now), logger))
	if cfg.Token != "" {
		client = client.WithAuthToken(cfg.Token)
	}
	// Set BaseURL directly rather than WithEnterpriseURLs, which appends
	// api/v3/ to any host not named api.*: GITHUB_API_URL is the API root.
	client.BaseURL = base
	return client, nil
}

// Name returns "github".
func (s *Source) Name() string { return Name }

// Hooks returns the hooks this source reconciles.
func (s *Source) Hooks() []Hook { return s.hooks }

// Capabilities returns list, fetch and redeliver: the hook deliveries API
// does all three.
func (s *Source) Capabilities() sources.Capabilities {
	return sources.Capabilities{List: true, Fetch: true, Redeliver: true}
}

// Retention returns 3 days: GitHub keeps hook deliveries about that long.
func (s *Source) Retention() time.Duration { return Retention }

// Verify checks the request's X-Hub-Signature-256 against the raw body,
// then returns the event: EventID the X-GitHub-Delivery GUID, Type the
// X-GitHub-Event, Action from the body, Account the configured hook with
// that X-GitHub-Hook-ID ("owner/repo:ID") or the bare hook id, CreatedAt
// now (GitHub webhooks carry no event time), Payload body untouched.
// Errors wrap sources.ErrSignature or sources.ErrMalformed.
func (s *Source) Verify(header http.Header, body []byte) (*ledger.Event, error) {
	if err := VerifySignature(body, header, VerifyOptions{Secrets: s.secrets}); err != nil {
		return nil, err
	}
	env, err := ParseEnvelope(header, body)
	if err != nil {
		return nil, err
	}
	account := env.HookID
	if named, ok := s.byID[env.HookID]; ok {
		account = named
	}
	return &ledger.Event{
		Source:      Name,
		EventID:     env.DeliveryID,
		Type:        env.Event,
		Action:      env.Action,
		Account:     account,
		ContentType: env.ContentType,
		Headers:     env.Headers,
		Payload:     body,
		CreatedAt:   s.now().UTC(),
		Origin:      ledger.OriginWebhook,
	}, nil
}

// Scope returns AllTypes: a hook only sends the events it subscribes to, so
// every listed delivery is expected. The note names each hook's events when
// GitHub reports them.
func (s *Source) Scope(ctx context.Context) (sources.Scope, error) {
	notes := make([]string, 0, len(s.hooks))
	for _, h := range s.hooks {
		events, err := s.hookEvents(ctx, h)
		if err != nil {
			// Best effort: the scope is all types either way.
			s.logger.Warn("read hook events", "hook", h.String(), "error", err)
			notes = append(notes, h.String()+" events unknown")
			continue
		}
		notes = append(notes, h.String()+" sends "+strings.Join(events, ","))
	}
	note := "hook deliveries are what each hook subscribes to: expecting all types"
	if len(notes) > 0 {
		note += " (" + strings.Join(notes, "; ") + ")"
	}
	return sources.Scope{AllTypes: true, Note: note}, nil
}

// hookEvents reads the events hook h subscribes to.
func (s *Source) hookEvents(ctx context.Context, h Hook) ([]string, error) {
	hook := new(gh.Hook)
	if _, err := s.hookCall(ctx, http.MethodGet, h, "", hook); err != nil {
		return nil, fmt.Errorf("get hook %s: %w", h, err)
	}
	return hook.Events, nil
}
