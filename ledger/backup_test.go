package ledger_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
)

// liveWriter records events from several goroutines until stopped and
// keeps the ids of those acknowledged (Record returned nil), in order.
type liveWriter struct {
	mu     sync.Mutex
	acked  []string
	maxLat time.Duration // the slowest Record since the last reset
	stop   atomic.Bool
	wg     sync.WaitGroup
	seq    atomic.Int64
}

func startWriters(t *testing.T, db *ledger.DB, n int) *liveWriter {
	t.Helper()
	w := &liveWriter{}
	payload := []byte(`{"object":"event","data":{"object":{"amount":1200,"currency":"usd"}}}`)
	for range n {
		w.wg.Go(func() {
			for !w.stop.Load() {
				id := fmt.Sprintf("evt_%07d", w.seq.Add(1))
				ev := &ledger.Event{Source: "stripe", EventID: id, Type: "invoice.paid", Payload: payload, CreatedAt: time.Now()}
				start := time.Now()
				if _, err := db.Record(context.Background(), ev, &ledger.Receipt{Status: 200}); err != nil {
					t.Errorf("Record() error = %v", err)
					return
				}
				lat := time.Since(start)
				w.mu.Lock()
				w.acked = append(w.acked, id)
				w.maxLat = max(w.maxLat, lat)
				w.mu.Unlock()
			}
		})
	}
	t.Cleanup(w.halt)
	return w
}

// snapshot returns the ids acknowledged so far and resets the latency.
func (w *liveWriter) snapshot() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.maxLat = 0
	return append([]string(nil), w.acked...)
}

func (w *liveWriter) waitFor(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		got := len(w.acked)
		w.mu.Unlock()
		if got >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("writers acknowledged fewer than %d events in 30s", n)
}

func (w *liveWriter) halt() { w.stop.Store(true); w.wg.Wait() }

// missingFrom returns the ids that the ledger file at path lacks, after
// checking that it passes integrity_check.
func missingFrom(t *testing.T, path string, ids []string) []string {
	t.Helper()
	c, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var check string
	if err := c.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check of %s = %q, %v; want ok", path, check, err)
	}
	have := map[string]bool{}
	rows, err := c.Query(`SELECT event_id FROM events WHERE source = 'stripe'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		have[id] = true
	}
	var missing []string
	for _, id := range ids {
		if !have[id] {
			missing = append(missing, id)
		}
	}
	return missing
}

func TestBackupWhileWritingHasEveryAcknowledgedEvent(t *testing.T) {
	db := ledgertest.OpenSQLite(t)
	w := startWriters(t, db, 8)
	w.waitFor(t, 5000)
	before := w.snapshot()
	out := filepath.Join(t.TempDir(), "copy.db")
	start := time.Now()
	if err := db.Backup(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	w.mu.Lock()
	during, maxLat := len(w.acked)-len(before), w.maxLat
	w.mu.Unlock()
	w.halt()
	t.Logf("backup of %d+ events took %v; meanwhile %d Records were acknowledged, the slowest in %v", len(before), took, during, maxLat)
	if during == 0 {
		t.Errorf("no Record was acknowledged during the %v backup: it stopped intake", took)
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("backup mode = %v, want 0600", st.Mode().Perm())
	}
	if missing := missingFrom(t, out, before); len(missing) > 0 {
		t.Errorf("backup lacks %d of the %d events acknowledged before it began, e.g. %v", len(missing), len(before), missing[0])
	}
	if err := db.Backup(context.Background(), out); err == nil {
		t.Error("Backup() over an existing file succeeded, want an error")
	}
	leftovers, _ := filepath.Glob(out + ".tmp-*")
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestVacuumConvertsAnOldLedgerAndRefusesWhileOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	// A ledger from before auto_vacuum: the file exists when Open first
	// sees it, so Open leaves its mode alone.
	c, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(`CREATE TABLE keep (x)`); err != nil {
		t.Fatal(err)
	}
	c.Close()
	db, err := ledger.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	recordNow(t, db, "evt_1", []byte(`{}`))
	rep, err := db.Prune(ctx, ledger.PruneOptions{})
	if err != nil || rep.AutoVacuum {
		t.Fatalf("old ledger: Prune() auto_vacuum = %v, %v; want false", rep.AutoVacuum, err)
	}
	if err := ledger.Vacuum(ctx, path); !errors.Is(err, ledger.ErrInUse) {
		t.Errorf("Vacuum() while open error = %v, want ErrInUse", err)
	}
	db.Close()
	if err := ledger.Vacuum(ctx, path); err != nil {
		t.Fatalf("Vacuum() error = %v", err)
	}
	db, err = ledger.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rep, err = db.Prune(ctx, ledger.PruneOptions{})
	if err != nil || !rep.AutoVacuum {
		t.Errorf("after Vacuum: Prune() auto_vacuum = %v, %v; want true", rep.AutoVacuum, err)
	}
	if _, err := db.Event(ctx, "stripe", "evt_1"); err != nil {
		t.Errorf("event lost by Vacuum: %v", err)
	}
}
