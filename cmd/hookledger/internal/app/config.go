package app

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/redact"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/handler"
	"github.com/hookledger/hookledger/reconcile"
	"github.com/hookledger/hookledger/sources/github"
	"github.com/hookledger/hookledger/sources/standard"
)

// Env is what a command sees of the world: its output writers and its
// environment variables (injected so tests need not touch the process env).
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Ready, when set, is called with the listen address once serve (or
	// demo) accepts connections; tests use it with HOOKLEDGER_ADDR=…:0.
	Ready func(addr string)

	// Redact removes the environment's secrets from logs, output and
	// the exit error; runWith sets it.
	Redact *redact.Redactor
	// AdminReady, when set, is called with the status page's address once
	// it accepts connections.
	AdminReady func(addr string)
}

// Config is hookledger's configuration from the environment (the README's
// Configuration table).
// Flags override it per command.
type Config struct {
	DB            string
	Addr          string
	ForwardURL    string
	ForwardSecret string
	Exec          string
	MaxAttempts   int
	RetryBase     time.Duration
	Workers       int           // concurrent handler calls
	Timeout       time.Duration // per handler call (forward request or exec run)
	Lease         time.Duration // how long a claimed event is a worker's before another may retake it
	LeaderTTL     time.Duration // how long the scheduler lease outlives an instance that stopped renewing it
	Schedule      string
	Receiver      receiverConfig
	// Retention is how long prune keeps each kind of row (0: for ever).
	Retention ledger.Retention
	// RetentionEventsSet says HOOKLEDGER_RETENTION_EVENTS was given: only
	// then is a value under what reconcile lists refused, not raised.
	RetentionEventsSet bool
	// AutoCheckpoint is HOOKLEDGER_WAL_AUTOCHECKPOINT as ledger.Options
	// takes it: 0 SQLite's default, negative off (Litestream checkpoints).
	AutoCheckpoint int

	StripeWebhookSecrets []string
	StripeAPIKey         string
	StripeAPIBase        string
	StripeEndpointID     string
	StripeEventTypes     []string
	StripeAPIRPS         float64

	GitHubWebhookSecrets []string
	GitHubToken          string
	GitHubAPIURL         string
	GitHubHooks          string // owner/repo:ID and org:NAME:ID, comma-separated

	SlackSigningSecrets []string // SLACK_SIGNING_SECRET: the Slack Events API source
	ZoomSecretTokens    []string // ZOOM_WEBHOOK_SECRET_TOKEN: the Zoom source
	ShopifySecrets      []string // SHOPIFY_WEBHOOK_SECRET: the Shopify source

	PaddleWebhookSecrets []string
	PaddleAPIKey         string
	PaddleAPIURL         string
	PaddleSettingID      string // PADDLE_NOTIFICATION_SETTING_ID: the destination reconcile lists

	// StandardSources are the Standard Webhooks senders of
	// HOOKLEDGER_STANDARD_SOURCES, each with its <NAME>_WEBHOOK_SECRET.
	StandardSources []standardSource

	// Silence holds the explicit silence limits of HOOKLEDGER_SILENCE.
	Silence map[string]time.Duration
	// ProcessedMin is HOOKLEDGER_PROCESSED_MIN as a fraction, negative when off.
	ProcessedMin float64
	// PublicURL is HOOKLEDGER_PUBLIC_URL: where providers reach this
	// receiver, to compare with where they say they send.
	PublicURL string
	// ProcessingGrace is HOOKLEDGER_PROCESSING_GRACE: how long an event has
	// to be processed before reconcile judges it.
	ProcessingGrace time.Duration

	SlackBotToken   string
	SlackChannel    string
	SlackWebhookURL string
	SlackAPIURL     string

	AdminAddr  string // the status page's listen address; "" for none
	AdminToken string // what the status page asks for
}

// DefaultDBPath is the ledger path when neither --db nor $HOOKLEDGER_DB
// names one.
const DefaultDBPath = "hookledger.db"

// DBFlagUsage is the usage text of the --db flag every ledger command takes.
const DBFlagUsage = "ledger path (default $HOOKLEDGER_DB or " + DefaultDBPath + ")"

// LoadConfig reads Config from getenv, applying the README's defaults. It
// fails on values that do not parse, naming the variable but not its value.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		DB:                   cmp.Or(getenv("HOOKLEDGER_DB"), DefaultDBPath),
		Addr:                 cmp.Or(getenv("HOOKLEDGER_ADDR"), "127.0.0.1:8080"),
		ForwardURL:           getenv("HOOKLEDGER_FORWARD_URL"),
		ForwardSecret:        getenv("HOOKLEDGER_FORWARD_SECRET"),
		Exec:                 getenv("HOOKLEDGER_EXEC"),
		Schedule:             getenv("HOOKLEDGER_SCHEDULE"),
		StripeWebhookSecrets: SplitList(getenv("STRIPE_WEBHOOK_SECRET")),
		StripeAPIKey:         getenv("STRIPE_API_KEY"),
		StripeAPIBase:        cmp.Or(getenv("STRIPE_API_BASE"), "https://api.stripe.com"),
		StripeEndpointID:     getenv("STRIPE_WEBHOOK_ENDPOINT_ID"),
		StripeEventTypes:     SplitList(getenv("STRIPE_EVENT_TYPES")),
		GitHubWebhookSecrets: SplitList(getenv("GITHUB_WEBHOOK_SECRET")),
		GitHubToken:          getenv("GITHUB_TOKEN"),
		GitHubAPIURL:         cmp.Or(getenv("GITHUB_API_URL"), "https://api.github.com/"),
		GitHubHooks:          getenv("GITHUB_HOOKS"),
		SlackSigningSecrets:  SplitList(getenv("SLACK_SIGNING_SECRET")),
		ZoomSecretTokens:     SplitList(getenv("ZOOM_WEBHOOK_SECRET_TOKEN")),
		ShopifySecrets:       SplitList(getenv("SHOPIFY_WEBHOOK_SECRET")),
		PaddleWebhookSecrets: SplitList(getenv("PADDLE_WEBHOOK_SECRET")),
		PaddleAPIKey:         getenv("PADDLE_API_KEY"),
		PaddleAPIURL:         getenv("PADDLE_API_URL"),
		PaddleSettingID:      getenv("PADDLE_NOTIFICATION_SETTING_ID"),
		PublicURL:            getenv("HOOKLEDGER_PUBLIC_URL"),
		SlackBotToken:        getenv("SLACK_BOT_TOKEN"),
		SlackChannel:         getenv("SLACK_CHANNEL"),
		SlackWebhookURL:      getenv("SLACK_WEBHOOK_URL"),
		SlackAPIURL:          getenv("SLACK_API_URL"),
		AdminAddr:            getenv("HOOKLEDGER_ADMIN_ADDR"),
		AdminToken:           getenv("HOOKLEDGER_ADMIN_TOKEN"),
	}
	var err error
	if c.MaxAttempts, err = intEnv(getenv, "HOOKLEDGER_MAX_ATTEMPTS", 10); err != nil {
		return c, err
	}
	if c.RetryBase, err = durationEnv(getenv, "HOOKLEDGER_RETRY_BASE", 10*time.Second); err != nil {
		return c, err
	}
	if c.Workers, err = intEnv(getenv, "HOOKLEDGER_WORKERS", 8); err != nil {
		return c, err
	}
	if c.Timeout, err = durationEnv(getenv, "HOOKLEDGER_HANDLER_TIMEOUT", 30*time.Second); err != nil {
		return c, err
	}
	// An attempt's timeout must fit inside its lease, or a slow but healthy
	// attempt could be taken for a dead worker's.
	if c.Lease, err = durationEnv(getenv, "HOOKLEDGER_LEASE", max(2*time.Minute, c.Timeout+30*time.Second)); err != nil {
		return c, err
	}
	if c.LeaderTTL, err = durationEnv(getenv, "HOOKLEDGER_LEADER_TTL", reconcile.DefaultLeaseTTL); err != nil {
		return c, err
	}
	if c.LeaderTTL < time.Second {
		return c, UsageError(fmt.Sprintf("HOOKLEDGER_LEADER_TTL (%s) must be at least 1s", c.LeaderTTL))
	}
	if c.Lease < time.Second {
		return c, UsageError(fmt.Sprintf("HOOKLEDGER_LEASE (%s) must be at least 1s", c.Lease))
	}
	if c.Timeout >= c.Lease {
		return c, UsageError(fmt.Sprintf("HOOKLEDGER_HANDLER_TIMEOUT (%s) must be shorter than HOOKLEDGER_LEASE (%s)",
			c.Timeout, c.Lease))
	}
	if c.StripeAPIRPS, err = floatEnv(getenv, "STRIPE_API_RPS", 20); err != nil {
		return c, err
	}
	if c.Receiver, err = loadReceiverConfig(getenv); err != nil {
		return c, err
	}
	if c.Retention, err = loadRetention(getenv); err != nil {
		return c, err
	}
	c.RetentionEventsSet = strings.TrimSpace(getenv("HOOKLEDGER_RETENTION_EVENTS")) != ""
	if c.AutoCheckpoint, err = autoCheckpointEnv(getenv); err != nil {
		return c, err
	}
	if c.StandardSources, err = standardSources(getenv); err != nil {
		return c, err
	}
	if c.Silence, err = ParseSilence(getenv("HOOKLEDGER_SILENCE")); err != nil {
		return c, err
	}
	if c.ProcessedMin, err = parseShare(getenv("HOOKLEDGER_PROCESSED_MIN"), 0.99); err != nil {
		return c, UsageError("HOOKLEDGER_PROCESSED_MIN: " + err.Error())
	}
	if c.ProcessingGrace, err = durationEnv(getenv, "HOOKLEDGER_PROCESSING_GRACE", 15*time.Minute); err != nil {
		return c, err
	}
	return c, c.validate()
}

// validate checks the settings whose mistakes would otherwise show only
// once the process runs: the schedule (when a job is due), the listen
// address (a listen error) and the URLs (at the first request). Each error
// names the variable, never its value (some URLs are secrets). The
// handler, GitHub hooks and Slack settings are checked here too, so that a
// mistake stops the command before it opens (or creates) the ledger.
func (c Config) validate() error {
	if _, err := ScheduleJobs(c.Schedule); err != nil {
		return UsageError("HOOKLEDGER_SCHEDULE: " + err.Error())
	}
	if err := CheckAddr(c.Addr); err != nil {
		return UsageError("HOOKLEDGER_ADDR: " + err.Error())
	}
	for _, u := range []struct{ name, value string }{
		{"HOOKLEDGER_FORWARD_URL", c.ForwardURL}, {"STRIPE_API_BASE", c.StripeAPIBase},
		{"GITHUB_API_URL", c.GitHubAPIURL}, {"SLACK_API_URL", c.SlackAPIURL}, {"SLACK_WEBHOOK_URL", c.SlackWebhookURL},
		{"PADDLE_API_URL", c.PaddleAPIURL},
		{"HOOKLEDGER_PUBLIC_URL", c.PublicURL},
	} {
		if err := checkURL(u.value); err != nil {
			return UsageError(u.name + ": " + err.Error())
		}
	}
	if c.ForwardSecret != "" {
		if _, err := handler.ParseSecret(c.ForwardSecret); err != nil {
			return UsageError("HOOKLEDGER_FORWARD_SECRET: " + err.Error())
		}
	}
	if _, err := github.ParseHooks(c.GitHubHooks); err != nil {
		return UsageError("GITHUB_HOOKS: " + err.Error())
	}
	if c.SlackBotToken != "" && c.SlackChannel == "" {
		return UsageError("SLACK_BOT_TOKEN needs SLACK_CHANNEL")
	}
	return nil
}

// CheckAddr checks a listen address: host:port, the port a number up to
// 65535 (0 picks a free one).
func CheckAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want HOST:PORT, e.g. 127.0.0.1:8080")
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n > 65535 {
		return errors.New("want a port number up to 65535")
	}
	return nil
}

// checkURL checks that u, when set, is an absolute http or https URL.
func checkURL(u string) error {
	if u == "" {
		return nil
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return errors.New("want an absolute http:// or https:// URL")
	}
	return nil
}

// standardSource is one Standard Webhooks sender: its name and secrets.
type standardSource struct {
	Name    string
	Secrets []string
}

// builtinSources are the names a Standard Webhooks source may not take.
var builtinSources = []string{"stripe", "github", "slack", "zoom", "shopify", "paddle"}

// standardSources reads HOOKLEDGER_STANDARD_SOURCES ("clerk,resend") and
// each name's <NAME>_WEBHOOK_SECRET. A name that is repeated, one of the
// built-in providers, or without a secret is a usage error (a malformed
// name is refused by BuildProviders).
func standardSources(getenv func(string) string) ([]standardSource, error) {
	var out []standardSource
	for _, name := range SplitList(getenv("HOOKLEDGER_STANDARD_SOURCES")) {
		if slices.Contains(builtinSources, name) || slices.ContainsFunc(out, func(s standardSource) bool { return s.Name == name }) {
			return nil, UsageError(fmt.Sprintf("HOOKLEDGER_STANDARD_SOURCES: %q is repeated or a built-in source", name))
		}
		secrets := SplitList(getenv(standard.SecretVar(name)))
		if len(secrets) == 0 {
			return nil, UsageError(fmt.Sprintf("HOOKLEDGER_STANDARD_SOURCES names %q: set %s", name, standard.SecretVar(name)))
		}
		out = append(out, standardSource{Name: name, Secrets: secrets})
	}
	return out, nil
}

// LoadConfigDB is LoadConfig from env with a --db flag's value, when not
// empty, in place of $HOOKLEDGER_DB.
func LoadConfigDB(env *Env, dbPath string) (Config, error) {
	cfg, err := LoadConfig(env.Getenv)
	if err != nil {
		return cfg, err
	}
	if dbPath != "" {
		cfg.DB = dbPath
	}
	return cfg, nil
}

// SplitList splits a comma-separated value, dropping blanks.
func SplitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// intEnv reads a positive integer from the variable name, def when unset.
func intEnv(getenv func(string) string, name string, def int) (int, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, UsageError(fmt.Sprintf("%s: want a positive whole number", name))
	}
	return n, nil
}

// parseShare reads a share such as "99%" or "0.99" (def when empty, -1 for
// "off" or "0").
func parseShare(v string, def float64) (float64, error) {
	v = strings.TrimSpace(v)
	switch v {
	case "":
		return def, nil
	case "off", "0", "0%":
		return -1, nil
	}
	pct := strings.HasSuffix(v, "%")
	f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
	if pct {
		f /= 100
	}
	if err != nil || f <= 0 || f > 1 {
		return 0, errors.New("want a share such as 99% or 0.99, or off")
	}
	return f, nil
}

// floatEnv reads a positive number from the variable name, def when unset.
func floatEnv(getenv func(string) string, name string, def float64) (float64, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		return 0, UsageError(fmt.Sprintf("%s: want a positive number", name))
	}
	return f, nil
}

// durationEnv reads a positive duration (days allowed) from the variable
// name, def when unset.
func durationEnv(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, UsageError(fmt.Sprintf("%s: want a duration such as 10s, 5m or 1d", name))
	}
	return d, nil
}
