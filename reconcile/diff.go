package reconcile

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
)

// pass is the state of one run over one source: the listed-id set (a temp
// table, so memory stays flat however long the window) and the report.
type pass struct {
	r     *Reconciler
	src   sources.Lister
	w     sources.Window
	scope sources.Scope
	set   ledger.ListedSet
	rep   *Report
	// listStart is when the listing began. An event the ledger received
	// after that may have been created after the provider served the part
	// of its list it falls in, so it is not judged unknown by this run;
	// the next run, whose window overlaps this one, judges it.
	listStart time.Time

	// Owned by the diff goroutine.
	listed     int              // events listed so far, for OnListed
	covered    sources.Coverage // the lister's progress marks of the batches diffed so far
	missingIDs newestIDs        // the report's MissingIDs: the newest, whatever the listing order

	// Shared by the recovery goroutines.
	mu              sync.Mutex // guards rep and the fields below during recovery
	redeliverFailed bool       // the provider does not support redelivery
	fallbackWarned  bool       // the report already says so
	failuresWarned  int        // per-event failures listed in the report's warnings
}

// reconcile fills rep for src over w. An error means the run could not
// finish; rep.Complete then stays false.
func (r *Reconciler) reconcile(ctx context.Context, src sources.Lister, w sources.Window, rep *Report) error {
	scope, err := src.Scope(ctx)
	if err != nil {
		return fmt.Errorf("read scope: %w", err)
	}
	rep.Scope = scope.Note
	r.warnRetention(src, w, rep)
	set, err := r.db.OpenListedSet(ctx, src.Name())
	if err != nil {
		return err
	}
	defer set.Close()
	p := &pass{r: r, src: src, w: w, scope: scope, set: set, rep: rep, missingIDs: newestIDs{limit: r.opts.IDLimit},
		listStart: r.now()}
	if err := p.list(ctx); err != nil {
		rep.StoppedAt = p.stoppedAt()
		// What was found so far is still reported; unknown events can't be
		// told apart from not-yet-listed ones, so they are not counted.
		return joinFinish(err, p.finish(ctx, false))
	}
	rep.Complete = true
	return p.finish(ctx, true)
}

// joinFinish returns listErr, naming finishErr too when finishing the
// report also failed.
func joinFinish(listErr, finishErr error) error {
	if finishErr != nil {
		return fmt.Errorf("%w (and %w)", listErr, finishErr)
	}
	return listErr
}

// warnRetention warns in rep when w starts before the provider's retention
// horizon, where missing events can no longer be recovered.
func (r *Reconciler) warnRetention(src sources.Lister, w sources.Window, rep *Report) {
	horizon := r.now().Add(-src.Retention())
	if w.Since.Before(horizon) {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf(
			"window reaches past the provider's retention (%s): events created before %s can no longer be recovered or checked",
			days(src.Retention()), horizon.Format(time.RFC3339)))
	}
}

// batch is a run of listed events and the union of the progress marks of
// the pages whose events all are in this batch or an earlier one (a union,
// so that pages with marks and no events do not pile up).
type batch struct {
	events  []sources.Listed
	covered sources.Coverage
}

// list pages through the provider's listing in batches, diffing and
// recovering each batch on a second goroutine while the next one is read,
// so listing and diffing overlap; at most three batches are in memory.
func (p *pass) list(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan batch, 1)
	diffed := make(chan error, 1)
	go func() {
		var err error
		for b := range batches {
			if err == nil {
				if err = p.diff(ctx, b); err != nil {
					cancel() // stop the listing: the run cannot finish
				}
			}
		}
		diffed <- err
	}()
	listErr := p.read(ctx, batches)
	if err := <-diffed; err != nil {
		return err
	}
	return listErr
}

// read sends the listing to batches in batches of BatchSize events, the
// last one partial, and closes batches. After a listing error it still
// sends what was read before it.
func (p *pass) read(ctx context.Context, batches chan<- batch) error {
	defer close(batches)
	b := batch{events: make([]sources.Listed, 0, p.r.opts.BatchSize)}
	send := func() bool {
		select {
		case batches <- b:
			b = batch{events: make([]sources.Listed, 0, p.r.opts.BatchSize)}
			return true
		case <-ctx.Done():
			return false
		}
	}
	for page, err := range p.src.List(ctx, p.listWindow()) {
		if err != nil {
			send()
			return fmt.Errorf("list: %w", err)
		}
		for _, l := range page.Events {
			b.events = append(b.events, l)
			if len(b.events) == cap(b.events) && !send() {
				return fmt.Errorf("list: %w", ctx.Err())
			}
		}
		b.covered.Add(page.Covered)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("list: %w", err)
	}
	send()
	return nil
}

// listWindow is the window asked of the lister: the run's window, reaching
// back by the provider's DateSkew when it dates events earlier than the
// ledger (see sources.Skewed).
func (p *pass) listWindow() sources.Window {
	w := p.w
	if s, ok := p.src.(sources.Skewed); ok {
		w.Since = w.Since.Add(-max(s.DateSkew(), 0))
	}
	return w
}

// stoppedAt is the oldest time from which on, up to Until, the listing is
// known complete from the lister's progress marks; Until when nothing can
// be claimed.
func (p *pass) stoppedAt() *time.Time {
	t := p.covered.CompleteFrom(p.w).UTC()
	return &t
}

// diff counts one batch of listed events against the ledger, recovers
// the missing ones, and then adds the batch's progress marks to what the
// run may claim as listed.
func (p *pass) diff(ctx context.Context, b batch) error {
	if err := p.diffEvents(ctx, b.events); err != nil {
		return err
	}
	// Only now are the marked parts of the window checked against the ledger.
	for _, w := range b.covered.Spans() {
		p.covered.Add(w)
	}
	return nil
}

// diffEvents counts listed events against the ledger with one lookup
// query and recovers the missing ones.
func (p *pass) diffEvents(ctx context.Context, batch []sources.Listed) error {
	if len(batch) == 0 {
		return nil
	}
	p.listed += len(batch)
	fresh, err := p.set.Add(ctx, listedIDs(batch))
	if err != nil {
		return err
	}
	expected := p.expected(batch, fresh)
	if err := p.set.Expect(ctx, listedIDs(expected), listedTypes(expected)); err != nil {
		return err
	}
	known, err := p.r.db.Known(ctx, p.src.Name(), listedIDs(expected))
	if err != nil {
		return err
	}
	var missing []sources.Listed
	for _, l := range expected {
		if known[l.EventID] {
			continue
		}
		missing = append(missing, l)
		p.rep.MissingByType[l.Type]++
		p.countFrontFailure(l)
		if p.missingIDs.add(l) {
			p.rep.MissingIDs = p.missingIDs.ids()
		}
	}
	p.rep.Expected += len(expected)
	p.rep.InLedger += len(expected) - len(missing)
	p.rep.Missing += len(missing)
	if err := p.set.MarkMissing(ctx, listedIDs(missing)); err != nil {
		return err
	}
	if p.r.opts.OnListed != nil {
		p.r.opts.OnListed(p.src.Name(), p.listed)
	}
	if p.r.opts.DryRun || len(missing) == 0 {
		return nil
	}
	return p.recover(ctx, missing)
}

// expected returns the events of batch that are listed for the first time
// in this run, inside the window and of a subscribed type.
func (p *pass) expected(batch []sources.Listed, fresh []string) []sources.Listed {
	isFresh := make(map[string]bool, len(fresh))
	for _, id := range fresh {
		isFresh[id] = true
	}
	var out []sources.Listed
	for _, l := range batch {
		if !isFresh[l.EventID] {
			continue
		}
		delete(isFresh, l.EventID) // a repeat within the batch counts once
		if p.w.Contains(l.CreatedAt) && p.scope.Expects(l.Type) {
			out = append(out, l)
		}
	}
	return out
}

// listedIDs returns the event ids of ls, in order.
func listedIDs(ls []sources.Listed) []string {
	ids := make([]string, len(ls))
	for i, l := range ls {
		ids[i] = l.EventID
	}
	return ids
}

// listedTypes returns the types of ls, in order.
func listedTypes(ls []sources.Listed) []string {
	types := make([]string, len(ls))
	for i, l := range ls {
		types[i] = l.Type
	}
	return types
}

// days formats d as whole days ("30d") when it is some, else as
// time.Duration does.
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
