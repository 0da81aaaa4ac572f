package ledgertest

import (
	"context"
	"errors"
	"testing"

	"github.com/hookledger/hookledger/ledger"
)

// testModeIsStoredInTheLedger: the mode is a property of the store, seen
// by every handle on it; ledger-only is refused while events wait, and a
// new event's state follows the mode committed before it.
func testModeIsStoredInTheLedger(t *testing.T, d Driver) {
	ctx := context.Background()
	a := d.open(t)
	if m, err := a.Mode(ctx); err != nil || m != ledger.ModeUnset {
		t.Fatalf("Mode() of a new ledger = %q, %v; want unset", m, err)
	}
	if _, err := a.Record(ctx, NewEvent("evt_before"), nil); err != nil {
		t.Fatal(err)
	}
	if ev, _ := a.Event(ctx, "stripe", "evt_before"); ev.State != ledger.StatePending {
		t.Errorf("event recorded in an unset ledger is %s, want pending", ev.State)
	}
	// Nothing would ever deliver the pending event: ledger-only is refused.
	if _, err := a.SetMode(ctx, ledger.ModeLedgerOnly); !errors.Is(err, ledger.ErrEventsWaiting) {
		t.Fatalf("SetMode(ledger-only) with a pending event = %v, want ErrEventsWaiting", err)
	}
	if _, err := a.SetMode(ctx, "sometimes"); err == nil {
		t.Error("SetMode(unknown mode) succeeded")
	}

	b := d.open(t)
	if prev, err := b.SetMode(ctx, ledger.ModeLedgerOnly); err != nil || prev != ledger.ModeUnset {
		t.Fatalf("SetMode(ledger-only) = %q, %v", prev, err)
	}
	c := d.Share(t, b, nil) // a second handle, as another process
	if m, err := c.Mode(ctx); err != nil || m != ledger.ModeLedgerOnly {
		t.Fatalf("Mode() seen by another handle = %q, %v; want ledger-only", m, err)
	}
	ev := NewEvent("evt_lo")
	if _, err := c.Record(ctx, ev, nil); err != nil {
		t.Fatal(err)
	}
	if ev.State != ledger.StateProcessed || ev.ProcessedAt.IsZero() {
		t.Errorf("Record() in a ledger-only ledger left state %s processed at %v, want processed", ev.State, ev.ProcessedAt)
	}
	if got, _ := c.Event(ctx, "stripe", "evt_lo"); got.State != ledger.StateProcessed {
		t.Errorf("event recorded in a ledger-only ledger is %s, want processed", got.State)
	}
	if prev, err := c.SetMode(ctx, ledger.ModeDeliver); err != nil || prev != ledger.ModeLedgerOnly {
		t.Fatalf("SetMode(deliver) = %q, %v", prev, err)
	}
	if _, err := b.Record(ctx, NewEvent("evt_after"), nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Event(ctx, "stripe", "evt_after"); got.State != ledger.StatePending {
		t.Errorf("after switching to deliver, a new event is %s, want pending", got.State)
	}
}

var modeCases = []testCase{
	{"ModeIsStoredInTheLedger", testModeIsStoredInTheLedger},
}
