package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hookledger/ledger"
	"hookledger/reconcile"
	"hookledger/sources/github/githubtest"
	"hookledger/sources/stripe/stripetest"
)

// Provider faults during reconcile (issue 7): the real `reconcile --json`
// against each fake API, broken mid-listing. A run either completes, with
// every dropped event backfilled and processed once, or exits 1 saying it
// is not complete, and leaves the watermark where it was.

const (
	faultEvents      = 200 // per world; every world's events fit in the last 17 hours
	faultGitHubToken = "ghp_FaultTestToken0123456789abcdefABCD"
	faultRunBound    = 30 * time.Second // a run that hangs fails instead
)

// faultWorld is a reconcileWorld with one provider configured, whose fake
// API the test breaks.
type faultWorld struct {
	*reconcileWorld
	source  string
	stripe  *stripetest.Server
	github  *githubtest.Server
	dropped []string
	events  int // distinct events in the ledger once every dropped one is backfilled
}

// newStripeFaultWorld is newReconcileWorld for Stripe alone.
func newStripeFaultWorld(t *testing.T) *faultWorld {
	t.Helper()
	w := newReconcileWorld(t, faultEvents, 0)
	return &faultWorld{reconcileWorld: w, source: "stripe", stripe: w.stripeFake,
		dropped: w.stripeDropped, events: faultEvents + len(w.stripeForged)}
}

// newGitHubFaultWorld is newReconcileWorld for GitHub alone, with a fake
// built with opts and a strict token.
func newGitHubFaultWorld(t *testing.T, opts ...githubtest.Option) *faultWorld {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	gf := githubtest.NewServer(append([]githubtest.Option{githubtest.WithSeed(7), githubtest.WithToken(faultGitHubToken)}, opts...)...)
	t.Cleanup(gf.Close)
	down := &downstream{keys: map[string]int{}}
	ds := httptest.NewServer(down)
	t.Cleanup(ds.Close)
	w := &reconcileWorld{dbPath: filepath.Join(t.TempDir(), "ledger.db"), down: down, vars: map[string]string{
		"GITHUB_WEBHOOK_SECRET": e2eGitHubSecret,
		"GITHUB_TOKEN":          faultGitHubToken,
		"GITHUB_API_URL":        gf.URL,
	}}
	w.vars["HOOKLEDGER_DB"], w.vars["HOOKLEDGER_FORWARD_URL"] = w.dbPath, ds.URL
	hook := gf.AddRepoHook("octo", "shop", 4242, w.startReceiver(t)+"/webhooks/github", e2eGitHubSecret)
	w.vars["GITHUB_HOOKS"] = hook.String()
	res, err := gf.Send(ctx, hook, githubtest.Plan{Count: faultEvents, Step: 5 * time.Minute,
		DropRate: 0.05, DuplicateRate: 0.05, Forged: 3})
	if err != nil || res.Rejected != 0 || len(res.Dropped) == 0 {
		t.Fatalf("github Send() = %d rejected, %d dropped, %v; want some dropped, none rejected", res.Rejected, len(res.Dropped), err)
	}
	w.ghDropped, w.githubForged = res.Dropped, res.Forged
	return &faultWorld{reconcileWorld: w, source: "github", github: gf,
		dropped: res.Dropped, events: faultEvents + len(res.Forged)}
}

// faultPlan picks the API requests that fail: once after matching requests
// went through, the next matching ones (one in every, when every > 1) fail
// until total faults were injected, forever when total < 0, each distinct
// request at most perReq times when perReq > 0, so a retrying client gets
// through. listOnly matches only the list endpoint. After stopAfter faults
// it calls stop: the run is cancelled mid-retry, as a deadline or SIGTERM
// would, for a fault that outlasts the client's patience.
type faultPlan struct {
	listOnly                    bool
	after, total, perReq, every int
	stopAfter                   int
	stop                        context.CancelFunc

	mu             sync.Mutex
	seen, injected int
	hits           map[string]int
}

func (p *faultPlan) fire(r *http.Request, isList bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.listOnly && !isList {
		return false
	}
	p.seen++
	key := r.Method + " " + r.URL.RequestURI()
	switch {
	case p.seen <= p.after, p.total >= 0 && p.injected >= p.total,
		p.every > 1 && p.seen%p.every != 0, p.perReq > 0 && p.hits[key] >= p.perReq:
		return false
	}
	if p.hits == nil {
		p.hits = map[string]int{}
	}
	p.hits[key]++
	p.injected++
	if p.stop != nil && p.injected == p.stopAfter {
		p.stop()
	}
	return true
}

func (p *faultPlan) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.injected
}

// inject makes the world's fake answer the requests p picks with sf (Stripe)
// or gf (GitHub); a nil p removes every fault.
func (w *faultWorld) inject(p *faultPlan, sf stripetest.Fault, gf githubtest.Fault) {
	switch {
	case w.stripe != nil && p == nil:
		w.stripe.SetFaultFunc(nil)
	case w.stripe != nil:
		w.stripe.SetFaultFunc(func(_ int64, r *http.Request) stripetest.Fault {
			if p.fire(r, r.URL.Path == "/v1/events") {
				return sf
			}
			return stripetest.Fault{}
		})
	case p == nil:
		w.github.SetFaults(nil)
	default:
		w.github.SetFaults(func(_ int64, r *http.Request) githubtest.Fault {
			if p.fire(r, r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/deliveries")) {
				return gf
			}
			return githubtest.FaultNone
		})
	}
}

// faultRun is what one `reconcile --json` run printed and returned.
type faultRun struct {
	code int
	rep  reconcile.Report
}

// reportKeys are the REPORT fields DESIGN.md promises scripts.
var reportKeys = []string{"source", "since", "until", "expected", "in_ledger", "missing", "backfilled",
	"redelivered", "still_missing", "unknown", "pending", "stuck", "dead", "missing_ids", "unknown_ids",
	"error", "complete"}

// reconcile runs `hookledger reconcile --json args…` under ctx (bounded
// by faultRunBound) and checks what every run must do whatever the fault: one {"runs": [REPORT]}
// document on stdout, for this world's source, and no secret in stdout,
// stderr or the error.
func (w *faultWorld) reconcile(ctx context.Context, t *testing.T, args ...string) faultRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, faultRunBound)
	defer cancel()
	env, stdout, stderr := testEnv(w.vars)
	err := runWith(ctx, env, append([]string{"reconcile", "--json"}, args...))
	var errText bytes.Buffer
	code := exitCode(err, &errText)
	for k, v := range w.vars {
		if !strings.Contains(k, "SECRET") && !strings.Contains(k, "KEY") && !strings.Contains(k, "TOKEN") {
			continue
		}
		for name, out := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String(), "error": errText.String()} {
			if strings.Contains(out, v) {
				t.Errorf("reconcile %v: %s shows %s", args, name, k)
			}
		}
	}
	var doc map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(stdout.String()))
	if derr := dec.Decode(&doc); derr != nil || len(doc) != 1 || doc["runs"] == nil {
		t.Fatalf("reconcile %v stdout is not {\"runs\": […]} (%v): %q\nstderr: %s\nerr: %v", args, derr, stdout, stderr, err)
	}
	if rest, _ := io.ReadAll(dec.Buffered()); len(bytes.TrimSpace(rest)) > 0 {
		t.Fatalf("reconcile %v stdout has more than one JSON document: %q", args, rest)
	}
	var raw []map[string]json.RawMessage
	var reps []reconcile.Report
	if json.Unmarshal(doc["runs"], &raw) != nil || json.Unmarshal(doc["runs"], &reps) != nil || len(reps) != 1 || reps[0].Source != w.source {
		t.Fatalf("reconcile %v runs = %s, want one %s report", args, doc["runs"], w.source)
	}
	for _, k := range reportKeys {
		if _, ok := raw[0][k]; !ok {
			t.Errorf("reconcile %v report lacks %q", args, k)
		}
	}
	return faultRun{code: code, rep: reps[0]}
}

// checkRecovered checks a run that rode out its faults: exit 0, complete,
// every dropped event missing and backfilled.
func (w *faultWorld) checkRecovered(t *testing.T, r faultRun) {
	t.Helper()
	rep := r.rep
	if r.code != exitOK || !rep.Complete || rep.Error != "" || rep.StoppedAt != nil || rep.Missing != len(w.dropped) ||
		rep.Backfilled != len(w.dropped) || rep.StillMissing != 0 {
		t.Errorf("reconcile = exit %d, %s, complete %v, error %q, stopped_at %v; want exit 0, complete, %d missing and backfilled",
			r.code, counts(rep), rep.Complete, rep.Error, rep.StoppedAt, len(w.dropped))
	}
	if !reflect.DeepEqual(sorted(rep.MissingIDs), sorted(w.dropped)) {
		t.Errorf("missing ids = %v, want the dropped ones %v", sorted(rep.MissingIDs), sorted(w.dropped))
	}
}

// checkProcessedOnce checks that every event of the world, the dropped ones
// included, went downstream exactly once.
func (w *faultWorld) checkProcessedOnce(t *testing.T) {
	t.Helper()
	w.down.mu.Lock()
	defer w.down.mu.Unlock()
	if len(w.down.keys) != w.events {
		t.Errorf("downstream saw %d distinct events, want %d", len(w.down.keys), w.events)
	}
	for k, n := range w.down.keys {
		if n != 1 {
			t.Errorf("event %s forwarded %d times, want once", k, n)
		}
	}
	for _, id := range w.dropped {
		if w.down.keys[id] != 1 {
			t.Errorf("dropped event %s forwarded %d times, want once", id, w.down.keys[id])
		}
	}
}

func TestReconcileFaultRecovers(t *testing.T) {
	stripeWorld := newStripeFaultWorld
	githubWorld := func(t *testing.T) *faultWorld { return newGitHubFaultWorld(t) }
	tests := []struct {
		name   string
		world  func(*testing.T) *faultWorld
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
		{name: "github slow pages", world: func(t *testing.T) *faultWorld {
			return newGitHubFaultWorld(t, githubtest.WithLatency(100*time.Millisecond))
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
			w := tc.world(t)
			if tc.slow > 0 {
				w.stripe.SetLatency(tc.slow)
			}
			if tc.plan != nil {
				w.inject(tc.plan, tc.stripe, tc.github)
			}
			r := w.reconcile(t.Context(), t, "--since", "2d")
			w.checkRecovered(t, r)
			w.checkProcessedOnce(t)
			if tc.plan != nil && tc.plan.count() != tc.plan.total {
				t.Errorf("the fake injected %d faults, want %d: the case did not test what it says", tc.plan.count(), tc.plan.total)
			}
		})
	}
}

func TestReconcileFaultPersistent(t *testing.T) {
	stripeWorld := newStripeFaultWorld
	githubWorld := func(t *testing.T) *faultWorld { return newGitHubFaultWorld(t) }
	// Retry-After past what the clients wait (Stripe 30s, GitHub 1m).
	githubPatient := func(t *testing.T) *faultWorld { return newGitHubFaultWorld(t, githubtest.WithRetryAfter(600)) }
	tests := []struct {
		name   string
		world  func(*testing.T) *faultWorld
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
			w := tc.world(t)
			// A complete run over a window before every event sets the
			// watermark the failed run must leave alone.
			if r := w.reconcile(t.Context(), t, "--since", "70h", "--until", "50h"); r.code != exitOK || !r.rep.Complete {
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
			if next.code != exitOK || !next.rep.Complete || next.rep.StillMissing != 0 || next.rep.Since.After(mark) ||
				failed.rep.Backfilled+next.rep.Backfilled != len(w.dropped) {
				t.Errorf("incremental run after the failure = exit %d, complete %v, since %v, %s; want 0, complete, since before %v, the rest of %d dropped backfilled",
					next.code, next.rep.Complete, next.rep.Since, counts(next.rep), mark, len(w.dropped))
			}
			w.checkProcessedOnce(t)
		})
	}
}

// checkIncomplete checks a run that could not list its window: exit 1, not
// complete, an error and where it stopped, recorded so in the ledger, and
// no missing event that was not really dropped. A run that failed before
// it listed anything (early) stopped at the window's end: nothing checked.
func (w *faultWorld) checkIncomplete(t *testing.T, r faultRun, early bool) {
	t.Helper()
	rep := r.rep
	if r.code != exitError || rep.Complete || rep.Error == "" || !rep.Gaps() {
		t.Errorf("reconcile with a failing provider = exit %d, complete %v, error %q; want 1, not complete, an error",
			r.code, rep.Complete, rep.Error)
	}
	switch {
	case rep.StoppedAt == nil || rep.StoppedAt.Before(rep.Since) || rep.StoppedAt.After(rep.Until):
		t.Errorf("stopped_at = %v, want a time in [%v, %v]", rep.StoppedAt, rep.Since, rep.Until)
	case early && !rep.StoppedAt.Equal(rep.Until):
		t.Errorf("stopped_at = %v for a run that listed nothing, want the window's end %v", rep.StoppedAt, rep.Until)
	}
	if rep.Missing > len(w.dropped) || rep.Unknown != 0 {
		t.Errorf("interrupted run = %s; want at most %d missing and no unknown (unlisted is not unknown)", counts(rep), len(w.dropped))
	}
	for _, id := range rep.MissingIDs {
		if !slices.Contains(w.dropped, id) {
			t.Errorf("interrupted run reports %s missing, which was not dropped", id)
		}
	}
	db := w.openLedger(t)
	runs, err := db.RecentRuns(t.Context(), w.source, 1)
	if err != nil || len(runs) != 1 {
		t.Fatalf("RecentRuns(%s, 1) = %d runs, %v; want the failed one", w.source, len(runs), err)
	}
	if run := runs[0]; run.Complete || run.Error == "" || run.FinishedAt.IsZero() {
		t.Errorf("recorded run = complete %v, error %q, finished %v; want finished, not complete, with its error",
			run.Complete, run.Error, run.FinishedAt)
	}
}

// watermark returns the source's watermark, failing when it has none.
func (w *faultWorld) watermark(t *testing.T) time.Time {
	t.Helper()
	mark, ok, err := w.openLedger(t).Watermark(t.Context(), w.source)
	if err != nil || !ok {
		t.Fatalf("Watermark(%s) = %v, %v, %v; want one", w.source, mark, ok, err)
	}
	return mark
}

// openLedger opens the world's ledger file, closed when the test ends.
func (w *faultWorld) openLedger(t *testing.T) *ledger.DB {
	t.Helper()
	db, err := ledger.Open(t.Context(), w.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
