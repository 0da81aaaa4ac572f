// Package metrics exposes hookledger's Prometheus metrics: what the
// receiver accepted and rejected, what the processor settled, and the
// queue's depth and age read from the ledger at scrape time. Everything is
// registered on a registry the caller owns, never the global one.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookledger/hookledger/ledger"
)

// scrapeTimeout bounds the ledger query behind one scrape.
const scrapeTimeout = 5 * time.Second

// Metrics holds hookledger's collectors. A nil *Metrics is valid and
// records nothing.
type Metrics struct {
	reg       *prometheus.Registry
	received  *prometheus.CounterVec
	duplicate *prometheus.CounterVec
	rejected  *prometheus.CounterVec
	processed *prometheus.CounterVec
	retried   *prometheus.CounterVec
	dead      *prometheus.CounterVec
	duration  *prometheus.HistogramVec
}

var _ ledger.Observer = (*Metrics)(nil)

// New registers hookledger's metrics on reg and returns them. When db is
// not nil, the queue depth and oldest-waiting age are read from it at each
// scrape. It panics if reg already holds metrics of the same names, like
// prometheus.MustRegister.
func New(reg *prometheus.Registry, db *ledger.DB) *Metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	m := &Metrics{
		reg:       reg,
		received:  counter("hookledger_webhooks_received_total", "Webhook requests verified and stored as new events.", "source"),
		duplicate: counter("hookledger_webhooks_duplicate_total", "Webhook requests for events already in the ledger.", "source"),
		rejected:  counter("hookledger_webhooks_rejected_total", "Webhook requests rejected, by reason.", "source", "reason"),
		processed: counter("hookledger_events_processed_total", "Events the handler processed.", "source"),
		retried:   counter("hookledger_events_retried_total", "Failed attempts with a retry scheduled.", "source"),
		dead:      counter("hookledger_events_dead_total", "Events that went dead.", "source"),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookledger_handler_duration_seconds",
			Help:    "How long each handler attempt took, by outcome.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 9), // 1ms … ~65s
		}, []string{"source", "outcome"}),
	}
	reg.MustRegister(m.received, m.duplicate, m.rejected, m.processed, m.retried, m.dead, m.duration)
	if db != nil {
		reg.MustRegister(&queueCollector{db: db})
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

// Received counts a request stored as a new event.
func (m *Metrics) Received(source string) {
	if m != nil {
		m.received.WithLabelValues(source).Inc()
	}
}

// Duplicate counts a request for an event already in the ledger.
func (m *Metrics) Duplicate(source string) {
	if m != nil {
		m.duplicate.WithLabelValues(source).Inc()
	}
}

// Rejected counts a rejected request; reason should be a short fixed word
// (bad_signature, malformed, too_large), never request data.
func (m *Metrics) Rejected(source, reason string) {
	if m != nil {
		m.rejected.WithLabelValues(source, reason).Inc()
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

// queueCollector reads the queue from the ledger at scrape time.
type queueCollector struct{ db *ledger.DB }

var (
	depthDesc = prometheus.NewDesc("hookledger_queue_depth",
		"Events in the ledger by source and processing state.", []string{"source", "state"}, nil)
	oldestDesc = prometheus.NewDesc("hookledger_oldest_pending_age_seconds",
		"Age of the oldest event not yet settled (pending, processing or failed), by source; 0 when none.",
		[]string{"source"}, nil)
	scrapeErrDesc = prometheus.NewDesc("hookledger_queue_scrape_error",
		"1 when the last scrape could not read the queue from the ledger.", nil, nil)
)

// Describe sends the queue metrics' descriptors.
func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- depthDesc
	ch <- oldestDesc
	ch <- scrapeErrDesc
}

// Collect queries the ledger and sends the queue metrics.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	qs, err := c.db.QueueStats(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, 1)
		return
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, 0)
	now := time.Now()
	for source, states := range qs.Depth {
		for _, st := range ledger.States {
			ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(states[st]), source, string(st))
		}
		age := 0.0
		if t, ok := qs.OldestWaiting[source]; ok {
			age = max(now.Sub(t).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age, source)
	}
}
