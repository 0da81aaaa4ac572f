package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
)

// testStart is where the tests' clocks start.
var testStart = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// counter is a Handler that counts deliveries per event id and fails the
// way fail says.
type counter struct {
	mu   sync.Mutex
	seen map[string]int
	fail func(d ledger.Delivery) error
}

func (c *counter) Handle(ctx context.Context, d ledger.Delivery) error {
	c.mu.Lock()
	if c.seen == nil {
		c.seen = map[string]int{}
	}
	c.seen[d.Event.EventID]++
	c.mu.Unlock()
	if c.fail != nil {
		return c.fail(d)
	}
	return nil
}

func (c *counter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.seen {
		n += v
	}
	return n
}

func (c *counter) count(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[id]
}

func newTestProcessor(tb testing.TB, db *ledger.DB, h ledger.Handler, cfg ledger.ProcessorConfig) *ledger.Processor {
	tb.Helper()
	if cfg.RetryBase == 0 {
		cfg.RetryBase = time.Millisecond
	}
	p, err := ledger.NewProcessor(db, h, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestDrainDeliversEachOnce(t *testing.T) {
	db := ledgertest.OpenSQLite(t)
	base := time.Now().Add(-time.Hour)
	var evs []*ledger.Event
	for i := range 50 {
		evs = append(evs, ledgertest.RecordAt(t, db, "stripe", fmt.Sprintf("evt_%d", i), base.Add(time.Duration(i)*time.Second)))
	}
	h := &counter{}
	stats, err := newTestProcessor(t, db, h, ledger.ProcessorConfig{Workers: 4, Batch: 3}).Drain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Processed != 50 || stats.Claimed != 50 {
		t.Errorf("Drain() = %+v, want 50 claimed and processed", stats)
	}
	for _, ev := range evs {
		if n := h.count(ev.EventID); n != 1 {
			t.Errorf("%s delivered %d times, want 1", ev.EventID, n)
		}
		if got := ledgertest.ReadEvent(t, db, ev.ID); got.State != ledger.StateProcessed || got.Attempts != 1 {
			t.Errorf("%s = %+v, want processed after 1 attempt", ev.EventID, got)
		}
	}
}

func TestRetriesUntilDead(t *testing.T) {
	clock := ledgertest.NewClock(testStart)
	db := ledgertest.OpenSQLiteWith(t, ledger.Options{Now: clock.Now})
	ev := ledgertest.RecordAt(t, db, "stripe", "evt_1", clock.Now())
	h := &counter{fail: func(ledger.Delivery) error { return errors.New("downstream down") }}
	p := newTestProcessor(t, db, h, ledger.ProcessorConfig{MaxAttempts: 3, RetryBase: time.Minute, Rand: func() float64 { return 0.5 }, Now: clock.Now})
	var nexts []int64
	for range 4 {
		if _, err := p.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		nexts = append(nexts, ledgertest.ReadEvent(t, db, ev.ID).NextAttemptAt.UnixMilli()-clock.Now().UnixMilli())
		clock.Add(time.Hour)
	}
	if h.count("evt_1") != 3 {
		t.Errorf("delivered %d times, want 3", h.count("evt_1"))
	}
	got := ledgertest.ReadEvent(t, db, ev.ID)
	if got.State != ledger.StateDead || got.LastError != "attempt 3 of 3: downstream down" {
		t.Errorf("event = %+v, want dead with the last error", got)
	}
	if want := fmt.Sprint([]int64{60000, 120000}); fmt.Sprint(nexts[:2]) != want {
		t.Errorf("retry delays (ms) = %v, want %s", nexts[:2], want)
	}
	if o, want := fmt.Sprint(ledgertest.Outcomes(t, db, ev.ID)), "[1:webhook:retry 2:webhook:retry 3:webhook:dead]"; o != want {
		t.Errorf("attempts = %s, want %s", o, want)
	}
}

func TestRetryAfterReplacesBackoff(t *testing.T) {
	clock := ledgertest.NewClock(testStart)
	db := ledgertest.OpenSQLiteWith(t, ledger.Options{Now: clock.Now})
	ev := ledgertest.RecordAt(t, db, "stripe", "evt_1", clock.Now())
	asks := []time.Duration{1500 * time.Microsecond, 90 * time.Second, 5 * time.Hour, -time.Second}
	h := &counter{fail: func(d ledger.Delivery) error {
		if d.Attempt > len(asks) {
			return nil
		}
		return ledger.RetryAfter(errors.New("busy"), asks[d.Attempt-1])
	}}
	p := newTestProcessor(t, db, h, ledger.ProcessorConfig{RetryBase: time.Minute, RetryMax: time.Hour, Rand: func() float64 { return 0.5 }, Now: clock.Now})
	var nexts []int64
	for range 3 {
		if _, err := p.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		nexts = append(nexts, ledgertest.ReadEvent(t, db, ev.ID).NextAttemptAt.UnixMilli()-clock.Now().UnixMilli())
		clock.Add(2 * time.Hour)
	}
	// As asked, rounded up to the ledger's millisecond; capped at RetryMax.
	if got, want := fmt.Sprint(nexts), fmt.Sprint([]int64{2, 90000, 3600000}); got != want {
		t.Errorf("retry delays (ms) = %s, want %s", got, want)
	}
	// A delay in the past is due at once: the same drain retries it.
	if _, err := p.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := ledgertest.ReadEvent(t, db, ev.ID); got.State != ledger.StateProcessed || h.count("evt_1") != 5 {
		t.Errorf("after Retry-After -1s: %s after %d deliveries, want processed after 5", got.State, h.count("evt_1"))
	}
}

func TestPermanentErrorIsDeadAtOnce(t *testing.T) {
	db := ledgertest.OpenSQLite(t)
	ev := ledgertest.RecordAt(t, db, "github", "guid-1", time.Now())
	h := &counter{fail: func(ledger.Delivery) error { return ledger.Permanent(errors.New("rejected: 400")) }}
	stats, err := newTestProcessor(t, db, h, ledger.ProcessorConfig{}).Drain(context.Background())
	if err != nil || stats.Dead != 1 {
		t.Fatalf("Drain() = %+v, %v; want 1 dead", stats, err)
	}
	if got := ledgertest.ReadEvent(t, db, ev.ID); got.State != ledger.StateDead || got.LastError != "rejected: 400" {
		t.Errorf("event = %+v, want dead with the reason", got)
	}
}

func TestPanicIsRetried(t *testing.T) {
	db := ledgertest.OpenSQLite(t)
	ev := ledgertest.RecordAt(t, db, "s", "e1", time.Now())
	h := ledger.HandlerFunc(func(context.Context, ledger.Delivery) error { panic("bad handler") })
	if _, err := newTestProcessor(t, db, h, ledger.ProcessorConfig{}).Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := ledgertest.ReadEvent(t, db, ev.ID); got.State != ledger.StateFailed || got.LastError != "handler panic: bad handler" {
		t.Errorf("event = %+v, want failed with the panic", got)
	}
}

func TestConcurrentDuplicatesDeliverOnce(t *testing.T) {
	db := ledgertest.OpenSQLite(t)
	var wg sync.WaitGroup
	var fresh atomic.Int32
	for range 50 {
		wg.Go(func() {
			ev := &ledger.Event{Source: "stripe", EventID: "evt_dup", Payload: []byte(`{}`), CreatedAt: time.Now()}
			isNew, err := db.Record(context.Background(), ev, &ledger.Receipt{Status: 200})
			if err != nil {
				t.Error(err)
			}
			if isNew {
				fresh.Add(1)
			}
		})
	}
	wg.Wait()
	h := &counter{}
	if _, err := newTestProcessor(t, db, h, ledger.ProcessorConfig{Workers: 8}).Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fresh.Load() != 1 || h.count("evt_dup") != 1 {
		t.Errorf("new records = %d, deliveries = %d; want 1 and 1", fresh.Load(), h.count("evt_dup"))
	}
}

func TestRunWakesOnRecord(t *testing.T) {
	db := ledgertest.OpenSQLite(t)
	delivered := make(chan string, 1)
	h := ledger.HandlerFunc(func(_ context.Context, d ledger.Delivery) error {
		delivered <- d.Event.EventID
		return nil
	})
	// A long poll: only the Recorded signal can wake the processor in time.
	p := newTestProcessor(t, db, h, ledger.ProcessorConfig{Poll: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	ledgertest.RecordAt(t, db, "stripe", "evt_live", time.Now())
	select {
	case id := <-delivered:
		if id != "evt_live" {
			t.Errorf("delivered %q, want evt_live", id)
		}
	case <-time.After(10 * time.Second):
		t.Error("the event was not delivered")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run() = %v, want nil", err)
	}
}

// blockingHandler signals each start and blocks until unblock closes or
// its context ends.
func blockingHandler(started chan<- struct{}, unblock <-chan struct{}) ledger.Handler {
	return ledger.HandlerFunc(func(ctx context.Context, _ ledger.Delivery) error {
		started <- struct{}{}
		select {
		case <-unblock:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}

func TestShutdownReleasesInFlight(t *testing.T) {
	db := ledgertest.OpenSQLite(t)
	ev := ledgertest.RecordAt(t, db, "stripe", "evt_1", time.Now())
	started := make(chan struct{}, 1)
	p := newTestProcessor(t, db, blockingHandler(started, nil), ledger.ProcessorConfig{Grace: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	<-started
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	if got := ledgertest.ReadEvent(t, db, ev.ID); got.State != ledger.StatePending || got.Attempts != 0 {
		t.Errorf("event after shutdown = %+v, want pending with 0 attempts", got)
	}
	if o, want := fmt.Sprint(ledgertest.Outcomes(t, db, ev.ID)), "[1:webhook:released]"; o != want {
		t.Errorf("attempts = %s, want %s", o, want)
	}
}

func TestShutdownLetsInFlightFinish(t *testing.T) {
	db := ledgertest.OpenSQLite(t)
	ev := ledgertest.RecordAt(t, db, "stripe", "evt_1", time.Now())
	started, unblock := make(chan struct{}, 1), make(chan struct{})
	p := newTestProcessor(t, db, blockingHandler(started, unblock), ledger.ProcessorConfig{Grace: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	<-started
	cancel()
	close(unblock) // finishes within the grace period
	if err := <-done; err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	if got := ledgertest.ReadEvent(t, db, ev.ID); got.State != ledger.StateProcessed {
		t.Errorf("event after shutdown = %+v, want processed", got)
	}
}

func TestNewProcessorRejectsNilHandler(t *testing.T) {
	if _, err := ledger.NewProcessor(ledgertest.OpenSQLite(t), nil, ledger.ProcessorConfig{}); err == nil {
		t.Error("NewProcessor(nil handler) = nil error, want an error")
	}
}
