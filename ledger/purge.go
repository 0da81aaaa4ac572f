package ledger

import (
	"context"
	"fmt"
	"time"
)

// PurgeFilter selects dead events for PurgeDead.
type PurgeFilter struct {
	Source string    // "" for every source
	Before time.Time // zero for no bound; else received before Before
	DryRun bool      // count the matches; delete nothing
}

// PurgeDead deletes for good the dead events f selects, with their
// attempts and receipts, in bounded batches through the writer, and
// returns what it deleted (or, with DryRun, would delete) in Events,
// Attempts and Receipts. Retention never deletes a dead event: this is
// the explicit way out besides replay. An event the provider still lists
// comes back as missing at the next reconcile.
func (db *DB) PurgeDead(ctx context.Context, f PurgeFilter) (PruneReport, error) {
	start := time.Now()
	sel := eventSel{state: StateDead, source: f.Source, before: millis(f.Before)}
	rep := PruneReport{DryRun: f.DryRun}
	var err error
	if f.DryRun {
		err = db.countEvents(ctx, sel, &rep)
	} else {
		o := PruneOptions{}.withDefaults(db)
		b := &batcher{db: db, Batches: Batches{Target: o.BatchTarget, Pause: o.Pause, Report: &rep}}
		if err = db.pruneEvents(ctx, b, sel); err == nil {
			err = db.freePages(ctx, b, &rep)
		}
	}
	rep.Duration = time.Since(start)
	if err != nil {
		return rep, fmt.Errorf("purge dead events: %w", err)
	}
	return rep, nil
}
