package reconcile

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Leases is what schedulers on one ledger elect the one that runs each
// tick with, in the style of river's river_leader: a lease row with a
// holder and an expiry. *ledger.DB and *postgres.DB implement it.
type Leases interface {
	// TakeLease takes the lease name for holder until ttl from now, or
	// renews it when holder holds it, and reports whether holder holds
	// it now.
	TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease gives the lease up when holder holds it.
	ReleaseLease(ctx context.Context, name, holder string) error
	// ClaimTick claims the run of job's tick scheduled at tick for
	// holder; false when that tick, or a later one, was claimed before.
	ClaimTick(ctx context.Context, job string, tick time.Time, holder string) (bool, error)
}

// DefaultLeaseTTL is how long a scheduler's lease lasts without renewal:
// how long ticks may go unrun after the leader dies.
const DefaultLeaseTTL = 30 * time.Second

// leaseName is the lease every Scheduler on a ledger shares.
const leaseName = "scheduler"

// lease is one scheduler's hold on the shared lease: taken and renewed
// every ttl/3 in the background, and before a tick when it is not held.
type lease struct {
	store  Leases
	ttl    time.Duration
	holder string
	logger *slog.Logger

	mu    sync.Mutex
	until time.Time // by the local clock; zero when not held

	cancel context.CancelFunc
	done   chan struct{}
}

func newLease(store Leases, ttl time.Duration, logger *slog.Logger) *lease {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &lease{store: store, ttl: ttl, logger: logger,
		holder: fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))}
}

// take takes or renews the lease and returns whether it is held. It counts
// the lease as held until ttl after the call began (less a tenth for
// margin): the store's expiry is at least that far off.
func (l *lease) take(ctx context.Context) bool {
	began := time.Now()
	ok, err := l.store.TakeLease(ctx, leaseName, l.holder, l.ttl)
	l.mu.Lock()
	defer l.mu.Unlock()
	was := !l.until.IsZero() && began.Before(l.until)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			l.logger.Warn("take scheduler lease", "error", err)
		}
		// Held until it runs out: the store may still list us.
	case ok:
		l.until = began.Add(l.ttl - l.ttl/10)
		if !was {
			l.logger.Info("scheduler lease taken: scheduled jobs run here", "holder", l.holder)
		}
	default:
		l.until = time.Time{}
		if was {
			l.logger.Warn("scheduler lease lost to another instance", "holder", l.holder)
		}
	}
	return !l.until.IsZero() && time.Now().Before(l.until)
}

// hold reports whether the lease is held now, taking it when it is not.
func (l *lease) hold(ctx context.Context) bool {
	l.mu.Lock()
	held := !l.until.IsZero() && time.Now().Before(l.until)
	l.mu.Unlock()
	return held || l.take(ctx)
}

// runs reports whether this instance runs job's tick scheduled at tick:
// it holds the lease and no instance ran that tick before (a leader that
// just stopped may have, when this instance's timer fired late).
func (l *lease) runs(ctx context.Context, job string, tick time.Time) bool {
	if !l.hold(ctx) {
		return false
	}
	if tick.IsZero() {
		return true
	}
	ok, err := l.store.ClaimTick(ctx, job, tick, l.holder)
	if err != nil {
		l.logger.Warn("claim scheduled tick", "job", job, "error", err)
		return false
	}
	return ok
}

// start takes the lease and keeps renewing it every ttl/3 until stop.
func (l *lease) start(ctx context.Context) {
	ctx, l.cancel = context.WithCancel(ctx)
	l.done = make(chan struct{})
	go func() {
		defer close(l.done)
		tick := time.NewTicker(l.ttl / 3)
		defer tick.Stop()
		for {
			l.take(ctx)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

// stop ends the renewals and releases the lease, so that another
// instance takes it at its next try instead of after ttl.
func (l *lease) stop(ctx context.Context) {
	if l.cancel == nil {
		return
	}
	l.cancel()
	<-l.done
	l.mu.Lock()
	l.until = time.Time{}
	l.mu.Unlock()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := l.store.ReleaseLease(rctx, leaseName, l.holder); err != nil {
		l.logger.Warn("release scheduler lease", "error", err)
	}
}
