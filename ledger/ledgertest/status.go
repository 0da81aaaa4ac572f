package ledgertest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// testEventLogPages: the event log pages newest first under a filter,
// each page looking through a bounded number of rows, and looks ids up
// by prefix.
func testEventLogPages(t *testing.T, d Driver) {
	db := d.open(t)
	ctx := context.Background()
	for i := range 40 {
		typ := "invoice.paid"
		if i%10 == 0 {
			typ = "charge.refunded"
		}
		ev := &ledger.Event{Source: "stripe", EventID: fmt.Sprintf("evt_%03d", i), Type: typ, Payload: []byte(`{}`), CreatedAt: time.Now()}
		if _, err := db.Record(ctx, ev, nil); err != nil {
			t.Fatal(err)
		}
	}
	RecordAt(t, db, "github", "evt_010", time.Now()) // same id, another source
	var got []string
	f := ledger.LogFilter{Source: "stripe", Type: "charge.refunded", Limit: 2, Scan: 7}
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("the log never ended")
		}
		page, err := db.EventLog(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) > f.Limit {
			t.Fatalf("page of %d events, limit %d", len(page.Events), f.Limit)
		}
		for _, ev := range page.Events {
			if len(ev.Payload) != 0 {
				t.Errorf("event log carries the payload of %s", ev.EventID)
			}
			got = append(got, ev.EventID)
		}
		if page.Next == 0 {
			break
		}
		f.Before = page.Next
	}
	if want := "[evt_030 evt_020 evt_010 evt_000]"; fmt.Sprint(got) != want {
		t.Errorf("charge.refunded across pages = %v, want %v", got, want)
	}
	page, err := db.EventLog(ctx, ledger.LogFilter{Source: "stripe", IDPrefix: "evt_01"})
	if err != nil || len(page.Events) != 10 || page.Events[0].EventID != "evt_010" || page.Next != 0 {
		t.Errorf("prefix evt_01 = %d events (first %v), next %d, %v; want evt_010…evt_019, no next", len(page.Events), page.Events, page.Next, err)
	}
	page, err = db.EventLog(ctx, ledger.LogFilter{IDPrefix: "evt_010"})
	if err != nil || len(page.Events) != 2 {
		t.Errorf("prefix evt_010 over every source = %d events, %v; want 2 (github and stripe)", len(page.Events), err)
	}
}

// testActivityAndDeadLetters: a source's recent intake by hour and day,
// and its dead events newest first with why they died.
func testActivityAndDeadLetters(t *testing.T, d Driver) {
	ctx := context.Background()
	clock := newTestClock()
	db := d.Open(t, clock.Now)
	start := clock.Now()
	RecordAt(t, db, "stripe", "evt_old", start)
	clock.Add(23 * time.Hour)
	dead := RecordAt(t, db, "stripe", "evt_dead", clock.Now())
	SetState(t, db, dead, ledger.StateDead)
	clock.Add(30 * time.Minute)
	RecordAt(t, db, "stripe", "evt_new", clock.Now())
	RecordAt(t, db, "github", "guid_1", clock.Now())
	a, err := db.Activity(ctx, "stripe", clock.Now().Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !a.LastReceived.Equal(clock.Now()) || a.LastHour != 2 || a.LastDay != 3 {
		t.Errorf("Activity() = %+v, want last %v, 2 in the hour, 3 in the day", a, clock.Now())
	}
	if a, err := db.Activity(ctx, "paddle", clock.Now()); err != nil || !a.LastReceived.IsZero() || a.LastDay != 0 {
		t.Errorf("Activity(no events) = %+v, %v; want zero", a, err)
	}
	evs, err := db.DeadLetters(ctx, "stripe", 10)
	if err != nil || len(evs) != 1 || evs[0].EventID != "evt_dead" || evs[0].LastError == "" || len(evs[0].Payload) != 0 {
		t.Errorf("DeadLetters() = %v, %v; want evt_dead with its error, no payload", evs, err)
	}
	if evs, err := db.DeadLetters(ctx, "github", 10); err != nil || len(evs) != 0 {
		t.Errorf("DeadLetters(github) = %v, %v; want none", evs, err)
	}
}

// testActionsPerEvent: actions are stamped and listed per event, newest
// first.
func testActionsPerEvent(t *testing.T, d Driver) {
	ctx := context.Background()
	clock := newTestClock()
	db := d.Open(t, clock.Now)
	if err := db.RecordActions(ctx, nil); err != nil {
		t.Fatalf("RecordActions(none) = %v", err)
	}
	acts := []*ledger.Action{
		{Actor: "alice", Action: "replay", Source: "stripe", EventID: "evt_1", Detail: "from the page"},
		{Actor: "bob", Action: "ack"},
		{Actor: "bob", Action: "replay", Source: "stripe", EventID: "evt_1"},
	}
	if err := db.RecordActions(ctx, acts); err != nil {
		t.Fatal(err)
	}
	for _, a := range acts {
		if a.ID == 0 || !a.At.Equal(clock.Now()) {
			t.Errorf("RecordActions() left %+v, want an id and the time", a)
		}
	}
	got, err := db.EventActions(ctx, "stripe", "evt_1", 10)
	if err != nil || len(got) != 2 || got[0].Actor != "bob" || got[1].Detail != "from the page" || !got[1].At.Equal(clock.Now()) {
		t.Errorf("EventActions() = %+v, %v; want bob's then alice's", got, err)
	}
	if got, err := db.EventActions(ctx, "stripe", "evt_1", 1); err != nil || len(got) != 1 {
		t.Errorf("EventActions(limit 1) = %d, %v", len(got), err)
	}
	if got, err := db.EventActions(ctx, "stripe", "evt_2", 10); err != nil || got == nil || len(got) != 0 {
		t.Errorf("EventActions(none) = %#v, %v; want an empty slice", got, err)
	}
}

// testRunsSince: the runs of a window, oldest first, with their reports'
// counts.
func testRunsSince(t *testing.T, d Driver) {
	ctx := context.Background()
	clock := newTestClock()
	db := d.Open(t, clock.Now)
	start := clock.Now()
	for i, rep := range []string{`{"missing":9}`, `{"missing":3,"backfilled":1,"redelivered":1,"still_missing":1,"unknown":2}`, `{}`} {
		r := &ledger.Run{Source: "stripe", Job: "reconcile", Since: start.Add(-time.Hour), Until: clock.Now()}
		if err := db.StartRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.Complete, r.Report = i != 2, json.RawMessage(rep)
		if err := db.FinishRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Hour)
	}
	pts, err := db.RunsSince(ctx, start.Add(30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 {
		t.Fatalf("RunsSince() = %+v, want the last 2 runs", pts)
	}
	p := pts[0]
	if p.Missing != 3 || p.Recovered != 2 || p.StillMissing != 1 || p.Unknown != 2 || !p.Complete ||
		!p.StartedAt.Equal(start.Add(time.Hour)) || !p.Until.Equal(start.Add(time.Hour)) || p.Source != "stripe" {
		t.Errorf("RunsSince()[0] = %+v, want the second run's counts", p)
	}
	if pts[1].Complete || pts[1].Missing != 0 {
		t.Errorf("RunsSince()[1] = %+v, want the incomplete third run", pts[1])
	}
}

var statusCases = []testCase{
	{"EventLogPages", testEventLogPages},
	{"ActivityAndDeadLetters", testActivityAndDeadLetters},
	{"ActionsPerEvent", testActionsPerEvent},
	{"RunsSince", testRunsSince},
}
