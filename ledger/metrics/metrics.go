// Package metrics exposes hookledger's Prometheus metrics: what the
// receiver accepted and rejected, what the processor settled, what
// reconcile found, the queue and alert outbox read from the ledger at
// scrape time, the build, and the standard Go and process collectors.
// Everything is registered on a registry the caller owns, never the global
// one. Label values are bounded: sources are the configured ones (plus
// "unknown"), reasons and outcomes are fixed words.
package metrics

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookledger/hookledger/ledger"
)

// scrapeTimeout bounds the ledger queries behind one scrape.
const scrapeTimeout = 5 * time.Second

// Metrics holds hookledger's collectors. A nil *Metrics is valid and
// records nothing.
type Metrics struct {
	reg       *prometheus.Registry
	received  *prometheus.CounterVec
	rejected  *prometheus.CounterVec
	handshake *prometheus.CounterVec
	processed *prometheus.CounterVec
	retried   *prometheus.CounterVec
	dead      *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	runs      *prometheus.CounterVec
	missing   *prometheus.CounterVec
	filled    *prometheus.CounterVec
	still     *prometheus.CounterVec
	unknown   *prometheus.CounterVec
}

var _ ledger.Observer = (*Metrics)(nil)

// New registers hookledger's metrics on reg and returns them. When db is
// not nil, the queue and the alert outbox are read from it at each scrape.
// It panics if reg already holds metrics of the same names, like
// prometheus.MustRegister.
func New(reg *prometheus.Registry, db Store) *Metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	m := &Metrics{
		reg: reg,
		received: counter("hookledger_webhooks_received_total",
			"Webhook requests verified and answered 2xx, by outcome: new (stored as a new event) or duplicate (already in the ledger, not stored again).",
			"source", "outcome"),
		handshake: counter("hookledger_webhooks_handshakes_total", "Provider handshakes verified and answered (never stored as events).", "source"),
		rejected:  counter("hookledger_webhooks_rejected_total", "Webhook requests answered an error status, by reason; source is \"unknown\" for unconfigured sources.", "source", "reason"),
		processed: counter("hookledger_events_processed_total", "Handler attempts that processed an event.", "source"),
		retried:   counter("hookledger_events_retried_total", "Failed attempts with a retry scheduled.", "source"),
		dead:      counter("hookledger_events_dead_total", "Events that went dead.", "source"),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookledger_handler_duration_seconds",
			Help:    "How long each handler attempt took, by outcome.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 9), // 1ms … ~65s
		}, []string{"source", "outcome"}),
		runs: counter("hookledger_reconcile_runs_total",
			"Reconcile runs by outcome: complete (nothing missing after the run), gaps (events still missing), incomplete (the listing did not finish), error.",
			"source", "outcome"),
		missing: counter("hookledger_reconcile_missing_events_total", "Events the provider sent that reconcile found missing from the ledger.", "source"),
		filled:  counter("hookledger_reconcile_backfilled_events_total", "Missing events reconcile backfilled from the provider's API or had redelivered.", "source"),
		still:   counter("hookledger_reconcile_still_missing_events_total", "Missing events still not in the ledger after a reconcile run (summed over runs).", "source"),
		unknown: counter("hookledger_reconcile_unknown_events_total", "Events received live that the provider does not know (a forgery or replay signal).", "source"),
	}
	reg.MustRegister(m.received, m.rejected, m.handshake, m.processed, m.retried, m.dead, m.duration,
		m.runs, m.missing, m.filled, m.still, m.unknown,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if db != nil {
		reg.MustRegister(&ledgerCollector{db: db})
	}
	return m
}

// Handler returns the HTTP handler that serves the registry's metrics. It
// is the one method that needs a non-nil m.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry:      m.reg,
		ErrorLog:      slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// Received counts a request answered 2xx: a new event, or a duplicate.
func (m *Metrics) Received(source string, duplicate bool) {
	if m == nil {
		return
	}
	outcome := "new"
	if duplicate {
		outcome = "duplicate"
	}
	m.received.WithLabelValues(source, outcome).Inc()
}

// Rejected counts a rejected request; source must be a configured source
// or "unknown", reason a short fixed word (signature, malformed,
// too_large), never request data.
func (m *Metrics) Rejected(source, reason string) {
	if m != nil {
		m.rejected.WithLabelValues(source, reason).Inc()
	}
}

// Handshake counts a provider handshake answered by the receiver.
func (m *Metrics) Handshake(source string) {
	if m != nil {
		m.handshake.WithLabelValues(source).Inc()
	}
}

// ObserveAttempt counts one settled processor attempt and its duration.
func (m *Metrics) ObserveAttempt(source string, outcome ledger.AttemptOutcome, d time.Duration) {
	if m == nil {
		return
	}
	switch outcome {
	case ledger.AttemptProcessed:
		m.processed.WithLabelValues(source).Inc()
	case ledger.AttemptRetry:
		m.retried.WithLabelValues(source).Inc()
	case ledger.AttemptDead:
		m.dead.WithLabelValues(source).Inc()
	default:
		return
	}
	m.duration.WithLabelValues(source, string(outcome)).Observe(d.Seconds())
}

// Reconciled is what one reconcile run of one source found.
type Reconciled struct {
	Source       string
	Outcome      string // complete, gaps, incomplete or error
	Missing      int
	Backfilled   int // backfilled plus redelivered
	StillMissing int
	Unknown      int
}

// ObserveReconcile counts one reconcile run and what it found.
func (m *Metrics) ObserveReconcile(r Reconciled) {
	if m == nil {
		return
	}
	m.runs.WithLabelValues(r.Source, r.Outcome).Inc()
	m.missing.WithLabelValues(r.Source).Add(float64(r.Missing))
	m.filled.WithLabelValues(r.Source).Add(float64(r.Backfilled))
	m.still.WithLabelValues(r.Source).Add(float64(r.StillMissing))
	m.unknown.WithLabelValues(r.Source).Add(float64(r.Unknown))
}
