package ledger

import (
	"context"
	"testing"
	"time"
)

func TestDueAlertMessagesOrderAndThreads(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	now := time.Now().UTC()
	parent := &AlertMessage{Text: "parent"}
	if err := db.ApplyAlerts(ctx, AlertChange{Message: parent}); err != nil {
		t.Fatal(err)
	}
	reply := &AlertMessage{Kind: "resolved", Text: "reply", ParentID: parent.ID}
	if err := db.ApplyAlerts(ctx, AlertChange{Replies: []*AlertMessage{reply}}); err != nil {
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
