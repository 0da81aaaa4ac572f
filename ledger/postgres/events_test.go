package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hookledger/hookledger/ledger"
)

func TestEventsPagesAndFilters(t *testing.T) {
	t.Parallel()
	db, _ := openFresh(t)
	ctx := context.Background()
	const n = 1203 // more than two pages
	for i := range n {
		src := "stripe"
		if i%3 == 0 {
			src = "github"
		}
		mustRecord(t, db, newEvent(src, fmt.Sprintf("e%04d", i), t0))
	}
	var got []string
	for ev, err := range db.Events(ctx, ledger.EventFilter{Source: "stripe"}) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Payload != nil {
			t.Fatalf("Events() carried a payload")
		}
		got = append(got, ev.EventID)
	}
	if len(got) != n-n/3 || got[0] != "e0001" {
		t.Fatalf("Events(stripe) = %d events starting %v", len(got), got[:1])
	}
	got = got[:0]
	for ev, err := range db.Events(ctx, ledger.EventFilter{Newest: true, Limit: 3, State: ledger.StatePending}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.EventID)
	}
	if fmt.Sprint(got) != "[e1202 e1201 e1200]" {
		t.Errorf("Events(newest, limit 3) = %v", got)
	}
	srcs, err := db.Sources(ctx)
	if err != nil || fmt.Sprint(srcs) != "[github stripe]" {
		t.Errorf("Sources() = %v, %v", srcs, err)
	}
	qs, err := db.QueueStats(ctx)
	if err != nil || qs.Depth["github"][ledger.StatePending] != n/3 || qs.OldestWaiting["stripe"].IsZero() {
		t.Errorf("QueueStats() = %+v, %v", qs, err)
	}
	qd, err := db.QueueDepth(ctx)
	if err != nil || qd.Depth["stripe"][ledger.StatePending] != n-n/3 {
		t.Errorf("QueueDepth() = %+v, %v", qd, err)
	}
	if waiting, _, err := db.OutboxStats(ctx); err != nil || waiting != 0 {
		t.Errorf("OutboxStats() = %d, %v", waiting, err)
	}
}

func TestHealthUntilClose(t *testing.T) {
	t.Parallel()
	db, _ := openFresh(t)
	ctx := context.Background()
	if err := db.Health(ctx); err != nil {
		t.Fatalf("Health() = %v", err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping() = %v", err)
	}
	db.Close()
	if err := db.Health(ctx); err != ledger.ErrClosed {
		t.Errorf("Health() after Close = %v, want ErrClosed", err)
	}
}
