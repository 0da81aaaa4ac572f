package ledger

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestRequeueMatchingStreamsInBatches: a bulk replay selects by source,
// type, state and created window, goes in bounded batches in created
// order, changes nothing in a dry run, and brings processed events (as a
// ledger-only shell once left them) back to pending.
func TestRequeueMatchingStreamsInBatches(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	var want []string
	for i := range 7 {
		ev := recordAt(t, db, "stripe", fmt.Sprintf("evt_%d", i), t0.Add(time.Duration(i)*time.Minute))
		if i < 6 && i != 3 {
			want = append(want, ev.EventID)
		}
		if _, err := db.SetMode(ctx, ModeLedgerOnly); err == nil {
			t.Fatal("SetMode(ledger-only) with pending events succeeded")
		}
	}
	other := recordAt(t, db, "github", "guid_1", t0)
	// Mark them processed the way a ledger-only Record did.
	if _, err := db.w.Exec(`UPDATE events SET state = 'processed', processed_at = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.Exec(`UPDATE events SET type = 'other.type' WHERE event_id = 'evt_3'`); err != nil {
		t.Fatal(err)
	}

	f := ReplayFilter{Source: "stripe", Type: "test.event", State: StateProcessed, Since: t0,
		Until: t0.Add(6 * time.Minute), Batch: 4, DryRun: true}
	var sizes []int
	var got []string
	collect := func(b []Requeued) error {
		sizes = append(sizes, len(b))
		for _, rq := range b {
			got = append(got, rq.EventID)
		}
		return nil
	}
	if err := db.RequeueMatching(ctx, f, collect); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) || !slices.Equal(sizes, []int{4, 1}) {
		t.Fatalf("dry run = %v in batches %v; want %v in batches [4 1]", got, sizes, want)
	}
	if st := readEvent(t, db, 1).State; st != StateProcessed {
		t.Fatalf("dry run changed evt_0 to %s", st)
	}

	f.DryRun, got, sizes = false, nil, nil
	if err := db.RequeueMatching(ctx, f, collect); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("requeued %v, want %v", got, want)
	}
	for i := range 7 {
		ev, err := db.Event(ctx, "stripe", fmt.Sprintf("evt_%d", i))
		if err != nil {
			t.Fatal(err)
		}
		wantState := StatePending
		if i == 6 || i == 3 {
			wantState = StateProcessed // created at Until, or another type
		}
		if ev.State != wantState {
			t.Errorf("evt_%d is %s, want %s", i, ev.State, wantState)
		}
	}
	if st := readEvent(t, db, other.ID).State; st != StateProcessed {
		t.Errorf("another source's event is %s, want processed", st)
	}
}
