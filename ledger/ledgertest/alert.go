package ledgertest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

func testApplyAlertsOpenUpdateResolve(t *testing.T, d Driver) {
	ctx := context.Background()
	db := d.open(t)
	since := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	msg := &ledger.AlertMessage{Source: "stripe", Text: "2 missing"}
	a := &ledger.Alert{Fingerprint: "stripe:missing", Source: "stripe", Kind: "missing", Summary: "2 missing",
		Keys: []string{"evt_1", "evt_2"}, Count: 2, Since: since}
	if err := db.ApplyAlerts(ctx, ledger.AlertChange{Message: msg, Upsert: []*ledger.Alert{a}}); err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 || msg.ID == 0 || a.MessageID != msg.ID {
		t.Fatalf("ids not filled: alert %+v message %+v", a, msg)
	}
	// An update of the open fingerprint keeps the row and points it at the new message.
	msg2 := &ledger.AlertMessage{Source: "stripe", Text: "3 missing"}
	b := &ledger.Alert{Fingerprint: "stripe:missing", Source: "stripe", Kind: "missing", Summary: "3 missing",
		Keys: []string{"evt_1", "evt_2", "evt_3"}, Count: 3}
	if err := db.ApplyAlerts(ctx, ledger.AlertChange{Message: msg2, Upsert: []*ledger.Alert{b}}); err != nil {
		t.Fatal(err)
	}
	if b.ID != a.ID {
		t.Errorf("update opened a new alert %d, want %d", b.ID, a.ID)
	}
	open, err := db.Alerts(ctx, ledger.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].Count != 3 || open[0].MessageID != msg2.ID ||
		!reflect.DeepEqual(open[0].Keys, b.Keys) || open[0].State != ledger.AlertOpen {
		t.Fatalf("Alerts() = %+v, want one open alert with 3 keys and message %d", open, msg2.ID)
	}
	if err := db.MarkAlertSent(ctx, msg2.ID, "C1", "111.222"); err != nil {
		t.Fatal(err)
	}
	reply := &ledger.AlertMessage{Source: "stripe", Kind: "resolved", Text: "resolved", ParentID: msg2.ID}
	if err := db.ApplyAlerts(ctx, ledger.AlertChange{Resolve: []int64{a.ID}, Replies: []*ledger.AlertMessage{reply}}); err != nil {
		t.Fatal(err)
	}
	all, err := db.Alerts(ctx, ledger.AlertFilter{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].State != ledger.AlertResolved || all[0].ResolvedAt.IsZero() ||
		all[0].Channel != "C1" || all[0].MessageTS != "111.222" {
		t.Fatalf("Alerts(all) = %+v, want one resolved alert sent as C1/111.222", all)
	}
	// A recurrence opens a new row.
	c := &ledger.Alert{Fingerprint: "stripe:missing", Source: "stripe", Kind: "missing", Count: 1}
	if err := db.ApplyAlerts(ctx, ledger.AlertChange{Message: &ledger.AlertMessage{Text: "x"}, Upsert: []*ledger.Alert{c}}); err != nil {
		t.Fatal(err)
	}
	if c.ID == a.ID {
		t.Errorf("recurrence reused resolved alert %d", a.ID)
	}
}

func testOneOffAlertIsResolved(t *testing.T, d Driver) {
	ctx := context.Background()
	db := d.open(t)
	a := &ledger.Alert{Fingerprint: "stripe:unknown", Kind: "unknown", State: ledger.AlertResolved}
	if err := db.ApplyAlerts(ctx, ledger.AlertChange{Message: &ledger.AlertMessage{Text: "x"}, Upsert: []*ledger.Alert{a}}); err != nil {
		t.Fatal(err)
	}
	open, err := db.Alerts(ctx, ledger.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 0 {
		t.Errorf("Alerts() = %+v, want no open alert", open)
	}
	last, err := db.Alerts(ctx, ledger.AlertFilter{All: true, Fingerprint: "stripe:unknown", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(last) != 1 || last[0].ID != a.ID {
		t.Errorf("Alerts(fingerprint) = %+v, want alert %d", last, a.ID)
	}
}

func testApplyAlertsIsAtomic(t *testing.T, d Driver) {
	ctx := context.Background()
	db := d.open(t)
	err := db.ApplyAlerts(ctx, ledger.AlertChange{Message: &ledger.AlertMessage{Text: "x"},
		Upsert: []*ledger.Alert{{Fingerprint: "a:b", Kind: "b"}, {Kind: "no fingerprint"}}})
	if err == nil {
		t.Fatal("ApplyAlerts(bad alert) = nil, want an error")
	}
	alerts, _ := db.Alerts(ctx, ledger.AlertFilter{All: true})
	msgs, _ := db.AlertMessages(ctx, true, 0)
	if len(alerts) != 0 || len(msgs) != 0 {
		t.Errorf("after a failed ApplyAlerts: %d alerts, %d messages; want nothing committed", len(alerts), len(msgs))
	}
}

func testDueAlertMessagesOrderAndThreads(t *testing.T, d Driver) {
	ctx := context.Background()
	db := d.open(t)
	now := time.Now().UTC()
	parent := &ledger.AlertMessage{Text: "parent"}
	if err := db.ApplyAlerts(ctx, ledger.AlertChange{Message: parent}); err != nil {
		t.Fatal(err)
	}
	reply := &ledger.AlertMessage{Kind: "resolved", Text: "reply", ParentID: parent.ID}
	if err := db.ApplyAlerts(ctx, ledger.AlertChange{Replies: []*ledger.AlertMessage{reply}}); err != nil {
		t.Fatal(err)
	}
	due, err := db.DueAlertMessages(ctx, now.Add(time.Second), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].ID != parent.ID {
		t.Fatalf("DueAlertMessages() = %+v, want only the parent until it is sent", due)
	}
	later := now.Add(time.Hour)
	if err := db.MarkAlertFailed(ctx, parent.ID, "slack server error: 500", later); err != nil {
		t.Fatal(err)
	}
	if due, _ = db.DueAlertMessages(ctx, now.Add(time.Second), 10); len(due) != 0 {
		t.Fatalf("DueAlertMessages() after failure = %+v, want none before next attempt", due)
	}
	due, _ = db.DueAlertMessages(ctx, later, 10)
	if len(due) != 1 || due[0].Attempts != 1 || due[0].LastError != "slack server error: 500" {
		t.Fatalf("DueAlertMessages(later) = %+v, want the parent with its error", due)
	}
	if err := db.MarkAlertSent(ctx, parent.ID, "C1", "1.5"); err != nil {
		t.Fatal(err)
	}
	due, _ = db.DueAlertMessages(ctx, later, 10)
	if len(due) != 1 || due[0].ID != reply.ID || due[0].ThreadTS != "1.5" {
		t.Fatalf("DueAlertMessages() = %+v, want the reply in thread 1.5", due)
	}
	if err := db.MarkAlertSent(ctx, parent.ID, "C1", "1.5"); err == nil {
		t.Error("MarkAlertSent twice: want an error")
	}
	pending, err := db.AlertMessages(ctx, false, 0)
	if err != nil || len(pending) != 1 {
		t.Errorf("AlertMessages(undelivered) = %v, %v; want the reply", pending, err)
	}
}

func testEventsInStatesAndCountPresent(t *testing.T, d Driver) {
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clock := NewClock(base)
	db := d.Open(t, clock.Now)
	recorded := map[string]*ledger.Event{}
	for i, e := range []struct{ src, id, typ string }{
		{"stripe", "evt_a", "invoice.paid"}, {"stripe", "evt_b", "invoice.paid"},
		{"stripe", "evt_c", "charge.failed"}, {"github", "g1", "push"},
	} {
		clock.Set(base.Add(time.Duration(i) * time.Minute))
		ev := &ledger.Event{Source: e.src, EventID: e.id, Type: e.typ, Payload: []byte("{}")}
		if _, err := db.Record(ctx, ev, nil); err != nil {
			t.Fatal(err)
		}
		recorded[e.id] = ev
	}
	for _, id := range []string{"evt_a", "evt_c", "g1"} {
		settleAs(t, db, recorded[id], ledger.AttemptDead)
	}
	got, err := db.EventsInStates(ctx, []ledger.State{ledger.StateDead}, time.Time{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []ledger.StateGroup{
		{Source: "github", Count: 1, ByType: map[string]int{"push": 1}, IDs: []string{"g1"}, Oldest: base.Add(3 * time.Minute)},
		{Source: "stripe", Count: 2, ByType: map[string]int{"invoice.paid": 1, "charge.failed": 1}, IDs: []string{"evt_a"}, Oldest: base},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("EventsInStates(dead) = %+v, want %+v", got, want)
	}
	got, err = db.EventsInStates(ctx, []ledger.State{ledger.StatePending, ledger.StateFailed}, base.Add(time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("EventsInStates(pending before 1m) = %+v, want none (evt_b arrived at 1m, not before)", got)
	}
	got, _ = db.EventsInStates(ctx, []ledger.State{ledger.StatePending, ledger.StateFailed}, base.Add(2*time.Minute), 10)
	if len(got) != 1 || got[0].Count != 1 || got[0].IDs[0] != "evt_b" {
		t.Errorf("EventsInStates(pending before 2m) = %+v, want evt_b", got)
	}
	n, err := db.CountPresent(ctx, "stripe", []string{"evt_a", "evt_b", "evt_x", "g1"})
	if err != nil || n != 2 {
		t.Errorf("CountPresent() = %d, %v; want 2", n, err)
	}
}

func testAckAlertRecordsWhoAndWhen(t *testing.T, d Driver) {
	ctx := context.Background()
	db := d.open(t)
	msg := &ledger.AlertMessage{Text: "forged"}
	al := &ledger.Alert{Fingerprint: "stripe:unknown", Source: "stripe", Kind: "unknown", Keys: []string{"evt_forged"}, Count: 1}
	if err := db.ApplyAlerts(ctx, ledger.AlertChange{Message: msg, Upsert: []*ledger.Alert{al}}); err != nil {
		t.Fatal(err)
	}
	got, err := db.AckAlert(ctx, al.ID, "alice", &ledger.AlertMessage{Kind: "resolved", Text: "acked"})
	if err != nil || got.State != ledger.AlertResolved || got.AckedBy != "alice" || got.AckedAt.IsZero() {
		t.Fatalf("AckAlert() = %+v, %v; want resolved by alice", got, err)
	}
	if _, err := db.AckAlert(ctx, al.ID, "bob", nil); !errors.Is(err, ledger.ErrNotOpen) {
		t.Errorf("second AckAlert() = %v, want ledger.ErrNotOpen", err)
	}
	if _, err := db.AckAlert(ctx, 999, "bob", nil); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("AckAlert(999) = %v, want ledger.ErrNotFound", err)
	}
	naming, err := db.AlertsNaming(ctx, "stripe", "evt_forged")
	if err != nil || len(naming) != 1 || naming[0].AckedBy != "alice" {
		t.Errorf("AlertsNaming() = %+v, %v; want the acked alert", naming, err)
	}
	if none, err := db.AlertsNaming(ctx, "stripe", "evt_other"); err != nil || len(none) != 0 {
		t.Errorf("AlertsNaming(other) = %+v, %v; want none", none, err)
	}
	msgs, err := db.AlertMessages(ctx, false, 0)
	if err != nil || len(msgs) != 2 || msgs[0].ParentID != msg.ID && msgs[1].ParentID != msg.ID {
		t.Errorf("outbox = %+v, %v; want the alert and the ack reply under it", msgs, err)
	}
}

// testOutboxClaimsAreExclusive: a claimed outbox message is not handed
// to another handle (another process) while the claim lasts; a failure
// gives it back for its next attempt, a sent message is gone, and a
// claim whose deliverer vanished lapses.
func testOutboxClaimsAreExclusive(t *testing.T, d Driver) {
	ctx := context.Background()
	a := d.open(t)
	b := d.Share(t, a, nil)
	var msgs []*ledger.AlertMessage
	for i := range 3 {
		m := &ledger.AlertMessage{Source: "stripe", Text: fmt.Sprint("m", i)}
		if err := a.ApplyAlerts(ctx, ledger.AlertChange{Message: m}); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	reply := &ledger.AlertMessage{Kind: "resolved", Text: "r", ParentID: msgs[0].ID}
	if err := a.ApplyAlerts(ctx, ledger.AlertChange{Replies: []*ledger.AlertMessage{reply}}); err != nil {
		t.Fatal(err)
	}
	due := time.Now().Add(time.Minute)
	claim := func(db Backend, lease time.Duration, want int64) {
		t.Helper()
		m, ok, err := db.ClaimAlertMessage(ctx, due, lease)
		if err != nil {
			t.Fatal(err)
		}
		if got := map[bool]int64{true: m.ID}[ok]; got != want {
			t.Fatalf("ClaimAlertMessage() = message %d (ok %v), want %d", m.ID, ok, want)
		}
	}
	claim(a, time.Minute, msgs[0].ID)
	claim(b, time.Minute, msgs[1].ID)
	claim(a, 300*time.Millisecond, msgs[2].ID)
	claim(b, time.Minute, 0) // the reply waits for its parent; the rest are claimed
	if err := a.MarkAlertSent(ctx, msgs[0].ID, "C1", "1.5"); err != nil {
		t.Fatal(err)
	}
	if err := b.MarkAlertFailed(ctx, msgs[1].ID, "slack down", time.Now()); err != nil {
		t.Fatal(err)
	}
	claim(a, time.Minute, msgs[1].ID) // given back by its failure
	m, ok, err := b.ClaimAlertMessage(ctx, due, time.Minute)
	if err != nil || !ok || m.ID != reply.ID || m.ThreadTS != "1.5" {
		t.Fatalf("ClaimAlertMessage() = %+v, %v, %v; want the reply in thread 1.5", m, ok, err)
	}
	time.Sleep(400 * time.Millisecond) // the 300ms claim on msgs[2] lapses
	claim(b, time.Minute, msgs[2].ID)
	claim(a, time.Minute, 0)
}

var alertCases = []testCase{
	{"OutboxClaimsAreExclusive", testOutboxClaimsAreExclusive},
	{"ApplyAlertsOpenUpdateResolve", testApplyAlertsOpenUpdateResolve},
	{"OneOffAlertIsResolved", testOneOffAlertIsResolved},
	{"ApplyAlertsIsAtomic", testApplyAlertsIsAtomic},
	{"DueAlertMessagesOrderAndThreads", testDueAlertMessagesOrderAndThreads},
	{"EventsInStatesAndCountPresent", testEventsInStatesAndCountPresent},
	{"AckAlertRecordsWhoAndWhen", testAckAlertRecordsWhoAndWhen},
}
