package app

import (
	"context"

	"github.com/hookledger/hookledger/ledger"
)

// pruneJob is the scheduled prune: retention as configured, logged.
func (a *App) pruneJob(ctx context.Context) error {
	rep, err := a.DB.Prune(ctx, ledger.PruneOptions{Retention: a.Config.Retention})
	if err != nil {
		return err
	}
	if rep.Payloads+rep.Events+rep.Receipts+rep.Runs+rep.AlertMessages+rep.Alerts+rep.VacuumedPages > 0 {
		a.Log.Info("pruned", "component", "retention", "payloads", rep.Payloads, "events", rep.Events,
			"receipts", rep.Receipts, "runs", rep.Runs, "alert_messages", rep.AlertMessages, "alerts", rep.Alerts,
			"vacuumed_pages", rep.VacuumedPages, "free_pages", rep.FreePages, "batches", rep.Batches,
			"slow_batches", rep.SlowBatches, "max_batch_ms", MillisOf(rep.MaxBatch))
	}
	if !rep.AutoVacuum && rep.FreePages > 0 && !a.warnedVacuum.Swap(true) {
		a.Log.Warn("pruned space stays inside the ledger file", "component", "retention", "free_pages", rep.FreePages,
			"hint", "stop serve and run `hookledger vacuum` once to return it to the file system")
	}
	return nil
}
