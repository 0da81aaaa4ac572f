package ledger

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestRejectionsAggregateAndBoundThemselves: a thousand rejections in one
// minute are one row; rows older than RejectionRetention are deleted by
// the same writer that upserts, with no job of its own.
func TestRejectionsAggregateAndBoundThemselves(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	var mu sync.Mutex // the writer reads the clock while the test moves it
	now := time.Date(2026, 3, 1, 12, 0, 30, 0, time.UTC)
	db.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	for i := range 1000 {
		db.RecordRejection(Rejection{Source: "stripe", Reason: "signature", Status: 401,
			At: now.Add(time.Duration(i) * time.Millisecond), RemoteAddr: fmt.Sprintf("192.0.2.1:%d", i)})
	}
	db.RecordRejection(Rejection{Source: "stripe", Reason: "signature", Status: 401, At: now.Add(-RejectionRetention - time.Hour)})
	if err := db.SyncRejections(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Rejections(ctx, "", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Count != 1000 || rows[0].Last.RemoteAddr != "192.0.2.1:999" {
		t.Fatalf("Rejections() = %+v, want one row of 1000, last from 192.0.2.1:999", rows)
	}
	// A week and more later, the next upsert deletes the old minute.
	mu.Lock()
	now = now.Add(RejectionRetention + time.Minute)
	mu.Unlock()
	db.RecordRejection(Rejection{Source: "github", Reason: "malformed", Status: 400, At: db.now()})
	if err := db.SyncRejections(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err = db.Rejections(ctx, "", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Source != "github" {
		t.Errorf("Rejections() after the retention = %+v, want only the new github row", rows)
	}
}

// TestRejectionsCloseFlushes: rejections recorded just before Close are
// committed by it.
func TestRejectionsCloseFlushes(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/l.db"
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.RecordRejection(Rejection{Source: "stripe", Reason: "too_large", Status: 413})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Rejections(ctx, "stripe", time.Time{}, 0)
	if err != nil || len(rows) != 1 || rows[0].Count != 1 {
		t.Errorf("Rejections() after reopen = %+v, %v; want the one recorded before Close", rows, err)
	}
}
