package ledgertest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// testLeaseHasOneHolder: of two handles on one store (two processes), one
// holds a lease at a time; it renews it, releases it, and loses it once
// it expires unrenewed.
func testLeaseHasOneHolder(t *testing.T, d Driver) {
	ctx := context.Background()
	a := d.open(t)
	b := d.Share(t, a, nil)
	const ttl = time.Second
	take := func(db Backend, holder string, want bool) {
		t.Helper()
		if got, err := db.TakeLease(ctx, "scheduler", holder, ttl); err != nil || got != want {
			t.Fatalf("TakeLease(%s) = %v, %v; want %v", holder, got, err, want)
		}
	}
	take(a, "A", true)
	take(b, "B", false)
	take(a, "A", true) // renewed
	if got, err := a.TakeLease(ctx, "other", "B", ttl); err != nil || !got {
		t.Fatalf("TakeLease(another name) = %v, %v; want it free", got, err)
	}
	if err := b.ReleaseLease(ctx, "scheduler", "B"); err != nil { // not B's: nothing happens
		t.Fatal(err)
	}
	take(b, "B", false)
	if err := a.ReleaseLease(ctx, "scheduler", "A"); err != nil {
		t.Fatal(err)
	}
	take(b, "B", true)
	take(a, "A", false)
	time.Sleep(ttl + 200*time.Millisecond) // B stops renewing
	take(a, "A", true)
	take(b, "B", false)
	if _, err := a.TakeLease(ctx, "scheduler", "", ttl); err == nil {
		t.Error("TakeLease(no holder) succeeded")
	}
}

// testLeaseRaceHasOneWinner: many holders taking a free lease at once on
// two handles: exactly one gets it.
func testLeaseRaceHasOneWinner(t *testing.T, d Driver) {
	ctx := context.Background()
	a := d.open(t)
	dbs := []Backend{a, d.Share(t, a, nil)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var winners []string
	start := make(chan struct{})
	for i := range 8 {
		wg.Go(func() {
			<-start
			holder := fmt.Sprint("h", i)
			ok, err := dbs[i%2].TakeLease(ctx, "race", holder, time.Minute)
			if err != nil {
				t.Errorf("TakeLease(%s) error = %v", holder, err)
			}
			if ok {
				mu.Lock()
				winners = append(winners, holder)
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 {
		t.Errorf("lease taken by %v, want exactly one holder", winners)
	}
}

// testTickIsClaimedOnce: a job's tick is claimed by one holder on either
// handle; an older tick cannot be claimed after a newer one.
func testTickIsClaimedOnce(t *testing.T, d Driver) {
	ctx := context.Background()
	a := d.open(t)
	b := d.Share(t, a, nil)
	tick := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	claim := func(db Backend, job string, at time.Time, holder string, want bool) {
		t.Helper()
		if got, err := db.ClaimTick(ctx, job, at, holder); err != nil || got != want {
			t.Fatalf("ClaimTick(%s, %v, %s) = %v, %v; want %v", job, at, holder, got, err, want)
		}
	}
	claim(a, "reconcile", tick, "A", true)
	claim(b, "reconcile", tick, "B", false)
	claim(a, "reconcile", tick, "A", false) // a tick runs once, whoever asks
	claim(b, "alerts", tick, "B", true)     // jobs apart
	claim(b, "reconcile", tick.Add(time.Minute), "B", true)
	claim(a, "reconcile", tick.Add(30*time.Second), "A", false)
}

var leaseCases = []testCase{
	{"TickIsClaimedOnce", testTickIsClaimedOnce},
	{"LeaseHasOneHolder", testLeaseHasOneHolder},
	{"LeaseRaceHasOneWinner", testLeaseRaceHasOneWinner},
}
