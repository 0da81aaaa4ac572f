package ledger

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestApplyAlertsOpenUpdateResolve(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	since := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	msg := &AlertMessage{Source: "stripe", Text: "2 missing"}
	a := &Alert{Fingerprint: "stripe:missing", Source: "stripe", Kind: "missing", Summary: "2 missing",
		Keys: []string{"evt_1", "evt_2"}, Count: 2, Since: since}
	if err := db.ApplyAlerts(ctx, AlertChange{Message: msg, Upsert: []*Alert{a}}); err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 || msg.ID == 0 || a.MessageID != msg.ID {
		t.Fatalf("ids not filled: alert %+v message %+v", a, msg)
	}
	// An update of the open fingerprint keeps the row and points it at the new message.
	msg2 := &AlertMessage{Source: "stripe", Text: "3 missing"}
	b := &Alert{Fingerprint: "stripe:missing", Source: "stripe", Kind: "missing", Summary: "3 missing",
		Keys: []string{"evt_1", "evt_2", "evt_3"}, Count: 3}
	if err := db.ApplyAlerts(ctx, AlertChange{Message: msg2, Upsert: []*Alert{b}}); err != nil {
		t.Fatal(err)
	}
	if b.ID != a.ID {
		t.Errorf("update opened a new alert %d, want %d", b.ID, a.ID)
	}
	open, err := db.Alerts(ctx, AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].Count != 3 || open[0].MessageID != msg2.ID ||
		!reflect.DeepEqual(open[0].Keys, b.Keys) || open[0].State != AlertOpen {
		t.Fatalf("Alerts() = %+v, want one open alert with 3 keys and message %d", open, msg2.ID)
	}
	if err := db.MarkAlertSent(ctx, msg2.ID, "C1", "111.222"); err != nil {
		t.Fatal(err)
	}
	reply := &AlertMessage{Source: "stripe", Kind: "resolved", Text: "resolved", ParentID: msg2.ID}
	if err := db.ApplyAlerts(ctx, AlertChange{Resolve: []int64{a.ID}, Replies: []*AlertMessage{reply}}); err != nil {
		t.Fatal(err)
	}
	all, err := db.Alerts(ctx, AlertFilter{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].State != AlertResolved || all[0].ResolvedAt.IsZero() ||
		all[0].Channel != "C1" || all[0].MessageTS != "111.222" {
		t.Fatalf("Alerts(all) = %+v, want one resolved alert sent as C1/111.222", all)
	}
	// A recurrence opens a new row.
	c := &Alert{Fingerprint: "stripe:missing", Source: "stripe", Kind: "missing", Count: 1}
	if err := db.ApplyAlerts(ctx, AlertChange{Message: &AlertMessage{Text: "x"}, Upsert: []*Alert{c}}); err != nil {
		t.Fatal(err)
	}
	if c.ID == a.ID {
		t.Errorf("recurrence reused resolved alert %d", a.ID)
	}
}

func TestOneOffAlertIsResolved(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	a := &Alert{Fingerprint: "stripe:unknown", Kind: "unknown", State: AlertResolved}
	if err := db.ApplyAlerts(ctx, AlertChange{Message: &AlertMessage{Text: "x"}, Upsert: []*Alert{a}}); err != nil {
		t.Fatal(err)
	}
	open, err := db.Alerts(ctx, AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 0 {
		t.Errorf("Alerts() = %+v, want no open alert", open)
	}
	last, err := db.Alerts(ctx, AlertFilter{All: true, Fingerprint: "stripe:unknown", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(last) != 1 || last[0].ID != a.ID {
		t.Errorf("Alerts(fingerprint) = %+v, want alert %d", last, a.ID)
	}
}

func TestApplyAlertsIsAtomic(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	err := db.ApplyAlerts(ctx, AlertChange{Message: &AlertMessage{Text: "x"},
		Upsert: []*Alert{{Fingerprint: "a:b", Kind: "b"}, {Kind: "no fingerprint"}}})
	if err == nil {
		t.Fatal("ApplyAlerts(bad alert) = nil, want an error")
	}
	alerts, _ := db.Alerts(ctx, AlertFilter{All: true})
	msgs, _ := db.AlertMessages(ctx, true, 0)
	if len(alerts) != 0 || len(msgs) != 0 {
		t.Errorf("after a failed ApplyAlerts: %d alerts, %d messages; want nothing committed", len(alerts), len(msgs))
	}
}

func TestAckAlertRecordsWhoAndWhen(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	msg := &AlertMessage{Text: "forged"}
	al := &Alert{Fingerprint: "stripe:unknown", Source: "stripe", Kind: "unknown", Keys: []string{"evt_forged"}, Count: 1}
	if err := db.ApplyAlerts(ctx, AlertChange{Message: msg, Upsert: []*Alert{al}}); err != nil {
		t.Fatal(err)
	}
	got, err := db.AckAlert(ctx, al.ID, "alice", &AlertMessage{Kind: "resolved", Text: "acked"})
	if err != nil || got.State != AlertResolved || got.AckedBy != "alice" || got.AckedAt.IsZero() {
		t.Fatalf("AckAlert() = %+v, %v; want resolved by alice", got, err)
	}
	if _, err := db.AckAlert(ctx, al.ID, "bob", nil); !errors.Is(err, ErrNotOpen) {
		t.Errorf("second AckAlert() = %v, want ErrNotOpen", err)
	}
	if _, err := db.AckAlert(ctx, 999, "bob", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("AckAlert(999) = %v, want ErrNotFound", err)
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
