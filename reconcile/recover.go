package reconcile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/sources"
)

// maxFailureWarnings bounds how many per-event failures a report lists.
const maxFailureWarnings = 5

// outcome is what happened to one missing event.
type outcome int

const (
	outBackfilled outcome = iota
	outRedelivered
	outAlreadyThere // recorded meanwhile (the receiver got it first)
	outFailed
	outUnrecoverable
)

// recover backfills or asks for redelivery of missing events, Concurrency
// at a time (so Records share group commits). A ledger error ends the run:
// it cancels the calls in flight and starts no more. A provider error for
// one event leaves it missing and is warned about.
func (p *pass) recover(ctx context.Context, missing []sources.Listed) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.r.opts.Concurrency)
	for _, l := range missing {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if gctx.Err() != nil {
				return nil // the run is ending: the error that ended it is kept
			}
			out, err := p.recoverOne(gctx, l)
			if errors.Is(err, errFatal) {
				return err
			}
			p.mu.Lock()
			defer p.mu.Unlock()
			p.count(l, out, err)
			return nil
		})
	}
	return g.Wait()
}

// errFatal marks a recovery error that must end the run.
var errFatal = errors.New("fatal")

// recoverOne asks for redelivery of l, or backfills it (the fallback when
// the provider cannot redeliver). Errors marked errFatal end the run.
func (p *pass) recoverOne(ctx context.Context, l sources.Listed) (outcome, error) {
	if p.r.opts.Mode == ModeRedeliver && !p.noRedelivery() {
		err := p.src.Redeliver(ctx, l)
		switch {
		case err == nil:
			return outRedelivered, nil
		case errors.Is(err, sources.ErrNotSupported):
			p.setNoRedelivery()
		case ctx.Err() != nil:
			return outFailed, fmt.Errorf("%w: redeliver %s: %w", errFatal, l.EventID, err)
		default:
			return p.failed(l, fmt.Errorf("redeliver %s: %w", l.EventID, err))
		}
	}
	ev, err := p.src.Fetch(ctx, l)
	if err != nil {
		if ctx.Err() != nil {
			return outFailed, fmt.Errorf("%w: fetch %s: %w", errFatal, l.EventID, err)
		}
		return p.failed(l, fmt.Errorf("fetch %s: %w", l.EventID, err))
	}
	ev.Source, ev.Origin = p.src.Name(), ledger.OriginReconcile
	isNew, err := p.r.db.Record(ctx, ev, nil)
	if err != nil {
		return outFailed, fmt.Errorf("%w: %w", errFatal, err)
	}
	if !isNew {
		return outAlreadyThere, nil
	}
	return outBackfilled, nil
}

// failed classifies a provider failure for one event: past the provider's
// retention it is unrecoverable, else a failure worth a warning.
func (p *pass) failed(l sources.Listed, err error) (outcome, error) {
	if l.CreatedAt.Before(p.r.now().Add(-p.src.Retention())) {
		return outUnrecoverable, err
	}
	return outFailed, err
}

func (p *pass) noRedelivery() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.redeliverFailed
}

func (p *pass) setNoRedelivery() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.redeliverFailed = true
}

// count adds one recovery outcome to the report; the caller holds the lock.
func (p *pass) count(l sources.Listed, out outcome, err error) {
	switch out {
	case outBackfilled:
		p.rep.Backfilled++
	case outRedelivered:
		p.rep.Redelivered++
	case outUnrecoverable:
		p.rep.Unrecoverable++
	}
	if p.redeliverFailed && !p.fallbackWarned {
		p.fallbackWarned = true
		p.rep.Warnings = append(p.rep.Warnings, fmt.Sprintf(
			"%s does not support redelivery: missing events were backfilled from its API instead", p.src.Name()))
	}
	if err != nil && p.failuresWarned < maxFailureWarnings {
		p.failuresWarned++
		p.rep.Warnings = append(p.rep.Warnings, err.Error())
	}
}

// finish fills in what is known after the listing: events still missing
// (waiting a bounded time for redelivered ones), unknown events when the
// listing was complete, and the window's processing counts.
func (p *pass) finish(ctx context.Context, complete bool) error {
	if p.rep.Redelivered > 0 {
		p.awaitRedelivered(ctx)
	}
	// Bookkeeping after a cancelled listing still has to answer.
	ctx = context.WithoutCancel(ctx)
	n, ids, err := p.set.StillMissing(ctx, p.r.opts.IDLimit)
	if err != nil {
		return err
	}
	p.rep.StillMissing, p.rep.StillMissingIDs = n, nonNil(ids)
	if complete {
		n, ids, err = p.set.Unlisted(ctx, ledger.OriginWebhook, p.w.Since, p.w.Until, p.listStart, p.r.opts.IDLimit)
		if err != nil {
			return err
		}
		p.rep.Unknown, p.rep.UnknownIDs = n, nonNil(ids)
	}
	stats, err := p.r.db.WindowStats(ctx, p.src.Name(), p.w.Since, p.w.Until,
		p.r.now().Add(-p.r.opts.StuckAfter), p.r.opts.IDLimit)
	if err != nil {
		return err
	}
	p.rep.Pending, p.rep.Stuck, p.rep.Dead, p.rep.Processed = stats.Pending, stats.Stuck, stats.Dead, stats.Processed
	p.rep.Due, p.rep.DueProcessed = stats.Due, stats.DueProcessed
	p.rep.StuckIDs, p.rep.DeadIDs = nonNil(stats.StuckIDs), nonNil(stats.DeadIDs)
	return p.countByType(ctx)
}

// awaitRedelivered polls until every missing event arrived or
// RedeliverWait passed; what has not arrived then stays still missing.
func (p *pass) awaitRedelivered(ctx context.Context) {
	deadline := p.r.now().Add(p.r.opts.RedeliverWait)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for p.r.now().Before(deadline) {
		if n, _, err := p.set.StillMissing(ctx, 0); err != nil || n == 0 {
			return
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// nonNil returns ids, or an empty slice for nil, so that JSON has [].
func nonNil(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}
