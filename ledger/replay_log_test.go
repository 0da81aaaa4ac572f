package ledger

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// logReplayWorld is a ledger whose events were received in a different
// order from the one their provider created them in: backfills of old
// events arrive late, so a filter on receipt time and one on creation
// time pick different events.
func logReplayWorld(t *testing.T) (*DB, time.Time) {
	t.Helper()
	var mu sync.Mutex
	base := time.Now().Add(-48 * time.Hour).Truncate(time.Millisecond).UTC()
	clock := base
	db, err := OpenWith(context.Background(), filepath.Join(t.TempDir(), "ledger.db"),
		Options{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for i := range 30 {
		mu.Lock()
		clock = base.Add(time.Duration(i) * time.Hour) // received i hours after base
		mu.Unlock()
		origin := OriginWebhook
		if i%3 == 0 {
			origin = OriginReconcile
		}
		// Created (29-i) hours after base: the later received, the older.
		ev := &Event{Source: "stripe", EventID: fmt.Sprintf("evt_%02d", i), Type: "invoice.paid", Origin: origin,
			Payload: []byte(`{}`), CreatedAt: base.Add(time.Duration(29-i) * time.Hour)}
		if i%5 == 0 {
			ev.Source, ev.EventID = "github", fmt.Sprintf("guid_%02d", i)
		}
		if _, err := db.Record(context.Background(), ev, nil); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	clock = base.Add(40 * time.Hour)
	mu.Unlock()
	if _, err := db.w.Exec(`UPDATE events SET state = 'dead', attempts = 3`); err != nil {
		t.Fatal(err)
	}
	return db, base
}

// shownByLog walks every page of the event log for f, as the status page
// shows it, and returns the events' ids.
func shownByLog(t *testing.T, db *DB, f LogFilter) []string {
	t.Helper()
	var ids []string
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("the log never ended")
		}
		page, err := db.EventLog(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range page.Events {
			ids = append(ids, ev.Source+"/"+ev.EventID)
		}
		if page.Next == 0 {
			break
		}
		f.Before = page.Next
	}
	slices.Sort(ids)
	return ids
}

// TestRequeueLogReplaysWhatTheLogShows checks that a replay of the event
// log's filter requeues exactly the events the log shows for it, with a
// receipt-time window and an origin, in paced batches across the log's
// bounded scans, with an action row per event; that a creation-time
// selection (what `replay --since` takes) would have picked others; and
// that events the log does not show are left alone.
func TestRequeueLogReplaysWhatTheLogShows(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		f    LogFilter
	}{
		{"received window and origin", LogFilter{Source: "stripe", Origin: OriginWebhook, State: StateDead,
			Scan: 4}},
		{"received window only", LogFilter{State: StateDead, Scan: 7}},
		{"origin reconcile", LogFilter{Origin: OriginReconcile, Scan: 5}},
		{"id prefix", LogFilter{IDPrefix: "evt_1", Origin: OriginWebhook}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, base := logReplayWorld(t)
			f := tc.f
			if tc.name != "origin reconcile" && tc.name != "id prefix" {
				f.Since, f.Until = base.Add(5*time.Hour), base.Add(20*time.Hour)
			}
			shown := shownByLog(t, db, f)
			if len(shown) < 3 {
				t.Fatalf("the log shows %v for the filter: want a few events to replay", shown)
			}
			var got []string
			var batches int
			leased, err := db.RequeueLog(ctx, f, LogReplay{Batch: 2, Pace: time.Millisecond,
				Action: Action{Actor: "alice", Action: "replay-filter", Detail: "the log's filter"}},
				func(b []Requeued) error {
					batches++
					for _, rq := range b {
						got = append(got, rq.Source+"/"+rq.EventID)
						if rq.PrevState != StateDead {
							t.Errorf("requeued %s was %s, want dead", rq.EventID, rq.PrevState)
						}
					}
					return nil
				})
			if err != nil || leased != 0 {
				t.Fatalf("RequeueLog() = %d leased, %v; want 0, nil", leased, err)
			}
			slices.Sort(got)
			if !slices.Equal(got, shown) {
				t.Errorf("RequeueLog() requeued %v,\nthe log shows %v", got, shown)
			}
			if tc.f.IDPrefix == "" && batches < 2 {
				t.Errorf("requeued in %d batches, want several of at most 2", batches)
			}
			// Every event the log showed is pending, with alice's action;
			// every other one is still dead, without an action.
			for _, ev := range allEvents(t, db) {
				key := ev.Source + "/" + ev.EventID
				acts, err := db.EventActions(ctx, ev.Source, ev.EventID, 10)
				if err != nil {
					t.Fatal(err)
				}
				if slices.Contains(shown, key) {
					if ev.State != StatePending || len(acts) != 1 || acts[0].Actor != "alice" || acts[0].Action != "replay-filter" {
						t.Errorf("%s shown and replayed: state %s, actions %+v; want pending and alice's replay-filter", key, ev.State, acts)
					}
				} else if ev.State != StateDead || len(acts) != 0 {
					t.Errorf("%s not shown: state %s, %d actions; want dead and none", key, ev.State, len(acts))
				}
			}
		})
	}
}

// TestRequeueLogDiffersFromCreatedWindow checks that the world above
// tells the two time bases apart: the same window on creation time
// selects other events, so a test passing on it proves the log's basis.
func TestRequeueLogDiffersFromCreatedWindow(t *testing.T) {
	db, base := logReplayWorld(t)
	since, until := base.Add(5*time.Hour), base.Add(20*time.Hour)
	shown := shownByLog(t, db, LogFilter{Source: "stripe", State: StateDead, Since: since, Until: until})
	var created []string
	err := db.RequeueMatching(context.Background(), ReplayFilter{Source: "stripe", State: StateDead, Since: since,
		Until: until, DryRun: true}, func(b []Requeued) error {
		for _, rq := range b {
			created = append(created, rq.Source+"/"+rq.EventID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(created)
	if slices.Equal(created, shown) {
		t.Errorf("a creation-time window picks %v, the same as the log's receipt-time one: the world does not tell them apart", created)
	}
}

// TestRequeueLogRefusesABroadPrefix checks that a replay of an id prefix
// matching more events than the log's page shows requeues nothing.
func TestRequeueLogRefusesABroadPrefix(t *testing.T) {
	db, _ := logReplayWorld(t)
	f := LogFilter{IDPrefix: "evt_", Limit: 5}
	page, err := db.EventLog(context.Background(), f)
	if err != nil || !page.Truncated || len(page.Events) != 5 {
		t.Fatalf("EventLog(prefix evt_, limit 5) = %d events, truncated %t, %v; want 5, truncated", len(page.Events), page.Truncated, err)
	}
	_, err = db.RequeueLog(context.Background(), f, LogReplay{}, func([]Requeued) error { return nil })
	if !errors.Is(err, ErrPrefixTooBroad) {
		t.Errorf("RequeueLog(prefix evt_) = %v, want ErrPrefixTooBroad", err)
	}
	for _, ev := range allEvents(t, db) {
		if ev.State != StateDead {
			t.Errorf("%s is %s after a refused replay, want dead", ev.EventID, ev.State)
		}
	}
	// The scan bound: more ids with the prefix than Scan is truncated too.
	page, err = db.EventLog(context.Background(), LogFilter{IDPrefix: "evt_", Type: "no.such", Scan: 3})
	if err != nil || !page.Truncated {
		t.Errorf("EventLog(prefix evt_, scan 3) truncated %t, %v; want truncated", page.Truncated, err)
	}
}

// allEvents returns every event of db.
func allEvents(t *testing.T, db *DB) []*Event {
	t.Helper()
	evs, err := db.queryEvents(context.Background(), `SELECT `+eventColumns+` FROM events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}
