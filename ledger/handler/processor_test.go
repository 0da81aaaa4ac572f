package handler

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
)

// downstream is an httptest server that records every request and answers
// with status(n), n counting requests from 1.
type downstream struct {
	*httptest.Server
	mu     sync.Mutex
	keys   []string // Idempotency-Key of each request
	ok     map[string]int
	origin []string
	n      atomic.Int64
	status atomic.Value // func(n int64) int
}

func newDownstream(t testing.TB, status func(n int64) int) *downstream {
	d := &downstream{ok: map[string]int{}}
	d.status.Store(status)
	d.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := d.status.Load().(func(int64) int)(d.n.Add(1))
		d.mu.Lock()
		d.keys = append(d.keys, r.Header.Get("Idempotency-Key"))
		d.origin = append(d.origin, r.Header.Get("Hookledger-Origin"))
		if code < 300 {
			d.ok[r.Header.Get("Idempotency-Key")]++
		}
		d.mu.Unlock()
		w.WriteHeader(code)
		fmt.Fprintf(w, "status %d", code)
	}))
	t.Cleanup(d.Close)
	return d
}

func (d *downstream) delivered(id string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ok[id]
}

func record(tb testing.TB, db ledgertest.Backend, n int) []*ledger.Event {
	tb.Helper()
	base := time.Now().Add(-time.Hour)
	var evs []*ledger.Event
	for i := range n {
		ev := &ledger.Event{Source: "stripe", EventID: fmt.Sprintf("evt_%05d", i), Type: "invoice.paid",
			Payload: []byte(fmt.Sprintf(`{"id":"evt_%05d","object":"event"}`, i)), CreatedAt: base.Add(time.Duration(i) * time.Millisecond)}
		if _, err := db.Record(context.Background(), ev, nil); err != nil {
			tb.Fatal(err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// recordConcurrently records n events from many goroutines, so group
// commit batches them.
func recordConcurrently(tb testing.TB, db ledgertest.Backend, n int) {
	tb.Helper()
	base := time.Now().Add(-time.Hour)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				ev := &ledger.Event{Source: "stripe", EventID: fmt.Sprintf("evt_%07d", i), Type: "invoice.paid",
					Payload: []byte(fmt.Sprintf(`{"id":"evt_%07d","object":"event"}`, i)), CreatedAt: base.Add(time.Duration(i) * time.Millisecond)}
				if _, err := db.Record(context.Background(), ev, nil); err != nil {
					tb.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func newProcessor(tb testing.TB, db ledgertest.Backend, url string, cfg ledger.ProcessorConfig) *ledger.Processor {
	tb.Helper()
	f, err := NewForward(ForwardConfig{URL: url, Secret: "whsec_dGVzdA=="})
	if err != nil {
		tb.Fatal(err)
	}
	if cfg.RetryBase == 0 {
		cfg.RetryBase = time.Millisecond
	}
	p, err := ledger.NewProcessor(db, f, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// runUntil runs p until done reports true (checked on each poll), bounded
// at 30 seconds.
func runUntil(t *testing.T, db ledgertest.Backend, p *ledger.Processor, done func(qs *ledger.QueueStats) bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Run() = %v", err)
		}
	}()
	for range 3000 {
		qs, err := db.QueueStats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if done(qs) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the processor did not get there within 30s")
}

func TestFlakyDownstreamGetsEveryEvent(t *testing.T) {
	db := ledgertest.OpenSQLite(t)
	evs := record(t, db, 30)
	const failFirst = 7
	d := newDownstream(t, func(n int64) int {
		if n <= failFirst {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	p := newProcessor(t, db, d.URL, ledger.ProcessorConfig{Workers: 4})
	runUntil(t, db, p, func(qs *ledger.QueueStats) bool { return qs.Depth["stripe"][ledger.StateProcessed] == 30 })
	rows := 0
	for _, ev := range evs {
		if n := d.delivered(ev.EventID); n != 1 {
			t.Errorf("%s delivered %d times, want 1", ev.EventID, n)
		}
		as, err := db.Attempts(context.Background(), ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		rows += len(as)
		if last := as[len(as)-1]; last.Outcome != "processed" {
			t.Errorf("%s last attempt = %+v, want processed", ev.EventID, last)
		}
	}
	if rows != 30+failFirst {
		t.Errorf("attempt rows = %d, want %d", rows, 30+failFirst)
	}
}

func TestAlwaysFailingGoesDeadThenReplays(t *testing.T) {
	db := ledgertest.OpenSQLite(t)
	ev := record(t, db, 1)[0]
	d := newDownstream(t, func(int64) int { return http.StatusInternalServerError })
	p := newProcessor(t, db, d.URL, ledger.ProcessorConfig{MaxAttempts: 4})
	runUntil(t, db, p, func(qs *ledger.QueueStats) bool { return qs.Depth["stripe"][ledger.StateDead] == 1 })
	if n := d.n.Load(); n != 4 {
		t.Errorf("downstream saw %d requests, want 4", n)
	}
	got, err := db.Event(context.Background(), "stripe", ev.EventID)
	if err != nil || got.LastError != "attempt 4 of 4: forward: downstream answered 500: status 500" {
		t.Errorf("dead event = %+v, %v; want the last error kept", got, err)
	}

	d.status.Store(func(int64) int { return http.StatusOK }) // the downstream is fixed
	if _, err := db.Requeue(context.Background(), "stripe", ev.EventID); err != nil {
		t.Fatal(err)
	}
	r, err := p.ProcessOne(context.Background(), ev.ID)
	if err != nil || r.Outcome != ledger.AttemptProcessed {
		t.Fatalf("ProcessOne() after replay = %+v, %v; want processed", r, err)
	}
	if d.delivered(ev.EventID) != 1 || d.origin[len(d.origin)-1] != "replay" {
		t.Errorf("delivered %d times, last origin %q; want 1 and replay", d.delivered(ev.EventID), d.origin[len(d.origin)-1])
	}
	for i, k := range d.keys {
		if k != ev.EventID {
			t.Errorf("request %d Idempotency-Key = %q, want %q", i, k, ev.EventID)
		}
	}
}

func TestBadRequestIsDeadAtOnce(t *testing.T) {
	db := ledgertest.OpenSQLite(t)
	ev := record(t, db, 1)[0]
	d := newDownstream(t, func(int64) int { return http.StatusBadRequest })
	stats, err := newProcessor(t, db, d.URL, ledger.ProcessorConfig{}).Drain(context.Background())
	if err != nil || stats.Dead != 1 || d.n.Load() != 1 {
		t.Fatalf("Drain() = %+v, %v after %d requests; want 1 dead after 1", stats, err, d.n.Load())
	}
	got, err := db.Event(context.Background(), "stripe", ev.EventID)
	if err != nil || got.State != ledger.StateDead || got.LastError != "forward: downstream answered 400: status 400" {
		t.Errorf("event = %+v, %v; want dead with the status as reason", got, err)
	}
}

func TestKilledWorkerIsRedeliveredWithSameKey(t *testing.T) {
	clock := time.Now()
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	db := ledgertest.OpenSQLiteWith(t, ledger.Options{Now: now})
	ev := record(t, db, 1)[0]
	d := newDownstream(t, func(int64) int { return http.StatusOK })
	f, err := NewForward(ForwardConfig{URL: d.URL})
	if err != nil {
		t.Fatal(err)
	}
	// A worker claims the event, delivers it, and dies before settling.
	claims, err := db.Claim(context.Background(), ledger.ClaimOptions{Owner: "doomed", Limit: 1, Lease: time.Minute})
	if err != nil || len(claims) != 1 {
		t.Fatalf("Claim() = %d, %v", len(claims), err)
	}
	if err := f.Handle(context.Background(), claims[0].Delivery()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	clock = clock.Add(2 * time.Minute) // the lease runs out
	mu.Unlock()
	stats, err := newProcessor(t, db, d.URL, ledger.ProcessorConfig{Now: now}).Drain(context.Background())
	if err != nil || stats.Processed != 1 {
		t.Fatalf("Drain() = %+v, %v; want 1 processed", stats, err)
	}
	if len(d.keys) != 2 || d.keys[0] != ev.EventID || d.keys[1] != ev.EventID {
		t.Errorf("Idempotency-Keys = %v, want %s twice", d.keys, ev.EventID)
	}
	as, _ := db.Attempts(context.Background(), ev.ID)
	if len(as) != 2 || as[0].Outcome != "retry" || as[1].Outcome != "processed" || as[1].Attempt != 2 {
		t.Errorf("attempts = %+v, want the lost lease as retry then attempt 2 processed", as)
	}
}

func TestConcurrentDuplicatesAtIntakeDeliverOnce(t *testing.T) {
	db := ledgertest.OpenSQLite(t)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			ev := &ledger.Event{Source: "github", EventID: "guid-1", Payload: []byte(`{}`), CreatedAt: time.Now()}
			if _, err := db.Record(context.Background(), ev, &ledger.Receipt{Status: 202}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	d := newDownstream(t, func(int64) int { return http.StatusOK })
	if _, err := newProcessor(t, db, d.URL, ledger.ProcessorConfig{Workers: 8}).Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := d.n.Load(); n != 1 {
		t.Errorf("downstream saw %d requests, want 1", n)
	}
}

// BenchmarkProcessorForward measures processed events per second into a
// downstream on loopback that answers 200 at once. Run with -benchtime Nx:
// N events are recorded before the timer starts.
func BenchmarkProcessorForward(b *testing.B) {
	db := ledgertest.OpenSQLite(b)
	recordConcurrently(b, db, b.N)
	d := newDownstream(b, func(int64) int { return http.StatusOK })
	const workers = 32
	f, err := NewForward(ForwardConfig{URL: d.URL, Conns: workers})
	if err != nil {
		b.Fatal(err)
	}
	p, err := ledger.NewProcessor(db, f, ledger.ProcessorConfig{Workers: workers, Batch: 8 * workers})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	stats, err := p.Drain(context.Background())
	elapsed := time.Since(start)
	b.StopTimer()
	if err != nil || stats.Processed != b.N {
		b.Fatalf("Drain() = %+v, %v; want %d processed", stats, err, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
}
