package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookledger/hookledger/ledger"
)

// ledgerCollector reads the queue and the alert outbox from the ledger at
// scrape time. Both reads search partial or state-first indexes, so a
// scrape costs what waits, never the whole ledger.
type ledgerCollector struct{ db Store }

// Store is what the metrics read from the ledger at scrape time.
// *ledger.DB implements it.
type Store interface {
	// QueueDepth counts the unsettled events by source and state, and
	// their oldest age.
	QueueDepth(ctx context.Context) (*ledger.QueueStats, error)
	// OutboxStats counts the alert messages not yet delivered and dates
	// the oldest.
	OutboxStats(ctx context.Context) (waiting int, oldest time.Time, err error)
}

var (
	depthDesc = prometheus.NewDesc("hookledger_queue_depth",
		"Events not yet processed, by source and state (pending, processing, failed, dead); processed events are counted by hookledger_events_processed_total.",
		[]string{"source", "state"}, nil)
	oldestDesc = prometheus.NewDesc("hookledger_oldest_pending_age_seconds",
		"Age of the oldest event not yet settled (pending, processing or failed), by source; 0 when none.",
		[]string{"source"}, nil)
	outboxDesc = prometheus.NewDesc("hookledger_alert_outbox_messages",
		"Alert messages written but not yet delivered.", nil, nil)
	outboxAgeDesc = prometheus.NewDesc("hookledger_alert_outbox_oldest_age_seconds",
		"Age of the oldest undelivered alert message; 0 when none.", nil, nil)
	scrapeErrDesc = prometheus.NewDesc("hookledger_queue_scrape_error",
		"1 when the last scrape could not read the queue or the outbox from the ledger.", nil, nil)
)

// Describe sends the ledger metrics' descriptors.
func (c *ledgerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{depthDesc, oldestDesc, outboxDesc, outboxAgeDesc, scrapeErrDesc} {
		ch <- d
	}
}

// Collect queries the ledger and sends the ledger metrics.
func (c *ledgerCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	qs, err := c.db.QueueDepth(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, 1)
		return
	}
	waiting, oldest, err := c.db.OutboxStats(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, 1)
		return
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, 0)
	now := time.Now()
	for source, states := range qs.Depth {
		for _, st := range ledger.UnsettledStates() {
			ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(states[st]), source, string(st))
		}
		age := 0.0
		if t, ok := qs.OldestWaiting[source]; ok {
			age = max(now.Sub(t).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age, source)
	}
	ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(waiting))
	age := 0.0
	if !oldest.IsZero() {
		age = max(now.Sub(oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(outboxAgeDesc, prometheus.GaugeValue, age)
}
