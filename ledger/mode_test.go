package ledger_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
)

// TestModeIsStoredInTheLedger: the mode one process chose is the mode
// another process's Record obeys, and an unchosen ledger records pending.
func TestModeIsStoredInTheLedger(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mode.db")
	a, err := ledger.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if m, err := a.Mode(ctx); err != nil || m != ledger.ModeUnset {
		t.Fatalf("Mode() of a new ledger = %q, %v; want unset", m, err)
	}
	if _, err := a.Record(ctx, ledgertest.NewEvent("evt_before"), nil); err != nil {
		t.Fatal(err)
	}
	if ev, _ := a.Event(ctx, "stripe", "evt_before"); ev.State != ledger.StatePending {
		t.Errorf("event recorded in an unset ledger is %s, want pending", ev.State)
	}
	// Nothing would ever deliver the pending event: ledger-only is refused.
	if _, err := a.SetMode(ctx, ledger.ModeLedgerOnly); !errors.Is(err, ledger.ErrEventsWaiting) {
		t.Fatalf("SetMode(ledger-only) with a pending event = %v, want ErrEventsWaiting", err)
	}

	b, err := ledger.Open(ctx, filepath.Join(t.TempDir(), "other.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if prev, err := b.SetMode(ctx, ledger.ModeLedgerOnly); err != nil || prev != ledger.ModeUnset {
		t.Fatalf("SetMode(ledger-only) = %q, %v", prev, err)
	}
	// A second handle on b's file, as another process would open it.
	c, err := ledger.Open(ctx, b.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if m, err := c.Mode(ctx); err != nil || m != ledger.ModeLedgerOnly {
		t.Fatalf("Mode() seen by another handle = %q, %v; want ledger-only", m, err)
	}
	if _, err := c.Record(ctx, ledgertest.NewEvent("evt_lo"), nil); err != nil {
		t.Fatal(err)
	}
	if ev, _ := c.Event(ctx, "stripe", "evt_lo"); ev.State != ledger.StateProcessed {
		t.Errorf("event recorded in a ledger-only ledger is %s, want processed", ev.State)
	}
	if prev, err := c.SetMode(ctx, ledger.ModeDeliver); err != nil || prev != ledger.ModeLedgerOnly {
		t.Fatalf("SetMode(deliver) = %q, %v", prev, err)
	}
	if _, err := b.Record(ctx, ledgertest.NewEvent("evt_after"), nil); err != nil {
		t.Fatal(err)
	}
	if ev, _ := b.Event(ctx, "stripe", "evt_after"); ev.State != ledger.StatePending {
		t.Errorf("after switching to deliver, a new event is %s, want pending", ev.State)
	}
}
