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
	set   *ledger.ListedSet
	rep   *Report

	// Owned by the diff goroutine.
	listed  int       // events listed so far, for Progress
	oldest  time.Time // oldest CreatedAt listed so far
	ordered bool      // the listing came newest first so far

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
	p := &pass{r: r, src: src, w: w, scope: scope, set: set, rep: rep, ordered: true}
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

// list pages through the provider's listing in batches, diffing and
// recovering each batch on a second goroutine while the next one is read,
// so listing and diffing overlap; at most three batches are in memory.
func (p *pass) list(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []sources.Listed, 1)
	diffed := make(chan error, 1)
	go func() {
		var err error
		for batch := range batches {
			if err == nil {
				if err = p.diff(ctx, batch); err != nil {
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

// read sends the listing to batches in batches of BatchSize, the last one
// partial, and closes batches. After a listing error it still sends what
// was read before it.
func (p *pass) read(ctx context.Context, batches chan<- []sources.Listed) error {
	defer close(batches)
	batch := make([]sources.Listed, 0, p.r.opts.BatchSize)
	send := func() bool {
		select {
		case batches <- batch:
			batch = make([]sources.Listed, 0, p.r.opts.BatchSize)
			return true
		case <-ctx.Done():
			return false
		}
	}
	listW := sources.Window{Since: p.w.Since.Add(-p.r.opts.EdgeSlack), Until: p.w.Until}
	for l, err := range p.src.List(ctx, listW) {
		if err != nil {
			send()
			return fmt.Errorf("list: %w", err)
		}
		batch = append(batch, l)
		if len(batch) == cap(batch) && !send() {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("list: %w", err)
	}
	send()
	return nil
}

// track follows the listing's order so that an interrupted listing can say
// how far back it is known to be complete.
func (p *pass) track(l sources.Listed) {
	p.listed++
	if !p.oldest.IsZero() && l.CreatedAt.After(p.oldest) {
		p.ordered = false
	}
	if p.oldest.IsZero() || l.CreatedAt.Before(p.oldest) {
		p.oldest = l.CreatedAt
	}
}

// stoppedAt is the oldest time from which on, up to Until, the listing is
// known complete: the oldest event listed when the listing came newest
// first, else Until (nothing can be claimed).
func (p *pass) stoppedAt() *time.Time {
	t := p.w.Until.UTC()
	if p.ordered && !p.oldest.IsZero() && p.oldest.Before(t) {
		t = p.oldest.UTC()
	}
	return &t
}

// diff counts one batch of listed events against the ledger with one
// lookup query and recovers the missing ones.
func (p *pass) diff(ctx context.Context, batch []sources.Listed) error {
	if len(batch) == 0 {
		return nil
	}
	for _, l := range batch {
		p.track(l)
	}
	fresh, err := p.set.Add(ctx, listedIDs(batch))
	if err != nil {
		return err
	}
	expected := p.expected(batch, fresh)
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
		if len(p.rep.MissingIDs) < p.r.opts.IDLimit {
			p.rep.MissingIDs = append(p.rep.MissingIDs, l.EventID)
		}
	}
	p.rep.Expected += len(expected)
	p.rep.InLedger += len(expected) - len(missing)
	p.rep.Missing += len(missing)
	if err := p.set.MarkMissing(ctx, listedIDs(missing)); err != nil {
		return err
	}
	if p.r.opts.Progress != nil {
		p.r.opts.Progress(p.src.Name(), p.listed)
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

// days formats d as whole days ("30d") when it is some, else as
// time.Duration does.
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
