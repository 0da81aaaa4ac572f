package ledger_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

const day = 24 * time.Hour

// clock is a settable clock for the ledger.
type clock struct {
	mu   sync.Mutex
	t    time.Time
	wall atomic.Bool // the ledger reads the wall clock instead (see ledgerNow)
}

// ledgerNow is the ledger's clock: c, or the wall clock once c.wall is set.
func (c *clock) ledgerNow() time.Time {
	if c.wall.Load() {
		return time.Now()
	}
	return c.Now()
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// clockedDB opens a fresh ledger whose clock the test moves.
func clockedDB(t *testing.T) (*ledger.DB, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	db, err := ledger.OpenWith(context.Background(), filepath.Join(t.TempDir(), "ledger.db"), ledger.Options{Now: c.ledgerNow})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, c
}

// recordNow records a webhook event created now with a receipt.
func recordNow(t *testing.T, db *ledger.DB, id string, payload []byte) {
	t.Helper()
	ev := &ledger.Event{Source: "stripe", EventID: id, Type: "invoice.paid", Payload: payload, CreatedAt: db.Now()}
	if _, err := db.Record(context.Background(), ev, &ledger.Receipt{Status: 200}); err != nil {
		t.Fatal(err)
	}
}

func TestPruneReturnsSpaceToFileSystem(t *testing.T) {
	db, c := clockedDB(t)
	ctx := context.Background()
	if _, err := db.SetMode(ctx, ledger.ModeLedgerOnly); err != nil {
		t.Fatal(err)
	}
	recordMany(t, db, "evt_", 2000, 3000)
	before := ledger.FileSize(db.Path())
	c.Add(100 * day)
	rep, err := db.Prune(ctx, ledger.PruneOptions{Retention: ledger.Retention{Events: 90 * day}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.AutoVacuum || rep.VacuumedPages < 1000 || rep.FreePages != 0 {
		t.Errorf("Prune() auto_vacuum %v, vacuumed %d pages, %d left free; want true, ≥ 1000, 0", rep.AutoVacuum, rep.VacuumedPages, rep.FreePages)
	}
	if err := db.Close(); err != nil { // the last close checkpoints the WAL
		t.Fatal(err)
	}
	if after := ledger.FileSize(db.Path()); after > before/4 {
		t.Errorf("file is %d bytes after pruning every event, was %d: space not returned", after, before)
	}
	t.Logf("prune of 2000 events: %d batches, longest %v, file %d -> %d bytes", rep.Batches, rep.MaxBatch, before, ledger.FileSize(db.Path()))
}

// recordMany records n events with payloads of about size bytes, a few
// hundred at a time so that they share commits.
func recordMany(t *testing.T, db *ledger.DB, prefix string, n, size int) {
	t.Helper()
	// Random data, so that compression leaves about size bytes a payload.
	raw := make([]byte, size)
	_, _ = rand.NewChaCha8([32]byte{byte(n), byte(size)}).Read(raw)
	payload := []byte(`{"data":"` + base64.StdEncoding.EncodeToString(raw) + `"}`)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { recordNow(t, db, fmt.Sprintf("%s%05d", prefix, i), payload) })
		if i%256 == 255 {
			wg.Wait()
		}
	}
	wg.Wait()
}

// TestPruneUnderIntakeHoldsTheWriterBriefly prunes 20,000 expired events
// and their payloads while eight writers keep recording, and reports the
// longest any prune batch held the writer and the slowest Record meanwhile
// (RELIABILITY.md). The bound asserted is generous, for a loaded machine;
// the logged figures are the measurement.
func TestPruneUnderIntakeHoldsTheWriterBriefly(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: fills 20,000 events")
	}
	db, c := clockedDB(t)
	ctx := context.Background()
	if _, err := db.SetMode(ctx, ledger.ModeLedgerOnly); err != nil {
		t.Fatal(err)
	}
	recordMany(t, db, "evt_old_", 10_000, 2500)
	c.Add(60 * day) // the second half loses only its payloads
	recordMany(t, db, "evt_new_", 10_000, 2500)
	if _, err := db.SetMode(ctx, ledger.ModeDeliver); err != nil {
		t.Fatal(err)
	}
	c.wall.Store(true) // the writers record at the real time; the prune runs at the clock's
	w := startWriters(t, db, 8)
	w.waitFor(t, 200)
	w.snapshot() // resets the slowest-Record figure
	rep, err := db.Prune(ctx, ledger.PruneOptions{Now: c.Now().Add(40 * day),
		Retention: ledger.Retention{Payloads: 30 * day, Events: 90 * day}})
	if err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	slowest := w.maxLat
	w.mu.Unlock()
	w.halt()
	t.Logf("pruned %d events and %d payloads in %d batches over %v: longest batch %v, mean %v, %d over %v; slowest Record meanwhile %v",
		rep.Events, rep.Payloads, rep.Batches, rep.Duration, rep.MaxBatch, rep.Held/time.Duration(max(rep.Batches, 1)),
		rep.SlowBatches, ledger.SlowBatch, slowest)
	if rep.Events != 10_000 || rep.Payloads != 10_000 {
		t.Errorf("Prune() = %d events, %d payloads; want 10000 each", rep.Events, rep.Payloads)
	}
	if !raceEnabled && rep.MaxBatch > 500*time.Millisecond { // -race slows every statement
		t.Errorf("a prune batch held the writer %v, want well under 50ms", rep.MaxBatch)
	}
}
