package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

func TestListedSet(t *testing.T) {
	t.Parallel()
	db, _ := openFresh(t)
	ctx := context.Background()
	mustRecord(t, db, newEvent("stripe", "in_both", t0))
	mustRecord(t, db, newEvent("stripe", "only_ledger", t0.Add(time.Minute)))
	mustRecord(t, db, newEvent("github", "other_source", t0))
	set, err := db.OpenListedSet(ctx, "stripe")
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := set.Add(ctx, []string{"in_both", "gap_b", "gap_a", "gap_b"})
	if err != nil || fmt.Sprint(fresh) != "[in_both gap_b gap_a]" {
		t.Fatalf("Add() = %v, %v", fresh, err)
	}
	if fresh, _ := set.Add(ctx, []string{"gap_a", "in_both"}); len(fresh) != 0 {
		t.Errorf("Add(again) = %v, want none", fresh)
	}
	if err := set.MarkMissing(ctx, []string{"gap_a", "gap_b"}); err != nil {
		t.Fatal(err)
	}
	mustRecord(t, db, newEvent("stripe", "gap_b", t0)) // backfilled
	n, ids, err := set.StillMissing(ctx, 10)
	if err != nil || n != 1 || fmt.Sprint(ids) != "[gap_a]" {
		t.Errorf("StillMissing() = %d, %v, %v; want gap_a", n, ids, err)
	}
	n, ids, err = set.Unlisted(ctx, ledger.OriginWebhook, t0, t0.Add(time.Hour), time.Time{}, 10)
	if err != nil || n != 1 || fmt.Sprint(ids) != "[only_ledger]" {
		t.Errorf("Unlisted() = %d, %v, %v; want only_ledger", n, ids, err)
	}
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
	// A new set on a reused connection starts empty.
	set2, err := db.OpenListedSet(ctx, "stripe")
	if err != nil {
		t.Fatal(err)
	}
	defer set2.Close()
	if fresh, _ := set2.Add(ctx, []string{"gap_a"}); len(fresh) != 1 {
		t.Errorf("Add() on a new set = %v, want gap_a", fresh)
	}
}
