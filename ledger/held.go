package ledger

import (
	"context"
	"sync"
	"time"
)

// heldLeases is what a processor knows of the leases it holds: one per
// claimed, unsettled event, running or waiting for a worker, with the end
// of the lease as last written to the ledger.
type heldLeases struct {
	mu    sync.Mutex
	until map[int64]heldLease // by event row
}

type heldLease struct {
	attempt int
	until   time.Time
}

func newHeldLeases() *heldLeases { return &heldLeases{until: map[int64]heldLease{}} }

func (h *heldLeases) add(claims []*Claim) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range claims {
		h.until[c.Event.ID] = heldLease{attempt: c.Attempt, until: c.LeaseEnd}
	}
}

// drop forgets c's lease once its attempt is settled (or given up).
func (h *heldLeases) drop(c *Claim) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if l, ok := h.until[c.Event.ID]; ok && l.attempt == c.Attempt {
		delete(h.until, c.Event.ID)
	}
}

func (h *heldLeases) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.until)
}

// renewed records leases the ledger extended.
func (h *heldLeases) renewed(leases []Lease) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, l := range leases {
		if cur, ok := h.until[l.EventRow]; ok && cur.attempt == l.Attempt && l.Until.After(cur.until) {
			h.until[l.EventRow] = heldLease{attempt: l.Attempt, until: l.Until}
		}
	}
}

// end returns when c's lease ends, as far as the processor knows; the
// zero time when it does not hold c.
func (h *heldLeases) end(c *Claim) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	if l, ok := h.until[c.Event.ID]; ok && l.attempt == c.Attempt {
		return l.until
	}
	return time.Time{}
}

// renewEvery is how often the processor renews its leases: often enough
// that an event waiting for a worker never sees its lease run out, and
// that a worker starting an attempt nearly always finds its lease already
// covering the attempt's timeout.
func (c ProcessorConfig) renewEvery() time.Duration {
	return max(min(c.Lease/3, (c.Lease-c.Timeout)/2), 100*time.Millisecond)
}

// keepLeases renews the leases of every event the processor holds each
// renewEvery until ctx ends. A failed renewal is logged and tried again
// at the next tick; attempts never run past the lease the ledger last
// confirmed (see startAttempt).
func (p *Processor) keepLeases(ctx context.Context) {
	t := time.NewTicker(p.cfg.renewEvery())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if p.held.len() == 0 {
			continue
		}
		leases, err := p.q.RenewLeases(ctx, RenewOptions{Owner: p.cfg.Owner, Lease: p.cfg.Lease, Now: p.cfg.Now()})
		if err != nil {
			if ctx.Err() == nil {
				p.log.Error("renew leases", "error", err)
			}
			continue
		}
		p.held.renewed(leases)
	}
}

// startAttempt makes sure c's lease covers the whole attempt about to
// start, renewing it now if the last renewal does not reach far enough,
// and returns how long the attempt may run: the attempt timeout, never
// past the lease. It returns a Released result instead when the lease
// could not be kept: the attempt must not run where another process may
// already be running it.
func (p *Processor) startAttempt(ctx context.Context, c *Claim) (time.Duration, *AttemptResult) {
	now := p.cfg.Now()
	end := p.held.end(c)
	if end.Sub(now) < p.cfg.Timeout {
		leases, err := p.q.RenewLeases(ctx, RenewOptions{Owner: p.cfg.Owner, Lease: p.cfg.Lease,
			EventRow: c.Event.ID, Attempt: c.Attempt, Now: now})
		switch {
		case err != nil:
			return 0, &AttemptResult{Claim: c, Outcome: AttemptReleased, Started: now, Error: "not started: " + err.Error()}
		case len(leases) == 0:
			return 0, &AttemptResult{Claim: c, Outcome: AttemptReleased, Started: now, Error: "not started: lease lost"}
		}
		p.held.renewed(leases)
		end = leases[0].Until
	}
	return min(p.cfg.Timeout, end.Sub(now)), nil
}
