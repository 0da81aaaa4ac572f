package reconcile_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger/ledgertest"
	"github.com/hookledger/hookledger/reconcile"
	"github.com/hookledger/hookledger/sources"
)

// missingWorld is a ledger with nothing in it and a provider listing n
// events in the last hour, all of them missing.
func missingWorld(t *testing.T, n int) (*world, string) {
	t.Helper()
	dir := t.TempDir()
	path := dir + "/ledger.db"
	db := ledgertest.OpenSQLiteAt(t, path)
	until := time.Now().UTC().Truncate(time.Second)
	w := sources.Window{Since: until.Add(-time.Hour), Until: until}
	listed := make([]sources.Listed, n)
	for i := range listed {
		listed[i] = sources.Listed{EventID: fmt.Sprintf("evt_%03d", i), Type: "invoice.paid",
			CreatedAt: w.Since.Add(time.Duration(i) * time.Second)}
	}
	return &world{db: db, path: path, src: newSliceLister("stripe", listed), window: w, listed: listed}, path
}

// TestRecoverStopsFetchingAfterLedgerError: once the ledger fails to
// record a backfilled event, the run ends and no further events are
// fetched from the provider (only those already in flight finish). Before,
// every missing event was still fetched, one provider call each, for
// nothing.
func TestRecoverStopsFetchingAfterLedgerError(t *testing.T) {
	const n, concurrency = 200, 4
	wd, path := missingWorld(t, n)
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`CREATE TRIGGER full BEFORE INSERT ON events WHEN NEW.origin = 'reconcile'
		BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`); err != nil {
		t.Fatal(err)
	}
	rep, err := reconcile.New(wd.db, reconcile.Options{Concurrency: concurrency}, nil, nil).
		Run(context.Background(), wd.src, wd.window)
	if err == nil || rep.Complete {
		t.Fatalf("Run() = complete %v, %v; want the ledger error", rep.Complete, err)
	}
	wd.src.mu.Lock()
	fetched := wd.src.fetched
	wd.src.mu.Unlock()
	if fetched > 2*concurrency {
		t.Errorf("fetched %d of %d events after the ledger failed; want at most %d", fetched, n, 2*concurrency)
	}
}

// TestRedeliverWaitFollowsReconcilerClock: the wait for redelivered events
// is measured on the reconciler's clock (Options.Now), like every
// other time in a run. Here that clock runs a minute per reading, so a
// ten-minute wait is over after a few polls; on the wall clock it would
// last until the context ends.
func TestRedeliverWaitFollowsReconcilerClock(t *testing.T) {
	wd, _ := missingWorld(t, 3)
	wd.src.redeliver = func(context.Context, sources.Listed) error { return nil } // never arrives
	var ticks atomic.Int64
	start := time.Now()
	now := func() time.Time { return start.Add(time.Duration(ticks.Add(1)) * time.Minute) }
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	rep, err := reconcile.New(wd.db, reconcile.Options{Mode: reconcile.ModeRedeliver, RedeliverWait: 10 * time.Minute, Now: now},
		nil, nil).Run(ctx, wd.src, wd.window)
	if err != nil || rep.Redelivered != 3 || rep.StillMissing != 3 {
		t.Errorf("Run(redeliver) = %v, %v; want 3 redelivered, 3 still missing", counts(rep), err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("Run(redeliver) took %v: the wait ignored the reconciler's clock", took)
	}
}
