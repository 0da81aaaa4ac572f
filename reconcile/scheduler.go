package reconcile

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// JobFunc is the work of one scheduled job. ctx ends when the scheduler
// stops without waiting any longer.
type JobFunc func(ctx context.Context) error

// Scheduler runs named jobs on cron specs (robfig/cron v3). A run of a job
// never overlaps the previous one (it is skipped instead); a job that
// returns an error or panics is logged, recorded in the ledger's jobs
// table, handed to OnError, and the scheduler goes on.
type Scheduler struct {
	cron    *cron.Cron
	db      JobLog
	onError func(ctx context.Context, job string, err error)
	logger  *slog.Logger
	lease   *lease // nil: every tick runs here

	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc
}

// NewScheduler returns a stopped Scheduler. db, when not nil, records the
// last run of each job (shown by `status`); onError, when not nil, is
// called after a job failed (e.g. to alert "job failed").
func NewScheduler(db JobLog, logger *slog.Logger, onError func(ctx context.Context, job string, err error)) *Scheduler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "scheduler")
	cl := cronLogger{logger}
	ctx, cancel := context.WithCancel(context.Background())
	return &Scheduler{
		cron: cron.New(cron.WithParser(specParser), cron.WithLogger(cl),
			cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl))),
		db:      db,
		onError: onError,
		logger:  logger,
		ctx:     ctx,
		cancel:  cancel,
	}
}

// Add schedules fn as the job name on spec (5 or 6 fields, or a
// descriptor such as "@every 2s"). It returns an error for a bad spec.
func (s *Scheduler) Add(name, spec string, fn JobFunc) error {
	var id cron.EntryID
	var err error
	id, err = s.cron.AddFunc(spec, func() { s.runJob(name, spec, fn, id) })
	if err != nil {
		return fmt.Errorf("schedule job %s: %w", name, err)
	}
	return nil
}

// Lead makes the scheduler one of several sharing the ledger behind
// leases: a tick runs only on the instance holding the lease (the others
// skip it, with a debug log), the holder renews it every ttl/3 while it
// runs and releases it on Stop, and when the holder dies another takes
// it over once it expires, within ttl. ttl 0 means DefaultLeaseTTL. Call
// it before Start.
func (s *Scheduler) Lead(l Leases, ttl time.Duration) {
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	s.lease = newLease(l, ttl, s.logger)
}

// Start starts running jobs. Jobs get a context derived from ctx, which
// also ends when Stop gives up waiting.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.mu.Unlock()
	if s.lease != nil {
		s.lease.start(s.jobCtx())
	}
	s.cron.Start()
}

// Stop stops scheduling new runs and waits for running jobs to return. If
// ctx ends first it cancels the jobs' context and returns ctx's error.
func (s *Scheduler) Stop(ctx context.Context) error {
	done := s.cron.Stop()
	var err error
	select {
	case <-done.Done():
	case <-ctx.Done():
		err = fmt.Errorf("stop scheduler: %w", ctx.Err())
	}
	s.jobCancel()
	if s.lease != nil {
		s.lease.stop(ctx)
	}
	return err
}

func (s *Scheduler) jobCtx() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctx
}

func (s *Scheduler) jobCancel() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cancel()
}

// runJob runs one job, turning a panic into an error, records the run and
// reports a failure.
func (s *Scheduler) runJob(name, spec string, fn JobFunc, id cron.EntryID) {
	ctx := s.jobCtx()
	logger := s.logger.With("job", name)
	if s.lease != nil && !s.lease.runs(ctx, name, s.cron.Entry(id).Prev) {
		logger.Debug("job skipped: another instance runs this tick")
		return
	}
	now := func() time.Time { return time.Now().UTC() }
	if s.db != nil {
		if err := s.db.StartJob(ctx, name, spec, now()); err != nil {
			logger.Warn("record job start", "error", err)
		}
	}
	err := safeRun(ctx, logger, fn)
	if s.db != nil {
		if ferr := s.db.FinishJob(context.WithoutCancel(ctx), name, now(), err); ferr != nil {
			logger.Warn("record job end", "error", ferr)
		}
	}
	if err == nil {
		logger.Debug("job done")
		return
	}
	logger.Error("job failed", "error", err)
	if s.onError != nil {
		s.onError(context.WithoutCancel(ctx), name, err)
	}
}

// safeRun runs fn and returns its error, or an error for its panic (whose
// stack goes to the log only, not into the error that alerts may carry).
func safeRun(ctx context.Context, logger *slog.Logger, fn JobFunc) (err error) {
	defer func() {
		if r := recover(); r != nil {
			logger.Debug("job panic stack", "stack", string(debug.Stack()))
			err = fmt.Errorf("job panicked: %v", r)
		}
	}()
	return fn(ctx)
}

// cronLogger adapts slog to cron.Logger.
type cronLogger struct{ l *slog.Logger }

var _ cron.Logger = cronLogger{}

// Info logs cron's routine messages at debug level.
func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron "+msg, kv...) }

// Error logs cron's errors.
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron "+msg, append([]any{"error", err}, kv...)...)
}
