package alerts

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
)

// setStates records events, in the order of their ids (so tests can name
// the oldest), and drives them to their states through the queue, as the
// processor would leave them.
func setStates(t *testing.T, db ledgertest.Backend, source string, states map[string]ledger.State) {
	t.Helper()
	for _, id := range slices.Sorted(maps.Keys(states)) {
		ev := &ledger.Event{Source: source, EventID: id, Type: "invoice.paid", Payload: []byte(`{"secret_payload":1}`)}
		if _, err := db.Record(context.Background(), ev, nil); err != nil {
			t.Fatal(err)
		}
		ledgertest.SetState(t, db, ev, states[id])
	}
}

func TestCheckDeadAndStuck(t *testing.T) {
	ctx := context.Background()
	f := newFakeSlack(t)
	clk := ledgertest.NewClock(testStart)
	db := ledgertest.OpenSQLiteWith(t, ledger.Options{Now: clk.Now})
	a := newBotAlerter(t, db, f, clk)
	setStates(t, db, "stripe", map[string]ledger.State{"evt_d1": ledger.StateDead, "evt_d2": ledger.StateDead, "evt_p": ledger.StatePending})
	setStates(t, db, "github", map[string]ledger.State{"g_fail": ledger.StateFailed})
	if err := a.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if f.postCount() != 1 {
		t.Fatalf("posts = %d, want only stripe's dead events (nothing is stuck yet)", f.postCount())
	}
	text := f.post(0).Get("text")
	for _, want := range []string{"2 dead events", "`evt_d1`", "hookledger replay --dead --source stripe", "hookledger replay stripe evt_d1"} {
		if !strings.Contains(text, want) {
			t.Errorf("dead message lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "secret_payload") {
		t.Errorf("dead message carries the payload: %s", text)
	}
	clk.Add(2 * time.Hour)
	if err := a.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if f.postCount() != 3 {
		t.Fatalf("posts = %d, want one stuck message per source (github, stripe)", f.postCount())
	}
	got := f.post(1).Get("text") + f.post(2).Get("text")
	if !strings.Contains(got, "`g_fail`") || !strings.Contains(got, "`evt_p`") || !strings.Contains(got, "stuck") {
		t.Errorf("stuck messages = %s", got)
	}
	if err := a.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if f.postCount() != 3 {
		t.Errorf("posts after an unchanged check = %d, want still 3", f.postCount())
	}
	// Replayed and processed: every alert resolves in its own thread.
	setStates(t, db, "stripe", map[string]ledger.State{"evt_d1": ledger.StateProcessed, "evt_d2": ledger.StateProcessed, "evt_p": ledger.StateProcessed})
	setStates(t, db, "github", map[string]ledger.State{"g_fail": ledger.StateProcessed})
	if err := a.Check(ctx); err != nil {
		t.Fatal(err)
	}
	threads := map[string]bool{}
	for i := 3; i < f.postCount(); i++ {
		threads[f.post(i).Get("thread_ts")] = true
	}
	if len(threads) != 3 || !threads[tsOf(0)] || !threads[tsOf(1)] || !threads[tsOf(2)] {
		t.Errorf("resolved replies in threads %v, want one in each of the 3 alert threads", threads)
	}
	if open, _ := db.Alerts(ctx, ledger.AlertFilter{}); len(open) != 0 {
		t.Errorf("open alerts = %d, want 0", len(open))
	}
}

func TestCheckManyDeadIsOneMessage(t *testing.T) {
	ctx := context.Background()
	f := newFakeSlack(t)
	db := ledgertest.OpenSQLite(t)
	a := newBotAlerter(t, db, f, ledgertest.NewClock(testStart))
	states := map[string]ledger.State{}
	for i := range 40 {
		states[fmt.Sprintf("evt_%03d", i)] = ledger.StateDead
	}
	setStates(t, db, "stripe", states)
	if err := a.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if f.postCount() != 1 || !strings.Contains(f.post(0).Get("text"), "40 dead events") ||
		!strings.Contains(f.post(0).Get("text"), "and 35 more") {
		t.Errorf("posts = %d, want one message naming 5 of 40", f.postCount())
	}
}
