package ledgertest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

const day = 24 * time.Hour

// recordLive records a webhook event created now, with its receipt.
func recordLive(tb testing.TB, db Backend, clock *Clock, id string) *ledger.Event {
	tb.Helper()
	ev := &ledger.Event{Source: "stripe", EventID: id, Type: "invoice.paid", Payload: []byte(`{"id":"` + id + `"}`), CreatedAt: clock.Now()}
	if _, err := db.Record(context.Background(), ev, &ledger.Receipt{Status: 200}); err != nil {
		tb.Fatal(err)
	}
	return ev
}

// countEvents counts the events f selects.
func countEvents(tb testing.TB, db Backend, f ledger.EventFilter) int {
	tb.Helper()
	n := 0
	for _, err := range db.Events(context.Background(), f) {
		if err != nil {
			tb.Fatal(err)
		}
		n++
	}
	return n
}

// testPruneNeverTouchesUnfinishedEvents: prune deletes processed events
// past retention with their attempts and receipts, and nothing of an
// event that is pending, processing, failed or dead; its dry run counts
// the same and changes nothing.
func testPruneNeverTouchesUnfinishedEvents(t *testing.T, d Driver) {
	ctx := context.Background()
	clock := newTestClock()
	db := d.Open(t, clock.Now)
	states := map[string]ledger.State{
		"evt_done1": ledger.StateProcessed, "evt_done2": ledger.StateProcessed, "evt_failed": ledger.StateFailed,
		"evt_dead": ledger.StateDead, "evt_pending": ledger.StatePending, "evt_processing": ledger.StateProcessing,
	}
	for _, id := range slices.Sorted(maps.Keys(states)) {
		SetState(t, db, recordLive(t, db, clock, id), states[id])
	}
	clock.Add(400 * day)
	ret := ledger.Retention{Payloads: day, Events: day, Receipts: day, Runs: day, Alerts: day}
	before := d.RowCounts(t, db)
	dry, err := db.Prune(ctx, ledger.PruneOptions{Retention: ret, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if after := d.RowCounts(t, db); !maps.Equal(before, after) {
		t.Errorf("dry run changed the rows: %v, then %v", before, after)
	}
	rep, err := db.Prune(ctx, ledger.PruneOptions{Retention: ret})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Events != 2 || rep.Receipts != 2 || rep.Attempts != 2 || rep.Payloads != 0 || rep.Batches == 0 {
		t.Errorf("Prune() = %+v; want 2 events, 2 receipts, 2 attempts, no payloads, some batches", rep)
	}
	if dry.Events != rep.Events || dry.Receipts != rep.Receipts || dry.Attempts != rep.Attempts || !dry.DryRun {
		t.Errorf("dry run counted %+v, prune removed %+v", dry, rep)
	}
	for id, st := range states {
		ev, err := db.Event(ctx, "stripe", id)
		if st == ledger.StateProcessed {
			if !errors.Is(err, ledger.ErrNotFound) {
				t.Errorf("%s (processed) after prune: %v, want ErrNotFound", id, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s (%s) is gone after prune: %v", id, st, err)
		}
		if len(ev.Payload) == 0 || !ev.PayloadPrunedAt.IsZero() {
			t.Errorf("%s (%s): payload %q pruned at %v, want it kept", id, ev.State, ev.Payload, ev.PayloadPrunedAt)
		}
	}
	if n := countEvents(t, db, ledger.EventFilter{}); n != 4 {
		t.Errorf("ledger holds %d events after prune, want the 4 unfinished ones", n)
	}
}

// testPrunePayloadKeepsRowAndRefusesReplay: a pruned payload leaves the
// event, its attempts and receipts; such an event cannot be replayed.
func testPrunePayloadKeepsRowAndRefusesReplay(t *testing.T, d Driver) {
	ctx := context.Background()
	clock := newTestClock()
	db := d.Open(t, clock.Now)
	SetState(t, db, recordLive(t, db, clock, "evt_old"), ledger.StateProcessed)
	clock.Add(40 * day)
	SetState(t, db, recordLive(t, db, clock, "evt_new"), ledger.StateProcessed)
	rep, err := db.Prune(ctx, ledger.PruneOptions{Retention: ledger.Retention{Payloads: 30 * day, Events: 90 * day}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Payloads != 1 || rep.Events != 0 {
		t.Errorf("Prune() = %d payloads, %d events; want 1, 0", rep.Payloads, rep.Events)
	}
	old, err := db.Event(ctx, "stripe", "evt_old")
	if err != nil {
		t.Fatal(err)
	}
	if len(old.Payload) != 0 || !old.PayloadPrunedAt.Equal(clock.Now()) || old.State != ledger.StateProcessed {
		t.Errorf("old event: payload %q, pruned at %v, state %s; want empty, %v, processed", old.Payload, old.PayloadPrunedAt, old.State, clock.Now())
	}
	if atts, err := db.Attempts(ctx, old.ID); err != nil || len(atts) != 1 {
		t.Errorf("old event has %d attempts after its payload was pruned (%v), want its 1", len(atts), err)
	}
	if rcs, err := db.Receipts(ctx, "stripe", "evt_old"); err != nil || len(rcs) != 1 {
		t.Errorf("old event has %d receipts after its payload was pruned (%v), want its 1", len(rcs), err)
	}
	if _, err := db.Requeue(ctx, "stripe", "evt_old"); !errors.Is(err, ledger.ErrPayloadPruned) {
		t.Errorf("Requeue(pruned) error = %v, want ErrPayloadPruned", err)
	}
	if _, err := db.Requeue(ctx, "stripe", "evt_new"); err != nil {
		t.Errorf("Requeue(kept payload) error = %v", err)
	}
}

// testPruneRowsKeepWhatIsNeeded: runs, alerts and messages past
// retention go, except each source's latest complete run, open alerts'
// messages and the latest alert of each fingerprint; expired duplicate
// receipts go, the accepted one stays with its event.
func testPruneRowsKeepWhatIsNeeded(t *testing.T, d Driver) {
	ctx := context.Background()
	clock := newTestClock()
	db := d.Open(t, clock.Now)
	ev := recordLive(t, db, clock, "evt_1")
	if _, err := db.Record(ctx, duplicateOf(ev), &ledger.Receipt{Status: 200}); err != nil {
		t.Fatal(err)
	}
	for i, complete := range []bool{true, true, false} {
		r := &ledger.Run{Source: "stripe", Job: "reconcile", Since: clock.Now(), Until: clock.Now().Add(time.Duration(i) * time.Hour)}
		if err := db.StartRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.Complete = complete
		if err := db.FinishRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 { // the same condition opened and resolved twice
		open := &ledger.Alert{Fingerprint: "gap:stripe", Source: "stripe", Kind: "gap", Summary: "gap"}
		if err := db.ApplyAlerts(ctx, ledger.AlertChange{Message: &ledger.AlertMessage{Text: fmt.Sprint("gap ", i)},
			Upsert: []*ledger.Alert{open}}); err != nil {
			t.Fatal(err)
		}
		if err := db.ApplyAlerts(ctx, ledger.AlertChange{Resolve: []int64{open.ID}}); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := db.AlertMessages(ctx, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if err := db.MarkAlertSent(ctx, m.ID, "C1", "1.0"); err != nil {
			t.Fatal(err)
		}
	}
	clock.Add(10 * day)
	rep, err := db.Prune(ctx, ledger.PruneOptions{Retention: ledger.Retention{Receipts: day, Runs: day, Alerts: day}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Receipts != 1 || rep.Runs != 2 || rep.Alerts != 1 || rep.AlertMessages != 2 || rep.Events != 0 {
		t.Errorf("Prune() = %+v; want 1 receipt, 2 runs, 1 alert, 2 messages, no event", rep)
	}
	if rcs, err := db.Receipts(ctx, "stripe", "evt_1"); err != nil || len(rcs) != 1 || rcs[0].Outcome != ledger.OutcomeAccepted {
		t.Errorf("Receipts() after prune = %+v, %v; want the accepted one", rcs, err)
	}
	if last, err := db.LastRuns(ctx); err != nil || len(last) != 1 || !last[0].Complete {
		t.Errorf("LastRuns() after prune = %+v, %v; want the latest complete run", last, err)
	}
	if wm, ok, err := db.Watermark(ctx, "stripe"); err != nil || !ok || !wm.Equal(clock.Now().Add(-10*day+time.Hour)) {
		t.Errorf("Watermark() after prune = %v, %v, %v; want the second run's end", wm, ok, err)
	}
	if al, err := db.Alerts(ctx, ledger.AlertFilter{All: true}); err != nil || len(al) != 1 {
		t.Errorf("Alerts() after prune = %+v, %v; want the latest of the fingerprint", al, err)
	}
}

// duplicateOf returns a copy of ev's identity and payload, as a
// duplicate delivery of it would be recorded.
func duplicateOf(ev *ledger.Event) *ledger.Event {
	return &ledger.Event{Source: ev.Source, EventID: ev.EventID, Type: ev.Type, Payload: ev.Payload, CreatedAt: ev.CreatedAt}
}

// testPurgeDead: purge deletes dead events of a source, received before
// a time, with their attempts and receipts; the dry run counts them.
func testPurgeDead(t *testing.T, d Driver) {
	ctx := context.Background()
	clock := newTestClock()
	db := d.Open(t, clock.Now)
	SetState(t, db, recordLive(t, db, clock, "evt_dead_old"), ledger.StateDead)
	SetState(t, db, recordLive(t, db, clock, "evt_done"), ledger.StateProcessed)
	gh := RecordAt(t, db, "github", "guid_dead", clock.Now())
	SetState(t, db, gh, ledger.StateDead)
	clock.Add(day)
	SetState(t, db, recordLive(t, db, clock, "evt_dead_new"), ledger.StateDead)
	f := ledger.PurgeFilter{Source: "stripe", Before: clock.Now().Add(-time.Hour), DryRun: true}
	dry, err := db.PurgeDead(ctx, f)
	if err != nil || dry.Events != 1 || dry.Attempts != 1 || dry.Receipts != 1 {
		t.Errorf("PurgeDead(dry run) = %+v, %v; want 1 event, 1 attempt, 1 receipt", dry, err)
	}
	if _, err := db.Event(ctx, "stripe", "evt_dead_old"); err != nil {
		t.Fatalf("dry run deleted the event: %v", err)
	}
	f.DryRun = false
	rep, err := db.PurgeDead(ctx, f)
	if err != nil || rep.Events != 1 || rep.Attempts != 1 || rep.Receipts != 1 {
		t.Errorf("PurgeDead() = %+v, %v; want 1 event, 1 attempt, 1 receipt", rep, err)
	}
	if _, err := db.Event(ctx, "stripe", "evt_dead_old"); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("purged event: %v, want ErrNotFound", err)
	}
	for _, k := range [][2]string{{"stripe", "evt_dead_new"}, {"stripe", "evt_done"}, {"github", "guid_dead"}} {
		if _, err := db.Event(ctx, k[0], k[1]); err != nil {
			t.Errorf("%s/%s after purge: %v, want kept", k[0], k[1], err)
		}
	}
	if rep, err := db.PurgeDead(ctx, ledger.PurgeFilter{}); err != nil || rep.Events != 2 {
		t.Errorf("PurgeDead(every source) = %+v, %v; want the 2 dead left", rep, err)
	}
}

// testRequeueMatchingStreamsInBatches: a bulk replay requeues what its
// filter matches in provider-created order, batch by batch; its dry run
// lists the same and changes nothing.
func testRequeueMatchingStreamsInBatches(t *testing.T, d Driver) {
	ctx := context.Background()
	db := d.open(t)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	var want []string
	for i := range 7 {
		ev := &ledger.Event{Source: "stripe", EventID: fmt.Sprintf("evt_%d", i), Type: "test.event",
			Payload: []byte(`{}`), CreatedAt: t0.Add(time.Duration(i) * time.Minute)}
		if i == 3 {
			ev.Type = "other.type"
		}
		if _, err := db.Record(ctx, ev, nil); err != nil {
			t.Fatal(err)
		}
		SetState(t, db, ev, ledger.StateProcessed)
		if i < 6 && i != 3 {
			want = append(want, ev.EventID)
		}
	}
	other := RecordAt(t, db, "github", "guid_1", t0)
	SetState(t, db, other, ledger.StateProcessed)
	f := ledger.ReplayFilter{Source: "stripe", Type: "test.event", State: ledger.StateProcessed, Since: t0,
		Until: t0.Add(6 * time.Minute), Batch: 4, DryRun: true}
	var sizes []int
	var got []string
	collect := func(b []ledger.Requeued) error {
		sizes = append(sizes, len(b))
		for _, rq := range b {
			got = append(got, rq.EventID)
		}
		return nil
	}
	before := d.RowCounts(t, db)
	if err := db.RequeueMatching(ctx, f, collect); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) || !slices.Equal(sizes, []int{4, 1}) {
		t.Fatalf("dry run = %v in batches %v; want %v in batches [4 1]", got, sizes, want)
	}
	if after := d.RowCounts(t, db); !maps.Equal(before, after) {
		t.Fatalf("dry run changed the rows: %v, then %v", before, after)
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
		wantState := ledger.StatePending
		if i == 6 || i == 3 {
			wantState = ledger.StateProcessed // created at Until, or another type
		}
		if ev.State != wantState {
			t.Errorf("evt_%d is %s, want %s", i, ev.State, wantState)
		}
	}
	if st := ReadEvent(t, db, other.ID).State; st != ledger.StateProcessed {
		t.Errorf("another source's event is %s, want processed", st)
	}
	stop := errors.New("stop")
	if err := db.RequeueMatching(ctx, ledger.ReplayFilter{Source: "stripe", Batch: 2}, func([]ledger.Requeued) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("RequeueMatching() with a failing fn = %v, want its error", err)
	}
}

var pruneCases = []testCase{
	{"PruneNeverTouchesUnfinishedEvents", testPruneNeverTouchesUnfinishedEvents},
	{"PrunePayloadKeepsRowAndRefusesReplay", testPrunePayloadKeepsRowAndRefusesReplay},
	{"PruneRowsKeepWhatIsNeeded", testPruneRowsKeepWhatIsNeeded},
	{"PurgeDead", testPurgeDead},
	{"RequeueMatchingStreamsInBatches", testRequeueMatchingStreamsInBatches},
}
