package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/reconcile"
	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/stripe"
	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

// reconcileResult is the reconcile phase against the fake Stripe API with
// no added latency: a backfill of an empty ledger, then a dry run that
// lists and diffs every event with a few missing.
type reconcileResult struct {
	Events           int     `json:"events"`              // events the fake lists in the window
	BackfillSeconds  float64 `json:"backfill_seconds"`    // first run: list, diff, record every event
	BackfillPerSec   float64 `json:"backfill_per_sec"`    // events recorded per second by the first run
	Missing          int     `json:"missing"`             // events added after the backfill, found missing by the dry run
	DiffSeconds      float64 `json:"diff_seconds"`        // second run: list and diff only
	DiffEventsPerSec float64 `json:"diff_events_per_sec"` // listed and diffed per second
	APIRequests      int64   `json:"api_requests"`        // requests the fake answered over both runs
}

// benchReconcile runs the reconcile phase on a fresh ledger in dir with n
// events in the fake. Both runs must find exactly what the fake holds.
func benchReconcile(ctx context.Context, dir string, n int) (reconcileResult, error) {
	res := reconcileResult{Events: n}
	fake := stripetest.NewServer()
	defer fake.Close()
	now := time.Now().UTC().Truncate(time.Second)
	w := sources.Window{Since: now.Add(-2 * time.Hour), Until: now.Add(-time.Hour)}
	types := []string{"invoice.paid", "customer.subscription.updated", "payment_intent.succeeded", "charge.succeeded"}
	extra := max(n/100, 1)
	fake.Generate(n-extra, w.Since, w.Until, types...)
	// The subscribed types are configured, as STRIPE_EVENT_TYPES would
	// set them, so the listing sends a types[] filter as a real deployment
	// scoped to its endpoint does.
	src, err := stripe.New(stripe.Config{APIKey: fake.APIKey(), APIBase: fake.URL, RPS: 1e6, EventTypes: types})
	if err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	db, err := app.OpenLedger(ctx, filepath.Join(dir, "reconcile.db"), app.OpenOptions{})
	if err != nil {
		return res, err
	}
	defer db.Close()

	rep, d, err := timedReconcile(ctx, db, src, w, reconcile.Options{Concurrency: fillWriters})
	res.BackfillSeconds, res.BackfillPerSec = d.Seconds(), float64(rep.Backfilled)/d.Seconds()
	if err != nil {
		return res, err
	}
	if rep.Backfilled != n-extra || !rep.Complete {
		return res, fmt.Errorf("bench: reconcile backfill: %d of %d events backfilled", rep.Backfilled, n-extra)
	}
	fake.Generate(extra, w.Since, w.Until, types...)
	rep, d, err = timedReconcile(ctx, db, src, w, reconcile.Options{DryRun: true})
	res.DiffSeconds, res.DiffEventsPerSec, res.Missing = d.Seconds(), float64(rep.Expected)/d.Seconds(), rep.Missing
	res.APIRequests = fake.Requests()
	if err != nil {
		return res, err
	}
	if rep.Expected != n || rep.Missing != extra || !rep.Complete {
		return res, fmt.Errorf("bench: reconcile dry run: expected %d, missing %d: want %d and %d",
			rep.Expected, rep.Missing, n, extra)
	}
	return res, nil
}

// timedReconcile runs one reconcile of src over w and times it.
func timedReconcile(ctx context.Context, db app.Ledger, src sources.Lister, w sources.Window, opts reconcile.Options) (reconcile.Report, time.Duration, error) {
	start := time.Now()
	rep, err := reconcile.New(db, opts, nil, nil).Run(ctx, src, w)
	d := time.Since(start)
	if err != nil {
		return rep, d, fmt.Errorf("bench: %w", err)
	}
	return rep, d, nil
}
