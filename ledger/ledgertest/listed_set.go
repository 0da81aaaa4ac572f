package ledgertest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

func testListedSetDiff(t *testing.T, d Driver) {
	ctx := context.Background()
	db := d.open(t)
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
	n, ids, err = set.Unlisted(ctx, ledger.OriginWebhook, created, created.Add(time.Second), time.Time{}, 3)
	if err != nil || n != 7 || !reflect.DeepEqual(ids, []string{"evt_0003", "evt_0004", "evt_0005"}) {
		t.Errorf("Unlisted() = %d, %v, %v; want 7, [evt_0003 evt_0004 evt_0005]", n, ids, err)
	}
	ev := NewEvent("evt_x1")
	if _, err := db.Record(ctx, ev, nil); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := set.StillMissing(ctx, 10); n != 1 {
		t.Errorf("StillMissing() after recording evt_x1 = %d, want 1", n)
	}
}

var listedSetCases = []testCase{
	{"ListedSetDiff", testListedSetDiff},
}
