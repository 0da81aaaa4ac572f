package bench

import (
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// Phase names as the report's verdicts name them. A stage of --stages
// runs one or more of them: ingest runs the bare handler and each
// backend's receivers, process each backend's processor.
const (
	phaseIngest          = "ingest"
	phaseProcess         = "process"
	phaseReconcile       = "reconcile"
	phasePostgresIngest  = "postgres ingest"
	phasePostgresScale   = "postgres instances"
	phasePostgresProcess = "postgres process"
)

// runPhases runs every selected phase in order, going on after a failed
// one so the report says as much as it can.
func runPhases(ctx context.Context, env *app.Env, cfg Config, dir string) *Report {
	rep := &Report{Machine: readMachine(), Config: benchSettings{
		Source: cfg.Source.name, Duration: cfg.Duration.String(), Warmup: cfg.Warmup.String(), Conns: cfg.Conns, Size: cfg.Size,
		Pool: cfg.Pool, ProcessEvents: cfg.ProcessEvents, ProcessWorkers: cfg.ProcessWorkers,
		ReconcileEvents: cfg.ReconcileEvents, Postgres: cfg.Postgres != "", Instances: cfg.Instances, SQLite: !cfg.SkipSQLite,
	}, Errors: []string{}}
	if cfg.Postgres != "" {
		rep.Postgres = &postgresReport{}
	}
	progress := func(format string, args ...any) { fmt.Fprintf(env.Stderr, "bench: "+format+"\n", args...) }
	var errs []error
	fail := func(phase string, err error) {
		if err != nil {
			errs = append(errs, err)
			rep.Errors = append(rep.Errors, err.Error())
			rep.failed = append(rep.failed, phase)
		}
	}
	for _, stage := range benchPhases {
		if cfg.Stages[stage] && ctx.Err() == nil {
			rep.runStage(ctx, cfg, stage, dir, progress, fail)
		}
	}
	fail("", ctx.Err())
	rep.err = errors.Join(errs...)
	rep.OK = rep.err == nil
	return rep
}

// runStage runs one stage of --stages, recording its figures in r even
// when a phase fails partway, and each failure through fail.
func (r *Report) runStage(ctx context.Context, cfg Config, stage, dir string, progress func(string, ...any), fail func(string, error)) {
	switch stage {
	case "ingest":
		progress("signing %d events of %d bytes", cfg.Pool, cfg.Size)
		pool, err := newEventPool(cfg.Source, cfg.Pool, cfg.Size, time.Now())
		if err != nil {
			fail(phaseIngest, err)
			return
		}
		r.runIngest(ctx, cfg, dir, pool, progress, fail)
	case "process":
		pool, err := newEventPool(benchSchemes["stripe"], 0, cfg.Size, time.Now())
		if err != nil {
			fail(phaseProcess, err)
			return
		}
		if !cfg.SkipSQLite {
			progress("processor (sqlite): recording %d events, then draining them to a local downstream", cfg.ProcessEvents)
			res, err := benchProcess(ctx, newSQLiteStore(dir, "process.db"), pool, cfg.ProcessEvents, cfg.ProcessWorkers)
			r.Process = &res
			fail(phaseProcess, err)
		}
		if cfg.Postgres != "" && ctx.Err() == nil {
			progress("processor (postgres): recording %d events, then draining them to a local downstream", cfg.ProcessEvents)
			err := withPostgres(ctx, cfg.Postgres, func(st *store) error {
				res, err := benchProcess(ctx, st, pool, cfg.ProcessEvents, cfg.ProcessWorkers)
				r.Postgres.Process = &res
				return err
			})
			fail(phasePostgresProcess, err)
		}
	default:
		progress("reconcile: backfilling then diffing %d events from the fake Stripe API", cfg.ReconcileEvents)
		res, err := benchReconcile(ctx, dir, cfg.ReconcileEvents)
		r.Reconcile = &res
		fail(phaseReconcile, err)
	}
}

// runIngest measures the bare handler, then the receiver on each backend,
// with the same pool, load and server settings; each receiver phase
// gets a fresh ledger.
func (r *Report) runIngest(ctx context.Context, cfg Config, dir string, pool *eventPool, progress func(string, ...any), fail func(string, error)) {
	spec := loadSpec{Conns: cfg.Conns, Warmup: cfg.Warmup, Duration: cfg.Duration, Pool: pool}
	progress("bare net/http handler: %s at %d connections", cfg.Duration, cfg.Conns)
	var bare loadResult
	var err error
	labelPhase(ctx, "bare", func(ctx context.Context) { bare, err = benchBare(ctx, spec) })
	r.Bare = &bare
	if err != nil {
		fail(phaseIngest, err)
		return
	}
	if !cfg.SkipSQLite {
		progress("receiver (%s, verify, durable commit, sqlite): %s at %d connections", cfg.Source.name, cfg.Duration, cfg.Conns)
		reset := resetPeakRSS()
		var recv ingestResult
		labelPhase(ctx, "receiver-sqlite", func(ctx context.Context) {
			recv, err = benchReceiver(ctx, newSQLiteStore(dir, "ingest.db"), 1, spec, cfg.Tamper)
		})
		r.Receiver = &recv
		r.RSS = readRSS(reset, pool)
		if bare.RPS > 0 {
			r.Ratio = recv.RPS / bare.RPS
		}
		if recv.CPUPerRequest > 0 {
			r.CPURatio = bare.CPUPerRequest / recv.CPUPerRequest
		}
		fail(phaseIngest, err)
	}
	if cfg.Postgres == "" || ctx.Err() != nil {
		return
	}
	pg := r.Postgres
	progress("receiver (%s, verify, durable commit, postgres): %s at %d connections", cfg.Source.name, cfg.Duration, cfg.Conns)
	labelPhase(ctx, "receiver-postgres", func(ctx context.Context) {
		err = withPostgres(ctx, cfg.Postgres, func(st *store) error {
			recv, err := benchReceiver(ctx, st, 1, spec, cfg.Tamper)
			pg.Receiver = &recv
			return err
		})
	})
	fail(phasePostgresIngest, err)
	if pg.Receiver == nil {
		return
	}
	if bare.RPS > 0 {
		pg.Ratio = pg.Receiver.RPS / bare.RPS
	}
	if r.Receiver != nil && r.Receiver.RPS > 0 {
		pg.VsSQLite = pg.Receiver.RPS / r.Receiver.RPS
	}
	if cfg.Instances < 2 || ctx.Err() != nil {
		return
	}
	progress("%d receivers on one postgres database, a connection pool each: %s at %d connections in all", cfg.Instances, cfg.Duration, cfg.Conns)
	labelPhase(ctx, "receivers-postgres", func(ctx context.Context) {
		err = withPostgres(ctx, cfg.Postgres, func(st *store) error {
			recv, err := benchReceiver(ctx, st, cfg.Instances, spec, cfg.Tamper)
			pg.Instances = &recv
			return err
		})
	})
	fail(phasePostgresScale, err)
	if pg.Instances != nil && pg.Receiver.RPS > 0 {
		pg.Scale = pg.Instances.RPS / pg.Receiver.RPS
	}
}

// labelPhase runs fn with the pprof label phase=name, which every
// goroutine fn starts inherits (servers, load, the ledger's writer), so
// one phase of a --cpuprofile reads alone: go tool pprof -tagfocus
// phase=receiver-sqlite.
func labelPhase(ctx context.Context, name string, fn func(context.Context)) {
	pprof.Do(ctx, pprof.Labels("phase", name), fn)
}

// withPostgres runs fn on a fresh schema of the database base names and
// drops the schema after.
func withPostgres(ctx context.Context, base string, fn func(st *store) error) error {
	st, err := newPostgresStore(ctx, base)
	if err != nil {
		return err
	}
	err = fn(st)
	return errors.Join(err, st.drop())
}
