package ledger

import (
	"context"
	"fmt"
	"time"
)

// maxSettleBatch bounds how many results one Settle call settles.
const maxSettleBatch = 256

// work runs claimed events through the handler until jobs closes. Once ctx
// ends, events not yet started are released without running.
func (p *Processor) work(ctx, hctx context.Context, jobs <-chan *Claim, results chan<- *AttemptResult) {
	for c := range jobs {
		if ctx.Err() != nil {
			results <- &AttemptResult{Claim: c, Outcome: AttemptReleased, Started: p.cfg.Now(), Error: "shutdown before start"}
			continue
		}
		timeout, r := p.startAttempt(hctx, c)
		if r == nil {
			r = p.attempt(ctx, hctx, c, timeout)
		}
		results <- r
	}
}

// attempt calls the handler once for c, for at most timeout, and decides
// the outcome.
func (p *Processor) attempt(ctx, hctx context.Context, c *Claim, timeout time.Duration) *AttemptResult {
	actx, cancel := context.WithTimeout(hctx, max(timeout, time.Millisecond))
	defer cancel()
	started, t0 := p.cfg.Now(), time.Now()
	err := p.call(actx, c)
	r := &AttemptResult{Claim: c, Started: started, Duration: time.Since(t0)}
	switch {
	case err == nil:
		r.Outcome = AttemptProcessed
	case ctx.Err() != nil && hctx.Err() != nil:
		r.Outcome, r.Error = AttemptReleased, "shutdown: "+err.Error()
	case IsPermanent(err):
		r.Outcome, r.Error = AttemptDead, err.Error()
	case c.AttemptsUsed >= p.cfg.MaxAttempts:
		r.Outcome, r.Error = AttemptDead, fmt.Sprintf("attempt %d of %d: %v", c.AttemptsUsed, p.cfg.MaxAttempts, err)
	default:
		r.Outcome, r.Error = AttemptRetry, err.Error()
		r.NextAt = p.nextAttempt(err, c.AttemptsUsed)
	}
	return r
}

// nextAttempt returns when to try again after the budget-th attempt failed
// with err: when the downstream asked (RetryAfter), capped at RetryMax, or
// else after the backoff.
func (p *Processor) nextAttempt(err error, budget int) time.Time {
	now := p.cfg.Now()
	after, ok := RetryDelay(err)
	if !ok {
		return now.Add(Backoff(p.cfg.RetryBase, p.cfg.RetryMax, budget, p.cfg.Rand()))
	}
	// The ledger keeps milliseconds: round up, never earlier than asked.
	next := now.Add(min(max(after, 0), p.cfg.RetryMax))
	if t := next.Truncate(time.Millisecond); !t.Equal(next) {
		next = t.Add(time.Millisecond)
	}
	return next
}

// call runs the handler, turning a panic into an error so one bad event
// cannot stop the processor.
func (p *Processor) call(ctx context.Context, c *Claim) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("handler panic: %v", v)
		}
	}()
	return p.h.Handle(ctx, c.Delivery())
}

// settle commits results in batches until results closes.
func (p *Processor) settle(results <-chan *AttemptResult, stats *ProcessorStats) {
	batch := make([]*AttemptResult, 0, maxSettleBatch)
	for r := range results {
		batch = append(batch[:0], r)
	gather:
		for len(batch) < maxSettleBatch {
			select {
			case r, ok := <-results:
				if !ok {
					break gather
				}
				batch = append(batch, r)
			default:
				break gather
			}
		}
		p.commit(batch, stats)
	}
}

// commit settles one batch in the ledger, then frees its slots. When the
// ledger fails, the events keep their leases and are retaken when those
// expire.
func (p *Processor) commit(batch []*AttemptResult, stats *ProcessorStats) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := p.q.Settle(ctx, batch)
	if err != nil {
		p.log.Error("settle attempts", "events", len(batch), "error", err)
	}
	for _, r := range batch {
		if err == nil {
			p.account(r, stats)
		}
	}
	for _, r := range batch {
		p.held.drop(r.Claim)
	}
	p.release(len(batch))
	select {
	case p.finished <- struct{}{}:
	default:
	}
}

// account adds r to stats, logs retries, dead events and lost leases, and
// tells the Observer about every attempt that ran.
func (p *Processor) account(r *AttemptResult, stats *ProcessorStats) {
	ev := r.Claim.Event
	stats.Claimed++
	if r.Stale {
		stats.Stale++
		p.log.Warn("lease lost before the attempt finished", "source", ev.Source, "event_id", ev.EventID,
			"attempt", r.Claim.Attempt, "outcome", string(r.Outcome))
		return
	}
	switch r.Outcome {
	case AttemptProcessed:
		stats.Processed++
	case AttemptRetry:
		stats.Retried++
		p.log.Warn("attempt failed, will retry", "source", ev.Source, "event_id", ev.EventID,
			"attempt", r.Claim.Attempt, "next_attempt_at", r.NextAt, "error", r.Error)
	case AttemptDead:
		stats.Dead++
		p.log.Error("event dead", "source", ev.Source, "event_id", ev.EventID,
			"attempt", r.Claim.Attempt, "error", r.Error)
	case AttemptReleased:
		stats.Released++
	}
	if p.cfg.Observer != nil && r.Outcome != AttemptReleased {
		p.cfg.Observer.ObserveAttempt(ev.Source, r.Outcome, r.Duration)
	}
}

// ProcessOne claims the event with ledger row id eventRow, if it is ready,
// runs it through the handler once and settles the outcome. It returns
// ErrNotReady when the event cannot be claimed (another worker holds it,
// its retry is not due, or it is already processed or dead).
func (p *Processor) ProcessOne(ctx context.Context, eventRow int64) (*AttemptResult, error) {
	claims, err := p.q.Claim(ctx, ClaimOptions{Owner: p.cfg.Owner, Limit: 1, Lease: p.cfg.Lease,
		MaxAttempts: p.cfg.MaxAttempts, EventRow: eventRow, Now: p.cfg.Now()})
	if err != nil {
		return nil, fmt.Errorf("process event: %w", err)
	}
	if len(claims) == 0 {
		return nil, fmt.Errorf("process event %d: %w", eventRow, ErrNotReady)
	}
	c := claims[0]
	r := p.attempt(ctx, ctx, c, min(p.cfg.Timeout, c.LeaseEnd.Sub(p.cfg.Now())))
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := p.q.Settle(wctx, []*AttemptResult{r}); err != nil {
		return r, fmt.Errorf("process event: %w", err)
	}
	// account logs the outcome and tells the Observer; one attempt's
	// counts are not wanted.
	var stats ProcessorStats
	p.account(r, &stats)
	return r, nil
}
