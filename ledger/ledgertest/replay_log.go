package ledgertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// logWorld records 30 dead events received an hour apart but created in
// the opposite order (backfills of old events arrive late), a third of
// them by reconcile and a fifth from a second source, so that filters on
// receipt time, creation time and origin pick different events.
func logWorld(t *testing.T, d Driver) (Backend, time.Time) {
	t.Helper()
	clock := newTestClock()
	base := clock.Now()
	db := d.Open(t, clock.Now)
	for i := range 30 {
		clock.Set(base.Add(time.Duration(i) * time.Hour)) // received i hours after base
		ev := &ledger.Event{Source: "stripe", EventID: fmt.Sprintf("evt_%02d", i), Type: "invoice.paid",
			Origin: ledger.OriginWebhook, Payload: []byte(`{}`), CreatedAt: base.Add(time.Duration(29-i) * time.Hour)}
		if i%3 == 0 {
			ev.Origin = ledger.OriginReconcile
		}
		if i%5 == 0 {
			ev.Source, ev.EventID = "github", fmt.Sprintf("guid_%02d", i)
		}
		if _, err := db.Record(context.Background(), ev, nil); err != nil {
			t.Fatal(err)
		}
		killEvent(t, db, ev)
	}
	clock.Set(base.Add(40 * time.Hour))
	return db, base
}

// shownByLog walks every page of the event log for f and returns the ids
// it shows.
func shownByLog(t *testing.T, db Backend, f ledger.LogFilter) []string {
	t.Helper()
	var ids []string
	for {
		page, err := db.EventLog(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range page.Events {
			ids = append(ids, ev.Source+"/"+ev.EventID)
		}
		if page.Next == 0 {
			slices.Sort(ids)
			return ids
		}
		f.Before = page.Next
	}
}

// testRequeueLogReplaysWhatTheLogShows: a replay of the event log's filter
// requeues exactly the events the log shows for it, in paged batches, with
// an action row for each, and leaves every other event alone.
func testRequeueLogReplaysWhatTheLogShows(t *testing.T, d Driver) {
	for _, c := range []struct {
		name string
		f    func(base time.Time) ledger.LogFilter
	}{
		{"received window and origin", func(b time.Time) ledger.LogFilter {
			return ledger.LogFilter{Origin: ledger.OriginWebhook, Since: b.Add(5 * time.Hour), Until: b.Add(20 * time.Hour), Limit: 4}
		}},
		{"source and state", func(time.Time) ledger.LogFilter {
			return ledger.LogFilter{Source: "stripe", State: ledger.StateDead, Limit: 7}
		}},
		{"id prefix", func(time.Time) ledger.LogFilter { return ledger.LogFilter{IDPrefix: "evt_1"} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			db, base := logWorld(t, d)
			f := c.f(base)
			shown := shownByLog(t, db, f)
			if len(shown) == 0 || len(shown) == 30 {
				t.Fatalf("the filter shows %d of 30 events: the world does not tell sets apart", len(shown))
			}
			var got []string
			batches := 0
			leased, err := db.RequeueLog(context.Background(), f,
				ledger.LogReplay{Batch: 3, Action: ledger.Action{Actor: "alice", Action: "replay"}},
				func(b []ledger.Requeued) error {
					batches++
					for _, rq := range b {
						got = append(got, rq.Source+"/"+rq.EventID)
						if rq.PrevState != ledger.StateDead {
							t.Errorf("%s requeued from %s, want dead", rq.EventID, rq.PrevState)
						}
					}
					return nil
				})
			if err != nil || leased != 0 {
				t.Fatalf("RequeueLog = %d leased, %v", leased, err)
			}
			slices.Sort(got)
			if !slices.Equal(got, shown) {
				t.Errorf("replayed %v, want what the log shows: %v", got, shown)
			}
			if f.IDPrefix == "" && batches < 2 {
				t.Errorf("%d batches of at most 3 for %d events, want paged batches", batches, len(got))
			}
			for ev, err := range db.Events(context.Background(), ledger.EventFilter{}) {
				if err != nil {
					t.Fatal(err)
				}
				key := ev.Source + "/" + ev.EventID
				want, actions := ledger.StateDead, 0
				if slices.Contains(shown, key) {
					want, actions = ledger.StatePending, 1
				}
				if ev.State != want {
					t.Errorf("%s is %s, want %s", key, ev.State, want)
				}
				acts, err := db.EventActions(context.Background(), ev.Source, ev.EventID, 10)
				if err != nil {
					t.Fatal(err)
				}
				if len(acts) != actions || (actions == 1 && acts[0].Actor != "alice") {
					t.Errorf("%s has actions %+v, want %d by alice", key, acts, actions)
				}
			}
		})
	}
}

// testRequeueLogRefusesABroadPrefix: a prefix matching more events than
// the log's one page shows replays nothing rather than events nobody saw.
func testRequeueLogRefusesABroadPrefix(t *testing.T, d Driver) {
	db, _ := logWorld(t, d)
	f := ledger.LogFilter{IDPrefix: "evt_", Limit: 5}
	page, err := db.EventLog(context.Background(), f)
	if err != nil || !page.Truncated || len(page.Events) != 5 {
		t.Fatalf("EventLog(broad prefix) = %d events, truncated %v, %v; want 5, truncated", len(page.Events), page.Truncated, err)
	}
	_, err = db.RequeueLog(context.Background(), f, ledger.LogReplay{}, func([]ledger.Requeued) error { return nil })
	if !errors.Is(err, ledger.ErrPrefixTooBroad) {
		t.Errorf("RequeueLog(broad prefix) = %v, want ErrPrefixTooBroad", err)
	}
	for ev, err := range db.Events(context.Background(), ledger.EventFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.State != ledger.StateDead {
			t.Errorf("%s is %s after a refused replay, want dead", ev.EventID, ev.State)
		}
	}
}

// testRequeueLogSkipsHeldEvents: an event a worker holds under a live
// lease is not requeued under it, and is counted.
func testRequeueLogSkipsHeldEvents(t *testing.T, d Driver) {
	db := d.open(t)
	busy := RecordAt(t, db, "stripe", "evt_busy", time.Now())
	idle := RecordAt(t, db, "stripe", "evt_idle", time.Now())
	killEvent(t, db, idle)
	claimOne(t, db, busy)
	var got []string
	leased, err := db.RequeueLog(context.Background(), ledger.LogFilter{Source: "stripe"}, ledger.LogReplay{},
		func(b []ledger.Requeued) error {
			for _, rq := range b {
				got = append(got, rq.EventID)
			}
			return nil
		})
	if err != nil || leased != 1 || !slices.Equal(got, []string{"evt_idle"}) {
		t.Errorf("RequeueLog = %v requeued, %d leased, %v; want evt_idle, 1 leased", got, leased, err)
	}
	if st := ReadEvent(t, db, busy.ID).State; st != ledger.StateProcessing {
		t.Errorf("held event is %s, want still processing", st)
	}
}
