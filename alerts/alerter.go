// Package alerts turns reconcile reports and ledger state into Slack
// messages: missing, unrecoverable and unknown events, failed runs, a low
// processed ratio (overall, and per event type against
// HOOKLEDGER_PROCESSED_MIN), a disabled or misdirected endpoint,
// deliveries failed in front of hookledger, sources silent far longer than
// usual, dead and stuck events, failed scheduled jobs.
//
// Each condition has a fingerprint ("stripe:missing"); an open alert is not
// posted again while nothing material changes, and when its condition
// clears a short "resolved" reply goes into the thread of the message that
// announced it. Findings are grouped into one message per source per run,
// never one per event. Every message is written to the ledger's outbox in
// the same transaction as the alert change, then delivered, so an alert is
// never lost because Slack was down or rate-limiting.
//
// Messages carry ids, types, counts, times and the command to run next;
// never a payload, and never a configured secret.
package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/reconcile"
)

// Config says where alerts go and when a condition is worth one. The zero
// value sends alerts to the log with the default thresholds.
type Config struct {
	BotToken   string // SLACK_BOT_TOKEN; with Channel, post through chat.postMessage
	Channel    string // SLACK_CHANNEL: a channel id or name
	WebhookURL string // SLACK_WEBHOOK_URL, used when no bot token is set; no threads
	APIURL     string // SLACK_API_URL: "" for Slack's own; a test server's URL otherwise

	// HTTPClient is used for every Slack request; nil means a client with
	// a 15 second timeout.
	HTTPClient *http.Client

	StuckAfter       time.Duration // pending or failing longer than this is stuck; default 1h
	MinRatio         float64       // alert when processed/expected falls below; default 0.5, negative disables
	RatioMinExpected int           // ...but only for windows expecting at least this many; default 20
	// ProcessedMin: alert when, for one event type, the processed share of
	// the window's events that had their processing grace falls below it
	// (HOOKLEDGER_PROCESSED_MIN); counted only for types with at least
	// RatioMinExpected such events. Default 0.99, negative disables.
	ProcessedMin float64
	MaxIDs       int // ids named in a message; default 5

	// Silence holds explicit silence limits per source (HOOKLEDGER_SILENCE);
	// a source without one is judged by the rhythm learned from its traffic.
	Silence map[string]time.Duration
	// Sources, when not empty, are the sources whose silence Check judges
	// (the configured ones); empty means every source that had traffic.
	Sources []string

	RetryBase  time.Duration // first retry after a failed delivery, doubling; default 10s
	RetryMax   time.Duration // longest wait between retries; default 10m
	FlushEvery time.Duration // how often Run looks at the outbox; default 5s
	Pace       time.Duration // gap between two posts (Slack allows ~1/s per channel); default 1.1s, negative none

	// LiveOnly maps each live-only source (one whose provider lists nothing)
	// to the sentence saying how its gaps are caught instead; messages about
	// it carry that sentence, so nobody waits for a reconcile that cannot come.
	LiveOnly map[string]string

	// Secrets are values that must never appear in a message (API keys,
	// webhook secrets); the bot token and webhook URL are always included.
	Secrets []string

	Logger *slog.Logger     // nil: slog.Default()
	Now    func() time.Time // nil: time.Now
}

// Alerter decides what to alert, queues it in the ledger's outbox and
// delivers it. It is safe for concurrent use.
type Alerter struct {
	db   Store
	cfg  Config
	rl   rules
	send sender
	log  *slog.Logger

	mu        sync.Mutex // one decision (read alerts, compare, apply) at a time
	deliverMu sync.Mutex
	holdUntil time.Time // no delivery before this (a 429's Retry-After); under deliverMu
	running   atomic.Bool
	wake      chan struct{}
}

var _ reconcile.Notifier = (*Alerter)(nil)

// New returns an Alerter writing to db and delivering as cfg says: through
// chat.postMessage when BotToken and Channel are set, else to WebhookURL
// when set, else to the log. It fails only when a bot token comes without
// a channel.
func New(db Store, cfg Config) (*Alerter, error) {
	if cfg.BotToken != "" && cfg.Channel == "" {
		return nil, errors.New("new alerter: SLACK_BOT_TOKEN needs SLACK_CHANNEL")
	}
	cfg = withDefaults(cfg)
	a := &Alerter{db: db, cfg: cfg, log: cfg.Logger.With("component", "alerts"), wake: make(chan struct{}, 1)}
	a.rl = rules{
		thresholds: thresholds{maxIDs: cfg.MaxIDs, minRatio: cfg.MinRatio, ratioMinExpected: cfg.RatioMinExpected,
			processedMin: cfg.ProcessedMin, stuckAfter: cfg.StuckAfter},
		redactor: redactor{secrets: secretList(cfg)},
	}
	a.send = newSender(cfg, a.log)
	return a, nil
}

func withDefaults(c Config) Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.StuckAfter, time.Hour)
	def(&c.RetryBase, 10*time.Second)
	def(&c.RetryMax, 10*time.Minute)
	def(&c.FlushEvery, 5*time.Second)
	def(&c.Pace, 1100*time.Millisecond)
	if c.MinRatio == 0 {
		c.MinRatio = 0.5
	}
	if c.ProcessedMin == 0 {
		c.ProcessedMin = 0.99
	}
	if c.RatioMinExpected == 0 {
		c.RatioMinExpected = 20
	}
	if c.MaxIDs <= 0 {
		c.MaxIDs = 5
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Transport names where messages go: "slack", "webhook" or "log".
func (a *Alerter) Transport() string { return a.send.name() }

// Notify turns reports into alerts, at most one message per source, and
// resolves the alerts of each report's source whose condition cleared. It
// returns after the alerts are in the ledger's outbox; delivery happens in
// Run, or right away when Run is not running, and a delivery failure is
// only logged: the message stays queued and is retried.
func (a *Alerter) Notify(ctx context.Context, reports []reconcile.Report) error {
	var errs []error
	for i := range reports {
		if err := a.notifyOne(ctx, &reports[i]); err != nil {
			errs = append(errs, err)
		}
	}
	a.kick(ctx)
	return errors.Join(errs...)
}

func (a *Alerter) notifyOne(ctx context.Context, r *reconcile.Report) error {
	now := a.cfg.Now()
	cleared := func(ctx context.Context, al ledger.Alert) (bool, error) { return a.reportCleared(ctx, r, al) }
	a.mu.Lock()
	defer a.mu.Unlock()
	ends, err := a.endpointConditions(ctx, r)
	if err != nil {
		return fmt.Errorf("alert %s report: %w", r.Source, err)
	}
	conds := worstFirst(append(ends, reportConditions(r, a.rl, now)...))
	if err := a.decide(ctx, r.Source, runContext(r), reportKinds, conds, cleared); err != nil {
		return fmt.Errorf("alert %s report: %w", r.Source, err)
	}
	return nil
}

// reportKinds are the open kinds a report can raise (and, but for
// KindUnknown, which only an acknowledgement resolves, clear).
var reportKinds = []string{KindMissing, KindFailed, KindRatio, KindUnknown, KindProcessed, KindEndpoint, KindFrontFailing}

// reportCleared says whether open alert al, absent from report r's
// conditions, has really cleared: a failed run says nothing, and a missing
// alert clears only when r covered its window or its ids are all present.
func (a *Alerter) reportCleared(ctx context.Context, r *reconcile.Report, al ledger.Alert) (bool, error) {
	if r.Error != "" || !r.Complete {
		return false, nil
	}
	switch al.Kind {
	case KindUnknown:
		return false, nil // a forged event stays forged: only Ack resolves it
	case KindMissing:
		if !r.Since.After(al.Since) {
			return true, nil
		}
		return a.allPresent(ctx, al)
	case KindRatio:
		return r.Due >= a.rl.ratioMinExpected, nil
	case KindEndpoint, KindFrontFailing:
		return endpointCleared(r, al), nil
	case KindProcessed:
		// Only a window with enough judged events of the type says it recovered.
		i := slices.IndexFunc(r.ByType, func(t reconcile.TypeCount) bool { return processedFingerprint(r.Source, t.Type) == al.Fingerprint })
		return i >= 0 && r.ByType[i].Judged >= a.rl.ratioMinExpected, nil
	default:
		return true, nil
	}
}

// allPresent reports whether every id of missing alert al is in the ledger
// now; false when the alert named fewer ids than it counted.
func (a *Alerter) allPresent(ctx context.Context, al ledger.Alert) (bool, error) {
	if len(al.Keys) == 0 || len(al.Keys) < al.Count {
		return false, nil
	}
	n, err := a.db.CountPresent(ctx, al.Source, al.Keys)
	return n == len(al.Keys), err
}

// JobDone records the outcome of scheduled job name: an error (a panic
// turned into one) opens or keeps a "job failed" alert, nil resolves it.
func (a *Alerter) JobDone(ctx context.Context, name string, jobErr error) error {
	var conds []condition
	if jobErr != nil {
		conds = append(conds, jobCondition(name, jobErr, a.rl))
	}
	fp := "job:" + name + ":failed"
	cleared := func(ctx context.Context, al ledger.Alert) (bool, error) { return al.Fingerprint == fp, nil }
	a.mu.Lock()
	err := a.decide(ctx, "", "job "+escape(name), []string{KindJob}, conds, cleared)
	a.mu.Unlock()
	if err != nil {
		return fmt.Errorf("alert job %s: %w", name, err)
	}
	a.kick(ctx)
	return nil
}

// WatchJob wraps the scheduled job fn named name so that a successful run
// resolves an open "job failed" alert; a failure is left to the caller
// (the scheduler reports it, panics included, through JobDone). An error
// while resolving is logged: the job itself succeeded.
func (a *Alerter) WatchJob(name string, fn func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := fn(ctx); err != nil {
			return err
		}
		if err := a.JobDone(ctx, name, nil); err != nil {
			a.log.Warn("resolve job alert", "job", name, "error", err)
		}
		return nil
	}
}

// Ack records that by acknowledged the open alert id, resolving it, and
// queues a reply saying so in the alert's thread. It is how an alert that
// nothing observed can clear (unknown events) is closed. It returns the
// alert after the ack; ledger.ErrNotFound for an unknown id and
// ledger.ErrNotOpen for an alert already resolved.
func (a *Alerter) Ack(ctx context.Context, id int64, by string) (ledger.Alert, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	all, err := a.db.Alerts(ctx, ledger.AlertFilter{All: true})
	if err != nil {
		return ledger.Alert{}, fmt.Errorf("ack alert %d: %w", id, err)
	}
	reply := &ledger.AlertMessage{Kind: "resolved", NextAttemptAt: a.cfg.Now()}
	for _, al := range all {
		if al.ID == id {
			reply.Source = al.Source
			reply.Text = fmt.Sprintf("Acknowledged by %s: %s.", escape(a.rl.clean(by)), a.rl.redact(al.Summary))
		}
	}
	if reply.Text == "" {
		reply = nil
	}
	al, err := a.db.AckAlert(ctx, id, by, reply)
	if err != nil {
		return al, err
	}
	a.log.Info("alert acknowledged", "alert_id", id, "fingerprint", al.Fingerprint, "by", by)
	a.kick(ctx)
	return al, nil
}

// rules is what the pure message and condition code needs of Config: the
// thresholds it judges by and the redactor every text passes through.
type rules struct {
	thresholds
	redactor
}

// thresholds are the limits a condition is judged by.
type thresholds struct {
	maxIDs           int
	minRatio         float64
	ratioMinExpected int
	processedMin     float64
	stuckAfter       time.Duration
}

// redactor removes the configured secrets from every text bound for a
// message.
type redactor struct {
	secrets []string
}

// redact replaces every configured secret in s.
func (r redactor) redact(s string) string {
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, "[redacted]")
	}
	return s
}

// clean makes an error string fit for a message: redacted, one line, short.
func (r redactor) clean(s string) string {
	s = strings.Join(strings.Fields(r.redact(s)), " ")
	return truncate(s, 300)
}

func secretList(c Config) []string {
	var out []string
	for _, s := range append([]string{c.BotToken, c.WebhookURL}, c.Secrets...) {
		// Very short values would redact ordinary words; real secrets are long.
		if len(strings.TrimSpace(s)) >= 6 {
			out = append(out, s)
		}
	}
	return out
}
