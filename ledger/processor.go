package ledger

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"
)

// ErrNotReady is returned by ProcessOne when the event is not ready to be
// claimed: another worker holds it, its retry is not due, or it settled.
var ErrNotReady = errors.New("event not ready")

// Observer is told about every settled attempt, for metrics. The processor
// calls it from one goroutine.
type Observer interface {
	ObserveAttempt(source string, outcome AttemptOutcome, d time.Duration)
}

// ProcessorConfig configures a Processor. Zero fields take the defaults.
// Now is the processor's clock, time.Now by default: give it the one the
// ledger was opened with (Options.Now).
type ProcessorConfig struct {
	Workers     int           // concurrent handler calls; default 8
	Batch       int           // most events per claim transaction; default 4×Workers, at least 32
	MaxAttempts int           // attempts before an event is dead; default 10
	RetryBase   time.Duration // first retry delay, doubling with jitter; default 10s
	RetryMax    time.Duration // longest retry delay; default 1h
	Lease       time.Duration // how long a claim holds unless renewed; default 2m, at least 1s
	Timeout     time.Duration // each attempt's deadline, from its start; shorter than Lease; default Lease/2
	Grace       time.Duration // at shutdown, how long in-flight attempts may finish; default 10s
	Poll        time.Duration // idle wake-up for events recorded by other processes; default 1s
	Owner       string        // lease owner name; default host:pid:random
	Now         func() time.Time
	Rand        func() float64 // jitter source in [0, 1); default math/rand/v2
	Logger      *slog.Logger
	Observer    Observer // nil for none
}

// ProcessorStats counts what a Drain (or a Run) did.
type ProcessorStats struct {
	Claimed   int // attempts started
	Processed int // events processed
	Retried   int // attempts failed with a retry scheduled
	Dead      int // events that went dead
	Released  int // attempts given back unfinished: at shutdown, or a lease that could not be kept
	Stale     int // attempts whose lease was lost before they finished
}

// Queue is the store a Processor runs on. *DB implements it on SQLite; a
// backend serving several processes at once (PostgreSQL, claiming with FOR
// UPDATE SKIP LOCKED) implements the same methods, and the Processor runs
// on it unchanged. Claims, leases and settlements follow the contract
// ledgertest.Exercise checks.
type Queue interface {
	// Claim takes up to opts.Limit ready events under a lease owned by
	// opts.Owner (see DB.Claim); an empty slice when none is ready.
	Claim(ctx context.Context, opts ClaimOptions) ([]*Claim, error)
	// Settle applies finished attempts in one transaction and marks Stale
	// those whose claim lost its lease (see DB.Settle).
	Settle(ctx context.Context, results []*AttemptResult) error
	// RenewLeases extends every lease opts.Owner holds (see DB.RenewLeases).
	RenewLeases(ctx context.Context, opts RenewOptions) ([]Lease, error)
	// NextDue returns when the next waiting event becomes ready; ok is
	// false when nothing waits.
	NextDue(ctx context.Context) (t time.Time, ok bool, err error)
	// Recorded signals, coalescing, that new events were committed.
	Recorded() <-chan struct{}
}

// Processor feeds ready events to a Handler: it claims them in batches
// under a lease, runs up to Workers handler calls at once, and settles
// every outcome in batched transactions through the ledger's writer.
//
// Claims are made ahead of the workers, so an event may wait in memory
// before its attempt starts. The processor renews the leases of every
// event it holds, waiting or running, so a lease runs out only when the
// process stops or cannot reach the ledger; and an attempt starts only
// when its lease covers its whole Timeout.
type Processor struct {
	q        Queue // the ledger the events are claimed from and settled in
	h        Handler
	cfg      ProcessorConfig
	log      *slog.Logger
	held     *heldLeases
	slots    chan struct{} // one token per claimed, unsettled event
	finished chan struct{} // signalled after each settled batch
}

// NewProcessor returns a Processor that feeds q's events to h. It fails
// when h is nil, the lease is shorter than a second, or the attempt
// timeout is not shorter than the lease.
func NewProcessor(q Queue, h Handler, cfg ProcessorConfig) (*Processor, error) {
	if h == nil {
		return nil, errors.New("new processor: no handler")
	}
	cfg = cfg.withDefaults()
	if cfg.Lease < time.Second {
		return nil, fmt.Errorf("new processor: lease %s is shorter than 1s", cfg.Lease)
	}
	if cfg.Timeout >= cfg.Lease {
		return nil, fmt.Errorf("new processor: attempt timeout %s must be shorter than the lease %s", cfg.Timeout, cfg.Lease)
	}
	return &Processor{
		q:        q,
		h:        h,
		cfg:      cfg,
		log:      cfg.Logger.With("component", "processor"),
		held:     newHeldLeases(),
		slots:    make(chan struct{}, cfg.Workers+cfg.Batch),
		finished: make(chan struct{}, 1),
	}, nil
}

func (c ProcessorConfig) withDefaults() ProcessorConfig {
	setDefault(&c.Workers, 8)
	// Claiming ahead of the workers keeps the single writer's transactions
	// few; what waits for a worker is under a lease the processor renews.
	setDefault(&c.Batch, max(4*c.Workers, 32))
	setDefault(&c.MaxAttempts, 10)
	setDefault(&c.RetryBase, 10*time.Second)
	setDefault(&c.RetryMax, time.Hour)
	setDefault(&c.Lease, 2*time.Minute)
	setDefault(&c.Timeout, c.Lease/2)
	setDefault(&c.Grace, 10*time.Second)
	setDefault(&c.Poll, time.Second)
	if c.Owner == "" {
		c.Owner = defaultOwner()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

func defaultOwner() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = cryptorand.Read(b)
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Run processes events until ctx is cancelled, waking when new events are
// recorded, when a retry falls due, and every Poll. On cancellation it
// stops claiming, gives in-flight attempts Grace to finish, releases the
// rest back to pending, and returns nil.
func (p *Processor) Run(ctx context.Context) error {
	_, err := p.run(ctx, false)
	return err
}

// Drain processes events until none is ready and none is in flight, then
// returns what it did. Failed events whose retry is not yet due stay
// failed. A ledger error stops it and is returned with the stats so far.
func (p *Processor) Drain(ctx context.Context) (ProcessorStats, error) {
	return p.run(ctx, true)
}

func (p *Processor) run(ctx context.Context, drain bool) (ProcessorStats, error) {
	jobs := make(chan *Claim, cap(p.slots))
	results := make(chan *AttemptResult, cap(p.slots))
	hctx, stopHandlers := graceContext(ctx, p.cfg.Grace)
	defer stopHandlers()
	// Leases are kept until the last result is settled, past ctx's end
	// while in-flight attempts finish within Grace.
	kctx, stopKeeping := context.WithCancel(context.WithoutCancel(ctx))
	var keeping sync.WaitGroup
	keeping.Go(func() { p.keepLeases(kctx) })
	defer func() { stopKeeping(); keeping.Wait() }()
	var wg sync.WaitGroup
	for range p.cfg.Workers {
		wg.Go(func() { p.work(ctx, hctx, jobs, results) })
	}
	var stats ProcessorStats
	settled := make(chan struct{})
	go func() {
		defer close(settled)
		p.settle(results, &stats)
	}()
	err := p.dispatch(ctx, jobs, drain)
	close(jobs)
	wg.Wait()
	close(results)
	<-settled
	return stats, err
}

// graceContext returns a context for handler calls that ends grace after
// ctx does, so in-flight attempts may finish at shutdown.
func graceContext(ctx context.Context, grace time.Duration) (context.Context, func()) {
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(grace, cancel) })
	return hctx, func() { stop(); cancel() }
}

// dispatch claims ready events as worker slots free up and queues them.
func (p *Processor) dispatch(ctx context.Context, jobs chan<- *Claim, drain bool) error {
	for {
		// Measured before this loop takes slots: when nothing was in
		// flight, an empty claim means nothing is ready. Measured after
		// the claim, an attempt settled in between (and perhaps due again
		// at once) would end a drain early.
		busy := len(p.slots)
		n := p.acquire(ctx)
		if n == 0 {
			return nil
		}
		claims, err := p.q.Claim(ctx, ClaimOptions{Owner: p.cfg.Owner, Limit: n,
			Lease: p.cfg.Lease, MaxAttempts: p.cfg.MaxAttempts, Now: p.cfg.Now()})
		p.release(n - len(claims))
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && drain:
			return err
		case err != nil:
			p.log.Error("claim events", "error", err)
			p.idle(ctx, false)
			continue
		}
		p.held.add(claims)
		for _, c := range claims {
			jobs <- c
		}
		if len(claims) == n {
			continue
		}
		if drain {
			if len(claims) == 0 && busy == 0 {
				return nil
			}
			if len(claims) == 0 {
				p.waitFinished(ctx)
			}
			continue
		}
		p.idle(ctx, true)
	}
}

// acquire takes at least one worker slot (blocking) and up to Batch; it
// returns 0 when ctx ends first.
func (p *Processor) acquire(ctx context.Context) int {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return 0
	}
	n := 1
	for n < p.cfg.Batch {
		select {
		case p.slots <- struct{}{}:
			n++
		default:
			return n
		}
	}
	return n
}

func (p *Processor) release(n int) {
	for range n {
		<-p.slots
	}
}

func (p *Processor) waitFinished(ctx context.Context) {
	select {
	case <-p.finished:
	case <-ctx.Done():
	}
}

// idle waits for new events, a settled batch, the next due retry or
// lease end, or Poll, whichever comes first.
func (p *Processor) idle(ctx context.Context, untilDue bool) {
	wait := p.cfg.Poll
	if untilDue {
		if next, ok, err := p.q.NextDue(ctx); err == nil && ok {
			wait = min(wait, max(next.Sub(p.cfg.Now()), time.Millisecond))
		}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-p.q.Recorded():
	case <-p.finished:
	case <-t.C:
	}
}
