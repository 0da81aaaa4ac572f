package ledgertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// testTrafficCountsLiveEventsOncePerHour: traffic counts live events per
// hour, folded or not yet folded, each once however often it is folded,
// and forgets hours past ledger.TrafficKeep.
func testTrafficCountsLiveEventsOncePerHour(t *testing.T, d Driver) {
	ctx := context.Background()
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	clock := NewClock(start)
	db := d.Open(t, clock.Now)
	record := func(id string, origin ledger.Origin) {
		t.Helper()
		ev := NewEvent(id)
		ev.Origin = origin
		if _, err := db.Record(ctx, ev, nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		clock.Set(start.Add(time.Duration(i) * 10 * time.Minute))
		record(fmt.Sprintf("evt_a%d", i), ledger.OriginWebhook)
	}
	clock.Set(start.Add(90 * time.Minute))
	record("evt_b0", ledger.OriginWebhook)
	record("evt_backfilled", ledger.OriginReconcile)
	if err := db.FoldTraffic(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Set(start.Add(100 * time.Minute))
	record("evt_b1", ledger.OriginWebhook) // not folded yet
	h := start.Unix() / 3600
	check := func(when string) {
		t.Helper()
		tr, err := db.Traffic(ctx, start.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		st := tr["stripe"]
		if st == nil || len(tr) != 1 {
			t.Fatalf("%s: Traffic() = %v, want stripe alone", when, tr)
		}
		if st.Hours[h] != 3 || st.Hours[h+1] != 2 || len(st.Hours) != 2 {
			t.Errorf("%s: hours = %v, want {%d: 3, %d: 2}", when, st.Hours, h, h+1)
		}
		if !st.FirstAt.Equal(start) || !st.LastAt.Equal(start.Add(100*time.Minute)) {
			t.Errorf("%s: first, last = %v, %v, want %v, %v", when, st.FirstAt, st.LastAt, start, start.Add(100*time.Minute))
		}
	}
	check("with an unfolded tail")
	for range 2 {
		if err := db.FoldTraffic(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check("after folding twice")
	clock.Set(start.Add(3 * time.Hour)) // past any lag a backend folds behind
	for range 2 {
		if err := db.FoldTraffic(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check("after folding everything")

	// Hours older than what is kept are forgotten at the next fold.
	clock.Set(start.Add(ledger.TrafficKeep + 2*time.Hour))
	if err := db.FoldTraffic(ctx); err != nil {
		t.Fatal(err)
	}
	tr, err := db.Traffic(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tr["stripe"].Hours); n != 0 {
		t.Errorf("hours kept past TrafficKeep = %d, want 0", n)
	}
	if !tr["stripe"].LastAt.Equal(start.Add(100 * time.Minute)) {
		t.Errorf("last event forgotten with its hour: %v", tr["stripe"].LastAt)
	}
}

var trafficCases = []testCase{
	{"TrafficCountsLiveEventsOncePerHour", testTrafficCountsLiveEventsOncePerHour},
}
