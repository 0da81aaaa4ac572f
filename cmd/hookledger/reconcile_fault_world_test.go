package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/reconcile"
	"github.com/hookledger/hookledger/sources/github/githubtest"
	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

// The world the fault tests break: one provider, its fake API with a
// fault plan, and the checks every run must pass.

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

// newStripeFaultWorld is newReconcileWorldOn for Stripe alone, its
// ledger the one dsn names.
func newStripeFaultWorld(t *testing.T, dsn string) *faultWorld {
	t.Helper()
	w := newReconcileWorldOn(t, dsn, faultEvents, 0)
	return &faultWorld{reconcileWorld: w, source: "stripe", stripe: w.stripeFake,
		dropped: w.stripeDropped, events: faultEvents + len(w.stripeForged)}
}

// newGitHubFaultWorld is newReconcileWorldOn for GitHub alone, its ledger
// the one dsn names, with a fake built with opts and a strict token.
func newGitHubFaultWorld(t *testing.T, dsn string, opts ...githubtest.Option) *faultWorld {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	gf := githubtest.NewServer(append([]githubtest.Option{githubtest.WithSeed(7), githubtest.WithToken(faultGitHubToken)}, opts...)...)
	t.Cleanup(gf.Close)
	down := newCountingApp(t)
	w := &reconcileWorld{dsn: dsn, down: down, vars: map[string]string{
		"GITHUB_WEBHOOK_SECRET": e2eGitHubSecret,
		"GITHUB_TOKEN":          faultGitHubToken,
		"GITHUB_API_URL":        gf.URL,
	}}
	w.vars["HOOKLEDGER_DB"], w.vars["HOOKLEDGER_FORWARD_URL"] = w.dsn, down.srv.URL
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

// fire reports whether the request r (a list request when isList) fails.
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

// fresh returns a plan with p's settings and nothing injected yet (and no
// stop), for one run of a case.
func (p *faultPlan) fresh() *faultPlan {
	return &faultPlan{listOnly: p.listOnly, after: p.after, total: p.total, perReq: p.perReq, every: p.every,
		stopAfter: p.stopAfter}
}

// count returns how many faults were injected so far.
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
		w.github.SetFaultFunc(nil)
	default:
		w.github.SetFaultFunc(func(_ int64, r *http.Request) githubtest.Fault {
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

// reportKeys are the REPORT fields docs/design.md promises scripts.
var reportKeys = []string{"source", "since", "until", "expected", "in_ledger", "missing", "backfilled",
	"redelivered", "still_missing", "unknown", "pending", "stuck", "dead", "missing_ids", "unknown_ids",
	"error", "complete"}

// reconcile runs `hookledger reconcile --json args…` under ctx (bounded
// by faultRunBound) and checks what every run must do whatever the fault:
// one {"runs": [REPORT]} document on stdout, for this world's source, and
// no secret in stdout, stderr or the error.
func (w *faultWorld) reconcile(ctx context.Context, t *testing.T, args ...string) faultRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, faultRunBound)
	defer cancel()
	env, stdout, stderr := testEnv(w.vars)
	err := runWith(ctx, env, append([]string{"reconcile", "--json"}, args...))
	var errText bytes.Buffer
	code := app.ExitCode(err, &errText)
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
	if r.code != app.ExitOK || !rep.Complete || rep.Error != "" || rep.StoppedAt != nil || rep.Missing != len(w.dropped) ||
		rep.Backfilled != len(w.dropped) || rep.StillMissing != 0 {
		t.Errorf("reconcile = exit %d, %s, complete %v, error %q, stopped_at %v; want exit 0, complete, %d missing and backfilled",
			r.code, counts(rep), rep.Complete, rep.Error, rep.StoppedAt, len(w.dropped))
	}
	if !reflect.DeepEqual(sorted(rep.MissingIDs), sorted(w.dropped)) {
		t.Errorf("missing ids = %v, want the dropped ones %v", sorted(rep.MissingIDs), sorted(w.dropped))
	}
}

// checkProcessedOnce runs the processor (reconcile leaves what it
// backfilled pending for it) and checks that every event of the world, the dropped ones
// included, went downstream exactly once.
func (w *faultWorld) checkProcessedOnce(t *testing.T) {
	t.Helper()
	runProcessCmd(t, w.vars)
	w.down.checkEachOnce(t, w.events)
	for _, id := range w.dropped {
		if n := w.down.count(id); n != 1 {
			t.Errorf("dropped event %s forwarded %d times, want once", id, n)
		}
	}
}

// checkIncomplete checks a run that could not list its window: exit 1, not
// complete, an error and where it stopped, recorded so in the ledger, and
// no missing event that was not really dropped. A run that failed before
// it listed anything (early) stopped at the window's end: nothing checked.
func (w *faultWorld) checkIncomplete(t *testing.T, r faultRun, early bool) {
	t.Helper()
	rep := r.rep
	if r.code != app.ExitError || rep.Complete || rep.Error == "" || !rep.Gaps() {
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

// openLedger opens the world's ledger, closed when the test ends.
func (w *faultWorld) openLedger(t *testing.T) app.Ledger {
	t.Helper()
	return openTestLedger(t, w.dsn)
}
