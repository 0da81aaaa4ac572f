package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/postgres"
)

func TestAlertsOpenUpdateResolveAndOutbox(t *testing.T) {
	t.Parallel()
	db, _ := openFresh(t)
	ctx := context.Background()
	msg := &ledger.AlertMessage{Source: "stripe", Text: "2 missing"}
	a := &ledger.Alert{Fingerprint: "stripe:missing", Source: "stripe", Kind: "missing", Summary: "2 missing",
		Keys: []string{"evt_1", "evt_2"}, Count: 2, Since: t0}
	if err := db.ApplyAlerts(ctx, ledger.AlertChange{Message: msg, Upsert: []*ledger.Alert{a}}); err != nil {
		t.Fatal(err)
	}
	first := a.ID
	a2 := &ledger.Alert{Fingerprint: "stripe:missing", Source: "stripe", Kind: "missing", Summary: "3 missing", Count: 3}
	if err := db.ApplyAlerts(ctx, ledger.AlertChange{Upsert: []*ledger.Alert{a2}}); err != nil {
		t.Fatal(err)
	}
	if a2.ID != first {
		t.Errorf("update of an open alert made row %d, want %d", a2.ID, first)
	}
	open, err := db.Alerts(ctx, ledger.AlertFilter{Source: "stripe"})
	if err != nil || len(open) != 1 || open[0].Count != 3 || open[0].Summary != "3 missing" || len(open[0].Keys) != 0 {
		t.Fatalf("Alerts() = %+v, %v", open, err)
	}
	due, err := db.DueAlertMessages(ctx, time.Now().Add(time.Second), 10)
	if err != nil || len(due) != 1 || due[0].ID != msg.ID {
		t.Fatalf("DueAlertMessages() = %+v, %v", due, err)
	}
	reply := &ledger.AlertMessage{Source: "stripe", Kind: "resolved", Text: "resolved", ParentID: msg.ID}
	if err := db.ApplyAlerts(ctx, ledger.AlertChange{Resolve: []int64{first}, Replies: []*ledger.AlertMessage{reply}}); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.DueAlertMessages(ctx, time.Now().Add(time.Second), 10); len(due) != 1 {
		t.Fatalf("DueAlertMessages() = %+v, want the parent only until it is sent", due)
	}
	if err := db.MarkAlertFailed(ctx, msg.ID, "slack down", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.DueAlertMessages(ctx, time.Now().Add(time.Second), 10); len(due) != 0 {
		t.Fatalf("DueAlertMessages() after a failure = %+v, want none before the retry", due)
	}
	if err := db.MarkAlertSent(ctx, msg.ID, "C1", "1.5"); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkAlertSent(ctx, msg.ID, "C1", "1.5"); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("MarkAlertSent() twice error = %v, want ErrNotFound", err)
	}
	due, _ = db.DueAlertMessages(ctx, time.Now().Add(time.Second), 10)
	if len(due) != 1 || due[0].ID != reply.ID || due[0].ThreadTS != "1.5" {
		t.Fatalf("DueAlertMessages() = %+v, want the reply in thread 1.5", due)
	}
	all, _ := db.Alerts(ctx, ledger.AlertFilter{All: true})
	if len(all) != 1 || all[0].State != ledger.AlertResolved || all[0].ResolvedAt.IsZero() {
		t.Errorf("Alerts(all) = %+v", all)
	}
	if msgs, _ := db.AlertMessages(ctx, true, 0); len(msgs) != 2 || msgs[1].Attempts != 2 || msgs[1].SentAt.IsZero() {
		t.Errorf("AlertMessages(all) = %+v", msgs)
	}
}

// Two instances opening the same condition at the same moment keep one
// open alert (the partial unique index holds, and neither fails).
func TestAlertOpenedByTwoInstancesAtOnceIsOne(t *testing.T) {
	t.Parallel()
	a, url := openFresh(t)
	b := mustOpen(t, url, postgres.Options{})
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 10 {
		for _, db := range []*postgres.DB{a, b} {
			wg.Go(func() {
				al := &ledger.Alert{Fingerprint: "github:dead", Source: "github", Kind: "dead", Count: 1}
				if err := db.ApplyAlerts(ctx, ledger.AlertChange{Upsert: []*ledger.Alert{al}}); err != nil {
					t.Errorf("ApplyAlerts() error = %v", err)
				}
			})
		}
	}
	wg.Wait()
	if open, _ := a.Alerts(ctx, ledger.AlertFilter{All: true}); len(open) != 1 {
		t.Errorf("Alerts() = %d rows, want one open alert", len(open))
	}
}

func TestEventsInStates(t *testing.T) {
	t.Parallel()
	db, _ := openFresh(t)
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		mustRecord(t, db, newEvent("stripe", id, t0))
	}
	mustRecord(t, db, newEvent("github", "g", t0))
	groups, err := db.EventsInStates(ctx, []ledger.State{ledger.StatePending}, time.Time{}, 1)
	if err != nil || len(groups) != 2 || groups[1].Source != "stripe" || groups[1].Count != 2 ||
		groups[1].ByType["invoice.paid"] != 2 || len(groups[1].IDs) != 1 || groups[1].IDs[0] != "a" {
		t.Fatalf("EventsInStates() = %+v, %v", groups, err)
	}
	if groups, _ := db.EventsInStates(ctx, []ledger.State{ledger.StatePending}, t0, 1); len(groups) != 0 {
		t.Errorf("EventsInStates(before t0) = %+v, want none", groups)
	}
}
