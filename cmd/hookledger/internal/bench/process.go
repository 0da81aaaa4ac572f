package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/handler"
	"github.com/hookledger/hookledger/sources/stripe"
)

// fillWriters is how many goroutines record events when filling a ledger
// before a timed phase: enough to keep the group commit's batches full.
const fillWriters = 64

// processResult is the processor phase: one drain of Events pending events
// into a local downstream that answers 200 at once.
type processResult struct {
	Backend      string  `json:"backend"`
	Events       int     `json:"events"`
	Workers      int     `json:"workers"`
	Processed    int     `json:"processed"`
	Downstream   int64   `json:"downstream_requests"` // POSTs the downstream received
	Seconds      float64 `json:"seconds"`
	EventsPerSec float64 `json:"events_per_sec"`
	FillPerSec   float64 `json:"fill_per_sec"` // untimed setup: Record from 64 goroutines, for reference
}

// benchProcess records n events in the fresh ledger st, then times one
// Drain of them through the Forward handler into an httptest downstream.
// Every event must be processed exactly once.
func benchProcess(ctx context.Context, st *store, pool *eventPool, n, workers int) (processResult, error) {
	res := processResult{Backend: st.backend, Events: n, Workers: workers}
	db, err := st.open(ctx)
	if err != nil {
		return res, err
	}
	defer db.Close()
	fill, err := fillLedger(ctx, db, pool, n)
	if err != nil {
		return res, err
	}
	res.FillPerSec = float64(n) / fill.Seconds()

	var hits atomic.Int64
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer down.Close()
	fwd, err := handler.NewForward(handler.ForwardConfig{URL: down.URL, Conns: workers})
	if err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	proc, err := ledger.NewProcessor(db, fwd, ledger.ProcessorConfig{Workers: workers, Logger: discardLogger()})
	if err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	start := time.Now()
	stats, err := proc.Drain(ctx)
	elapsed := time.Since(start)
	res.Processed, res.Downstream, res.Seconds = stats.Processed, hits.Load(), elapsed.Seconds()
	res.EventsPerSec = float64(stats.Processed) / elapsed.Seconds()
	if err != nil {
		return res, fmt.Errorf("bench: drain: %w", err)
	}
	if stats.Processed != n || res.Downstream != int64(n) {
		return res, fmt.Errorf("bench: processor: %d events, %d processed, %d delivered downstream: want each once",
			n, stats.Processed, res.Downstream)
	}
	return res, nil
}

// fillLedger records pool events 0..n-1 (pending) through Record from
// fillWriters goroutines and returns how long it took.
func fillLedger(ctx context.Context, db app.Ledger, pool *eventPool, n int) (time.Duration, error) {
	start := time.Now()
	var next atomic.Int64
	errs := make(chan error, fillWriters)
	var wg sync.WaitGroup
	for range fillWriters {
		wg.Go(func() {
			buf := make([]byte, len(pool.tmpl))
			for seq := int(next.Add(1) - 1); seq < n; seq = int(next.Add(1) - 1) {
				ev := &ledger.Event{Source: stripe.Name, EventID: pool.eventID(seq), Type: "invoice.paid",
					Payload: pool.render(buf, seq), CreatedAt: time.Unix(pool.timestamp, 0)}
				if _, err := db.Record(ctx, ev, nil); err != nil {
					errs <- fmt.Errorf("bench: fill ledger: %w", err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return time.Since(start), <-errs
}
