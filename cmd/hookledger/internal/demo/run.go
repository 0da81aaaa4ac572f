// Package demo is `hookledger demo`: the whole pipeline offline, on
// 127.0.0.1 only, against the built-in fake providers (stripetest,
// githubtest, paddletest) and a downstream app, wired by app.New exactly
// as serve wires it, and checked at the end against what the fakes say
// they did. Package main parses its flags into Options and calls Run.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/reconcile"
)

// Options are the demo's flags, and knobs a test sets to break the
// pipeline on purpose so it can see the closing checks catch it.
type Options struct {
	Seed    uint64
	Log     app.LogConfig
	DB      string // ledger path; "" for a temporary one removed at exit
	Keep    bool   // the ledger at db is kept
	Verbose bool
	Stay    bool // keep the status page open after the story, until interrupted

	size          demoSize // test knob: the zero value is demoFullSize
	skipReconcile bool     // test knob: never reconcile, so dropped events stay missing
	flaky         int      // test knob: the downstream processes this many events, then answers 500
}

const (
	// demoSettle bounds each wait for the processor to finish the queue.
	demoSettle = 45 * time.Second
	// demoRetryAfter is what the downstream app asks for while it is down
	// (Retry-After), and hookledger honours: it is also what keeps the
	// outage's story the same for a seed, since no retry comes back before
	// the app does.
	demoRetryAfter = 2 * time.Second
)

// Run runs the whole story: it starts the world, sends the traffic,
// reconciles twice, prints what happened and returns an error listing the
// checks that failed.
func Run(ctx context.Context, env *app.Env, opts Options) (err error) {
	if opts.size == (demoSize{}) {
		opts.size = FullSize
	}
	if !opts.Keep {
		dir, err := os.MkdirTemp("", "hookledger-demo-")
		if err != nil {
			return fmt.Errorf("create demo directory: %w", err)
		}
		defer os.RemoveAll(dir)
		opts.DB = filepath.Join(dir, "demo.db")
	}
	w, err := startDemoWorld(ctx, env, opts, newDemoLogger(env.Stderr, opts.Verbose, opts.Log))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, w.close()) }()

	o, err := w.play(ctx)
	if err != nil {
		return err
	}
	p := &demoPrinter{out: env.Stdout, w: w, o: o, opts: opts}
	checks := o.checks()
	if err := p.story(ctx, checks); err != nil {
		return err
	}
	if opts.Stay {
		fmt.Fprintf(env.Stdout, "\nThe status page stays at %s (token %s); Ctrl-C ends the demo.\n", w.adminURL, w.adminToken)
		<-ctx.Done()
	}
	return demoFailures(checks)
}

// play runs the story and gathers its outcome.
func (w *demoWorld) play(ctx context.Context) (*demoOutcome, error) {
	start := time.Now().UTC()
	t0 := start.Add(-demoSpan - time.Minute)
	rng := rand.New(rand.NewPCG(w.opts.Seed, w.opts.Seed^0xdec0de))
	tr := demoAddStripeEvents(w, rng, t0)
	demoAddPaddleEvents(w, rng, t0, tr)
	if err := w.sendTraffic(ctx, tr, t0); err != nil {
		return nil, err
	}
	w.noteGitHub(tr)
	if err := w.settle(ctx, demoSettle); err != nil {
		return nil, err
	}
	o := &demoOutcome{tr: tr, facts: map[string]demoFacts{}}
	if !w.opts.skipReconcile {
		since, until := start.Add(-time.Hour), time.Now().UTC()
		var err error
		if o.first, err = w.reconcile(ctx, since, until); err != nil {
			return nil, err
		}
		if err := w.settle(ctx, demoSettle); err != nil {
			return nil, err
		}
		if o.second, err = w.reconcile(ctx, since, until); err != nil {
			return nil, err
		}
	}
	return o, w.gather(ctx, o)
}

// sendTraffic sends the three phases. The downstream app goes down once
// the first phase is processed, stays down while the second arrives, and
// comes back once hookledger tried each of its events: which events the
// outage hits, and how often, is the seed's doing, not the scheduler's.
func (w *demoWorld) sendTraffic(ctx context.Context, tr *demoTraffic, t0 time.Time) error {
	for i := range demoPhases {
		if i == 1 {
			if err := w.settle(ctx, demoSettle); err != nil {
				return err
			}
			w.down.goDown()
		}
		if err := w.sendPhase(ctx, tr, i, t0); err != nil {
			return err
		}
		if i == 1 {
			if err := w.awaitTried(ctx, demoSettle); err != nil {
				return err
			}
			w.down.comeBack()
		}
	}
	return w.sendForgeries(ctx, tr)
}

// reconcile runs one backfill pass over [since, until) for every source,
// through the same Reconciler serve's jobs use, its reports going to the
// alerter.
func (w *demoWorld) reconcile(ctx context.Context, since, until time.Time) ([]reconcile.Report, error) {
	rec := w.app.Reconciler("demo", reconcile.Options{Mode: reconcile.ModeBackfill, IDLimit: 1000})
	reports, err := rec.RunAll(ctx, w.app.Provs.Reconcile, reconcile.Fixed(since, until))
	if err != nil {
		return reports, fmt.Errorf("demo: %w", err)
	}
	return reports, nil
}

// gather reads the ledger and the downstream's record into o.
func (w *demoWorld) gather(ctx context.Context, o *demoOutcome) error {
	for _, src := range []struct {
		name string
		at   map[string]time.Time
	}{{"stripe", nil}, {"github", o.tr.githubAt}, {"paddle", nil}} {
		f, err := demoGatherFacts(ctx, w.app.DB, src.name, src.at)
		if err != nil {
			return err
		}
		o.facts[src.name] = f
	}
	o.down = w.down.record()
	return nil
}
