package ledger_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
)

// Two processors on one ledger, as two processes would share it: the slow
// one claims far ahead of its one worker. While it lives, the other never
// takes its events for a dead worker's, so each is delivered once.
func TestLiveProcessorsLeasesAreNotReaped(t *testing.T) {
	db := ledgertest.OpenSQLite(t)
	const n = 8
	for i := range n {
		ledgertest.RecordAt(t, db, "stripe", fmt.Sprintf("evt_%d", i), time.Now())
	}
	slow := &counter{fail: func(ledger.Delivery) error { time.Sleep(250 * time.Millisecond); return nil }}
	fast := &counter{}
	ps := newTestProcessor(t, db, slow, ledger.ProcessorConfig{Owner: "slow", Workers: 1, Batch: n, Lease: time.Second})
	pf := newTestProcessor(t, db, fast, ledger.ProcessorConfig{Owner: "fast", Workers: 1, Lease: time.Second, Poll: 20 * time.Millisecond})
	// The slow processor claims everything before the fast one starts.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var stats ledger.ProcessorStats
	wg.Go(func() {
		var err error
		if stats, err = ps.Drain(ctx); err != nil {
			t.Error(err)
		}
		cancel()
	})
	for slow.total() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	wg.Go(func() { _ = pf.Run(ctx) })
	wg.Wait()
	for i := range n {
		id := fmt.Sprintf("evt_%d", i)
		if got := slow.count(id) + fast.count(id); got != 1 {
			t.Errorf("%s delivered %d times (slow %d, fast %d), want once", id, got, slow.count(id), fast.count(id))
		}
	}
	if stats.Processed != n || stats.Stale != 0 {
		t.Errorf("slow processor's Drain() = %+v, want %d processed, none stale", stats, n)
	}
}

func TestNewProcessorRejectsTimeoutPastLease(t *testing.T) {
	h := ledger.HandlerFunc(func(context.Context, ledger.Delivery) error { return nil })
	for _, to := range []time.Duration{time.Minute, 2 * time.Minute} {
		_, err := ledger.NewProcessor(ledgertest.OpenSQLite(t), h, ledger.ProcessorConfig{Lease: time.Minute, Timeout: to})
		if err == nil {
			t.Errorf("NewProcessor(lease 1m, timeout %s) = nil error, want an error", to)
		}
	}
}

// A slow but healthy handler, under any mix of workers, lease and attempt
// timeout the processor accepts: every event is delivered exactly once,
// after one attempt, and none goes dead.
func TestSlowHandlerAnyMixDeliversOnce(t *testing.T) {
	for _, workers := range []int{1, 2, 4} {
		for _, timeout := range []time.Duration{200 * time.Millisecond, 900 * time.Millisecond, 999 * time.Millisecond} {
			t.Run(fmt.Sprintf("workers %d, lease 1s, timeout %s", workers, timeout), func(t *testing.T) {
				t.Parallel()
				db := ledgertest.OpenSQLite(t)
				const n = 10
				for i := range n {
					ledgertest.RecordAt(t, db, "stripe", fmt.Sprintf("evt_%d", i), time.Now())
				}
				h := &counter{fail: func(ledger.Delivery) error { time.Sleep(150 * time.Millisecond); return nil }}
				p := newTestProcessor(t, db, h, ledger.ProcessorConfig{Workers: workers, Lease: time.Second, Timeout: timeout, MaxAttempts: 2})
				stats, err := p.Drain(context.Background())
				if err != nil || stats.Processed != n || stats.Claimed != n {
					t.Errorf("Drain() = %+v, %v; want %d claimed and processed, nothing else", stats, err, n)
				}
				for i := range n {
					if got := h.count(fmt.Sprintf("evt_%d", i)); got != 1 {
						t.Errorf("evt_%d delivered %d times, want once", i, got)
					}
				}
			})
		}
	}
}
