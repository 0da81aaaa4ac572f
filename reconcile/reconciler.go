package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
)

// Mode is what a run does about a missing event.
type Mode string

const (
	// ModeBackfill records the event from the provider's API (Fetch) with
	// origin reconcile; it then goes through the processor like any other.
	ModeBackfill Mode = "backfill"
	// ModeRedeliver asks the provider to send the event again; it then
	// arrives through the receiver. Providers without redelivery fall back
	// to backfill, with a warning in the report.
	ModeRedeliver Mode = "redeliver"
)

// ParseMode returns the Mode named s ("" is backfill), or an error naming
// the valid modes.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "", ModeBackfill:
		return ModeBackfill, nil
	case ModeRedeliver:
		return ModeRedeliver, nil
	}
	return "", fmt.Errorf("unknown mode %q (want backfill or redeliver)", s)
}

// Options tune a Reconciler. Zero fields take the defaults noted.
type Options struct {
	Mode          Mode          // default backfill
	DryRun        bool          // list and diff only: nothing in the ledger or at the provider changes
	Job           string        // recorded on the run: "manual", "reconcile", "deep"; default "manual"
	BatchSize     int           // listed events diffed per ledger query; default 500
	IDLimit       int           // ids kept per list in a report (counts stay exact); default 100
	StuckAfter    time.Duration // pending or failed longer than this is stuck; default 15m
	Overlap       time.Duration // an incremental run starts this long before the watermark; default DefaultOverlap
	RedeliverWait time.Duration // how long to wait for redelivered events to arrive; default 30s
	Concurrency   int           // parallel Fetch/Redeliver calls; default 8
	// Now is the run's clock (report times, the retention horizon, the
	// redelivery wait); default time.Now. Give the ledger's.
	Now func() time.Time
	// OnListed, when set, is called after each diffed batch with the number
	// of events listed so far for source.
	OnListed func(source string, listed int)
	// PublicURL is where providers reach this receiver
	// (HOOKLEDGER_PUBLIC_URL); an endpoint sending elsewhere than its
	// /webhooks/{source} is reported. "" compares nothing.
	PublicURL string
}

// DefaultOverlap is how far before its watermark an incremental run
// starts by default, so an event dated just before it is checked again.
const DefaultOverlap = time.Hour

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if o.Mode == "" {
		o.Mode = ModeBackfill
	}
	if o.Job == "" {
		o.Job = "manual"
	}
	o.BatchSize = orDefault(o.BatchSize, 500)
	o.IDLimit = orDefault(o.IDLimit, 100)
	o.Concurrency = orDefault(o.Concurrency, 8)
	o.StuckAfter = orDefault(o.StuckAfter, 15*time.Minute)
	o.Overlap = orDefault(o.Overlap, DefaultOverlap)
	o.RedeliverWait = orDefault(o.RedeliverWait, 30*time.Second)
	return o
}

// utcClock returns now (time.Now when nil) reading in UTC.
func utcClock(now func() time.Time) func() time.Time {
	if now == nil {
		now = time.Now
	}
	return func() time.Time { return now().UTC() }
}

// orDefault returns v, or def when v is not positive.
func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Notifier receives the reports of each reconcile pass (one per source),
// for alerting. cmd wires it to alerts.
type Notifier interface {
	Notify(ctx context.Context, reports []Report) error
}

// Reconciler compares providers' listings with the ledger and closes gaps.
// It is safe for concurrent use on different sources.
type Reconciler struct {
	db       Store
	opts     Options
	notifier Notifier
	logger   *slog.Logger
	now      func() time.Time
}

// New returns a Reconciler over db. notifier may be nil; logger may be nil.
func New(db Store, opts Options, notifier Notifier, logger *slog.Logger) *Reconciler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Reconciler{
		db:       db,
		opts:     opts.withDefaults(),
		notifier: notifier,
		logger:   logger.With("component", "reconcile"),
		now:      utcClock(opts.Now),
	}
}

// Run reconciles src over w and returns the report. Unless DryRun, the run
// and its report are recorded in the ledger. The error is non-nil when the
// run could not finish (the listing failed, the ledger failed, ctx ended);
// the report then says how far it got, with Complete false and Error set.
// A run that finished with gaps returns a nil error: see Report.Gaps.
func (r *Reconciler) Run(ctx context.Context, src sources.Lister, w sources.Window) (Report, error) {
	rep := newReport(src.Name(), w, r.opts, r.now())
	mode, err := r.db.Mode(ctx)
	if err != nil {
		rep.Error, rep.FinishedAt = err.Error(), r.now()
		return rep, fmt.Errorf("reconcile %s: %w", rep.Source, err)
	}
	rep.LedgerMode = mode.String()
	run := &ledger.Run{Source: rep.Source, Job: r.opts.Job, Since: w.Since, Until: w.Until}
	if !r.opts.DryRun {
		if err := r.db.StartRun(ctx, run); err != nil {
			rep.Error, rep.FinishedAt = err.Error(), r.now()
			return rep, fmt.Errorf("reconcile %s: %w", rep.Source, err)
		}
		rep.RunID = run.ID
	}
	err = r.reconcile(ctx, src, w, &rep)
	r.viewEndpoints(ctx, src, &rep)
	if err != nil {
		err = fmt.Errorf("reconcile %s: %w", rep.Source, err)
		rep.Complete, rep.Error = false, err.Error()
		if rep.StoppedAt == nil {
			// It failed before listing anything: nothing was checked.
			until := rep.Until
			rep.StoppedAt = &until
		}
	}
	rep.FinishedAt = r.now()
	if !r.opts.DryRun {
		if ferr := r.finishRun(ctx, run, &rep); ferr != nil && err == nil {
			err = fmt.Errorf("reconcile %s: %w", rep.Source, ferr)
			rep.Error = err.Error()
		}
	}
	return rep, err
}

// finishRun records the run's outcome even when ctx has ended (a cancelled
// run must not stay "in progress"). The run only moves the source's
// watermark when the window is complete in the ledger.
func (r *Reconciler) finishRun(ctx context.Context, run *ledger.Run, rep *Report) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	body, err := json.Marshal(rep)
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	run.Complete, run.Report, run.Error = !rep.Gaps(), body, rep.Error
	return r.db.FinishRun(ctx, run)
}

// RunAll runs every source over the window that window returns for it, one
// after the other, hands all reports to the Notifier (unless DryRun) and
// returns them. The error joins every run's error; a source whose window
// could not be decided gets a report with Error set.
func (r *Reconciler) RunAll(ctx context.Context, srcs []sources.Lister, window func(context.Context, sources.Lister) (sources.Window, error)) ([]Report, error) {
	reports := make([]Report, 0, len(srcs))
	var errs []error
	for _, src := range srcs {
		w, err := window(ctx, src)
		if err != nil {
			err = fmt.Errorf("reconcile %s: %w", src.Name(), err)
			rep := newReport(src.Name(), w, r.opts, r.now())
			rep.Error, rep.FinishedAt = err.Error(), r.now()
			reports, errs = append(reports, rep), append(errs, err)
			continue
		}
		rep, err := r.Run(ctx, src, w)
		reports = append(reports, rep)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if r.notifier != nil && !r.opts.DryRun && len(reports) > 0 {
		// The notifier writes an outbox; a failure there must not turn a
		// good reconcile into a failed one, so it is logged here.
		if err := r.notifier.Notify(context.WithoutCancel(ctx), reports); err != nil {
			r.logger.Error("notify reports", "error", err)
		}
	}
	return reports, errors.Join(errs...)
}

// newReport returns the empty report of a run of source over w, its lists
// empty rather than nil so that its JSON has [] and {}.
func newReport(source string, w sources.Window, o Options, now time.Time) Report {
	rep := Report{
		Source:          source,
		Since:           w.Since.UTC(),
		Until:           w.Until.UTC(),
		Mode:            string(o.Mode),
		DryRun:          o.DryRun,
		MissingIDs:      []string{},
		StillMissingIDs: []string{},
		UnknownIDs:      []string{},
		DeadIDs:         []string{},
		StuckIDs:        []string{},
		MissingByType:   map[string]int{},
		Warnings:        []string{},
		StartedAt:       now,
	}
	rep.ByType, rep.Endpoints = []TypeCount{}, []EndpointReport{}
	rep.FailedDeliveryCodes, rep.FailedDeliveryIDs = map[string]int{}, []string{}
	return rep
}
