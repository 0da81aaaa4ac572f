package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/sources/github/githubtest"
	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

// Provider faults during reconcile (issue 7): the real `reconcile --json`
// against each fake API, broken mid-listing. A run either completes, with
// every dropped event backfilled and processed once, or exits 1 saying it
// is not complete, and leaves the watermark where it was. Every case runs
// on each ledger backend (eachLedger).

func TestReconcileFaultRecovers(t *testing.T) {
	stripeWorld := newStripeFaultWorld
	githubWorld := func(t *testing.T, dsn string) *faultWorld { return newGitHubFaultWorld(t, dsn) }
	tests := []struct {
		name   string
		world  func(*testing.T, string) *faultWorld
		plan   *faultPlan // nil: no fault injected by plan
		stripe stripetest.Fault
		github githubtest.Fault
		slow   time.Duration // Stripe latency on every page
	}{
		{name: "stripe 429 storm", world: stripeWorld, plan: &faultPlan{after: 1, total: 8, perReq: 2},
			stripe: stripetest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second}},
		{name: "stripe intermittent 500s", world: stripeWorld, plan: &faultPlan{after: 1, total: 4, perReq: 1, every: 2},
			stripe: stripetest.Fault{Status: http.StatusInternalServerError}},
		{name: "stripe slow pages", world: stripeWorld, plan: &faultPlan{listOnly: true, after: 2, total: 1},
			stripe: stripetest.Fault{Latency: 1500 * time.Millisecond}, slow: 100 * time.Millisecond},
		{name: "stripe connection cut mid-page", world: stripeWorld, plan: &faultPlan{listOnly: true, after: 1, total: 1},
			stripe: stripetest.Fault{Cut: true}},
		{name: "github 429 storm", world: githubWorld, plan: &faultPlan{after: 1, total: 4, perReq: 2},
			github: githubtest.FaultRateLimit},
		{name: "github intermittent 500s", world: githubWorld, plan: &faultPlan{after: 1, total: 4, perReq: 1, every: 2},
			github: githubtest.FaultServer},
		{name: "github slow pages", world: func(t *testing.T, dsn string) *faultWorld {
			return newGitHubFaultWorld(t, dsn, githubtest.WithLatency(100*time.Millisecond))
		}},
		{name: "github connection cut mid-page", world: githubWorld, plan: &faultPlan{listOnly: true, after: 1, total: 1},
			github: githubtest.FaultCut},
		{name: "github secondary rate limit", world: githubWorld, plan: &faultPlan{after: 1, total: 2, perReq: 1},
			github: githubtest.FaultSecondary},
		{name: "github primary rate limit", world: githubWorld, plan: &faultPlan{after: 1, total: 2, perReq: 1},
			github: githubtest.FaultPrimary},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // the cases mostly wait out Retry-After
			eachLedger(t, func(t *testing.T, dsn string) {
				w := tc.world(t, dsn)
				if tc.slow > 0 {
					w.stripe.SetLatency(tc.slow)
				}
				var plan *faultPlan
				if tc.plan != nil {
					plan = tc.plan.fresh() // each backend's run counts its own faults
					w.inject(plan, tc.stripe, tc.github)
				}
				r := w.reconcile(t.Context(), t, "--since", "2d")
				w.checkRecovered(t, r)
				w.checkProcessedOnce(t)
				if plan != nil && plan.count() != plan.total {
					t.Errorf("the fake injected %d faults, want %d: the case did not test what it says", plan.count(), plan.total)
				}
			})
		})
	}
}

func TestReconcileFaultPersistent(t *testing.T) {
	stripeWorld := newStripeFaultWorld
	githubWorld := func(t *testing.T, dsn string) *faultWorld { return newGitHubFaultWorld(t, dsn) }
	// Retry-After past what the clients wait (Stripe 30s, GitHub 1m).
	githubPatient := func(t *testing.T, dsn string) *faultWorld {
		return newGitHubFaultWorld(t, dsn, githubtest.WithRetryAfter(600))
	}
	tests := []struct {
		name   string
		world  func(*testing.T, string) *faultWorld
		after  int // list pages that go through first
		stripe stripetest.Fault
		github githubtest.Fault
		cancel bool // the fault outlasts the retries: cancel the run after a few
		// early faults every request from the first, the Stripe scope
		// lookup included, instead of list pages after the first.
		early bool
	}{
		{name: "stripe 429 past max wait", world: stripeWorld, after: 3,
			stripe: stripetest.Fault{Status: http.StatusTooManyRequests, RetryAfter: 10 * time.Minute}},
		{name: "stripe 500 forever, run cancelled", world: stripeWorld, after: 2,
			stripe: stripetest.Fault{Status: http.StatusInternalServerError}, cancel: true},
		{name: "stripe fails from the first request", world: stripeWorld, early: true,
			stripe: stripetest.Fault{Status: http.StatusTooManyRequests, RetryAfter: 10 * time.Minute}},
		{name: "github fails from the first request", world: githubPatient, early: true, github: githubtest.FaultRateLimit},
		{name: "github 429 past max wait", world: githubPatient, after: 1, github: githubtest.FaultRateLimit},
		{name: "github secondary past max wait", world: githubPatient, after: 1, github: githubtest.FaultSecondary},
		{name: "github primary reset past max wait", world: githubPatient, after: 1, github: githubtest.FaultPrimary},
		{name: "github 500 forever, run cancelled", world: githubWorld, after: 1, github: githubtest.FaultServer,
			cancel: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachLedger(t, func(t *testing.T, dsn string) {
				w := tc.world(t, dsn)
				// A complete run over a window before every event sets the
				// watermark the failed run must leave alone.
				if r := w.reconcile(t.Context(), t, "--since", "70h", "--until", "50h"); r.code != app.ExitOK || !r.rep.Complete {
					t.Fatalf("baseline reconcile = exit %d, complete %v, error %q; want 0, complete", r.code, r.rep.Complete, r.rep.Error)
				}
				mark := w.watermark(t)

				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				plan := &faultPlan{listOnly: !tc.early, after: tc.after, total: -1}
				if tc.cancel {
					plan.stopAfter, plan.stop = 3, cancel
				}
				w.inject(plan, tc.stripe, tc.github)
				failed := w.reconcile(ctx, t, "--since", "2d")
				w.checkIncomplete(t, failed, tc.early)
				if plan.count() == 0 {
					t.Error("the fake injected no fault: the case did not test what it says")
				}
				if got := w.watermark(t); !got.Equal(mark) {
					t.Errorf("watermark after a failed run = %v, want it left at %v", got, mark)
				}

				// The next incremental run starts from the old watermark, so it
				// lists the failed run's window again and closes its gaps.
				w.inject(nil, stripetest.Fault{}, githubtest.FaultNone)
				next := w.reconcile(t.Context(), t)
				if next.code != app.ExitOK || !next.rep.Complete || next.rep.StillMissing != 0 || next.rep.Since.After(mark) ||
					failed.rep.Backfilled+next.rep.Backfilled != len(w.dropped) {
					t.Errorf("incremental run after the failure = exit %d, complete %v, since %v, %s; want 0, complete, since before %v, the rest of %d dropped backfilled",
						next.code, next.rep.Complete, next.rep.Since, counts(next.rep), mark, len(w.dropped))
				}
				w.checkProcessedOnce(t)
			})
		})
	}
}
