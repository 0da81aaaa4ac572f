package ledger_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"hookledger/ledger"
)

func recordN(t *testing.T, db *ledger.DB, n int, prefix string, created time.Time, origin ledger.Origin) {
	t.Helper()
	for i := range n {
		ev := testEvent(fmt.Sprintf("%s%04d", prefix, i))
		ev.CreatedAt, ev.Origin = created, origin
		if _, err := db.Record(context.Background(), ev, nil); err != nil {
			t.Fatalf("Record() error = %v", err)
		}
	}
}

func TestKnownAcrossChunks(t *testing.T) {
	db := mustOpen(t)
	recordN(t, db, 700, "evt_", time.Unix(1700000000, 0), ledger.OriginWebhook)
	var ids []string
	for i := 0; i < 1400; i += 2 { // every other id exists; 700 ids span two chunks
		ids = append(ids, fmt.Sprintf("evt_%04d", i))
	}
	got, err := db.Known(context.Background(), "stripe", ids)
	if err != nil {
		t.Fatalf("Known() error = %v", err)
	}
	if len(got) != 350 || !got["evt_0698"] || got["evt_0700"] {
		t.Errorf("Known() = %d ids (evt_0698 %v, evt_0700 %v), want 350, true, false",
			len(got), got["evt_0698"], got["evt_0700"])
	}
	if got, _ := db.Known(context.Background(), "github", ids); len(got) != 0 {
		t.Errorf("Known(github) = %d ids, want 0 (other source)", len(got))
	}
}

func TestWindowStats(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	in := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	recordN(t, db, 3, "evt_in", in, ledger.OriginWebhook)
	recordN(t, db, 2, "evt_out", in.Add(-48*time.Hour), ledger.OriginWebhook)
	stats, err := db.WindowStats(ctx, "stripe", in.Add(-time.Hour), in.Add(time.Hour), time.Now().Add(time.Hour), 2)
	if err != nil {
		t.Fatalf("WindowStats() error = %v", err)
	}
	want := ledger.WindowStats{Pending: 3, Stuck: 3, StuckIDs: []string{"evt_in0000", "evt_in0001"}}
	if !reflect.DeepEqual(stats, want) {
		t.Errorf("WindowStats() = %+v, want %+v", stats, want)
	}
	stats, err = db.WindowStats(ctx, "stripe", in.Add(-time.Hour), in.Add(time.Hour), time.Now().Add(-time.Hour), 2)
	if err != nil || stats.Stuck != 0 || stats.Pending != 3 {
		t.Errorf("WindowStats(recent cutoff) = %+v, %v; want 3 pending, 0 stuck", stats, err)
	}
}

func TestListedSetDiff(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	created := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	recordN(t, db, 10, "evt_", created, ledger.OriginWebhook)
	recordN(t, db, 2, "evt_bf", created, ledger.OriginReconcile)

	set, err := db.OpenListedSet(ctx, "stripe")
	if err != nil {
		t.Fatalf("OpenListedSet() error = %v", err)
	}
	defer set.Close()
	fresh, err := set.Add(ctx, []string{"evt_0000", "evt_0001", "evt_0001", "evt_x1"})
	if want := []string{"evt_0000", "evt_0001", "evt_x1"}; err != nil || !reflect.DeepEqual(fresh, want) {
		t.Fatalf("Add() = %v, %v; want %v", fresh, err, want)
	}
	fresh, err = set.Add(ctx, []string{"evt_0001", "evt_0002", "evt_x2"})
	if want := []string{"evt_0002", "evt_x2"}; err != nil || !reflect.DeepEqual(fresh, want) {
		t.Fatalf("Add() again = %v, %v; want %v", fresh, err, want)
	}
	if err := set.MarkMissing(ctx, []string{"evt_x1", "evt_x2"}); err != nil {
		t.Fatalf("MarkMissing() error = %v", err)
	}
	n, ids, err := set.StillMissing(ctx, 1)
	if err != nil || n != 2 || !reflect.DeepEqual(ids, []string{"evt_x1"}) {
		t.Errorf("StillMissing(limit 1) = %d, %v, %v; want 2, [evt_x1]", n, ids, err)
	}
	// Webhook events 0003..0009 were never listed; backfilled ones don't count.
	n, ids, err = set.Unlisted(ctx, ledger.OriginWebhook, created, created.Add(time.Second), 3)
	if err != nil || n != 7 || !reflect.DeepEqual(ids, []string{"evt_0003", "evt_0004", "evt_0005"}) {
		t.Errorf("Unlisted() = %d, %v, %v; want 7, [evt_0003 evt_0004 evt_0005]", n, ids, err)
	}
	ev := testEvent("evt_x1")
	if _, err := db.Record(ctx, ev, nil); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := set.StillMissing(ctx, 10); n != 1 {
		t.Errorf("StillMissing() after recording evt_x1 = %d, want 1", n)
	}
}
