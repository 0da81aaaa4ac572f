package app

import (
	"context"

	"github.com/hookledger/hookledger/ledger/metrics"
	"github.com/hookledger/hookledger/reconcile"
)

// meteredNotifier counts each reconcile report in the metrics, then hands
// the reports on, so a Prometheus user can alert on gaps without Slack.
type meteredNotifier struct {
	metrics *metrics.Metrics
	next    reconcile.Notifier
}

var _ reconcile.Notifier = meteredNotifier{}

// Notify implements reconcile.Notifier.
func (n meteredNotifier) Notify(ctx context.Context, reports []reconcile.Report) error {
	for _, r := range reports {
		n.metrics.ObserveReconcile(metrics.Reconciled{
			Source:       r.Source,
			Outcome:      reportOutcome(r),
			Missing:      r.Missing,
			Backfilled:   r.Backfilled + r.Redelivered,
			StillMissing: r.StillMissing,
			Unknown:      r.Unknown,
		})
	}
	if n.next == nil {
		return nil
	}
	return n.next.Notify(ctx, reports)
}

// reportOutcome names a run's outcome for the runs counter.
func reportOutcome(r reconcile.Report) string {
	switch {
	case r.Error != "":
		return "error"
	case !r.Complete:
		return "incomplete"
	case r.StillMissing > 0:
		return "gaps"
	default:
		return "complete"
	}
}
