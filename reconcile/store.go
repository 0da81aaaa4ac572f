package reconcile

import (
	"context"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// Store is what a Reconciler needs of the ledger: the listed-id set a
// listing is diffed against, the events it knows, window statistics,
// backfill through the one way in, runs and watermarks. *ledger.DB
// implements it; cmd wires it.
type Store interface {
	// OpenListedSet opens an empty set of listed ids for source.
	OpenListedSet(ctx context.Context, source string) (ledger.ListedSet, error)
	// Known reports which of ids the ledger holds for source.
	Known(ctx context.Context, source string, ids []string) (map[string]bool, error)
	// Record stores ev unless the ledger has it (insert-if-absent).
	Record(ctx context.Context, ev *ledger.Event, rc *ledger.Receipt) (bool, error)
	// WindowStats counts source's unsettled events created in [since, until).
	WindowStats(ctx context.Context, source string, since, until, stuckBefore time.Time, limit int) (ledger.WindowStats, error)
	// StartRun records a run as started and sets its ID.
	StartRun(ctx context.Context, r *ledger.Run) error
	// FinishRun stores the outcome of the run r.ID.
	FinishRun(ctx context.Context, r *ledger.Run) error
	// Watermark returns where source's last complete run ended.
	Watermark(ctx context.Context, source string) (t time.Time, ok bool, err error)
	// Mode returns the ledger's mode (whether backfills wait for a
	// processor or are the product).
	Mode(ctx context.Context) (ledger.Mode, error)
}

// JobLog is what a Scheduler records each job run in. *ledger.DB
// implements it.
type JobLog interface {
	// StartJob records that job name (spec) started at.
	StartJob(ctx context.Context, name, spec string, at time.Time) error
	// FinishJob records the outcome of job name's current run.
	FinishJob(ctx context.Context, name string, at time.Time, jobErr error) error
}
