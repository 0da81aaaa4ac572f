// Package bench is `hookledger bench`: the ingest, processing and
// reconcile throughput and latency, measured on loopback against fresh
// ledgers opened through app.OpenLedger, with a check that no
// acknowledged event is lost. Package main parses its flags into Config
// and calls Run.
package bench

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// Bench bounds: the signatures are made before the timed phases and
// Stripe's tolerance is 5 minutes, so a run stays well inside it.
const (
	maxBenchDuration = 2 * time.Minute
	maxBenchPool     = 2_000_000
	poolPerSecond    = 40_000 // pre-signed events per measured second, far above what the receiver reaches
)

// Config is one bench run's settings.
type Config struct {
	Source          *benchScheme // the ingest phase's source
	Duration        time.Duration
	Warmup          time.Duration
	Conns           int
	Size            int
	Pool            int
	Stages          map[string]bool
	ProcessEvents   int
	ProcessWorkers  int
	ReconcileEvents int
	Dir             string
	CPUProfile      string
	JSON            bool
	// Postgres, when set, is a postgres:// URL: the ingest and processor
	// phases run on it too, beside SQLite, each on a fresh schema of that
	// database dropped after it.
	Postgres string
	// Instances is how many receivers share the PostgreSQL database in
	// the scaling phase (each with its own connection pool); 1 skips it.
	Instances int
	// SkipSQLite leaves out SQLite's receiver and processor phases.
	SkipSQLite bool
	// Tamper runs between a receiver's load and the ledger check, with the
	// ledger's path or connection string; tests use it to prove the check
	// catches a lost event.
	Tamper func(ctx context.Context, dsn string) error
}

// Finish validates cfg and fills the defaults that depend on other flags.
func (cfg *Config) Finish(stages string) error {
	switch {
	case cfg.Duration <= 0 || cfg.Duration > maxBenchDuration:
		return app.UsageError("bench: --duration must be in (0, 2m]")
	case cfg.Conns < 1 || cfg.Conns > 1024:
		return app.UsageError("bench: --conns must be in [1, 1024]")
	case cfg.Pool < 0 || cfg.Pool > maxBenchPool:
		return app.UsageError(fmt.Sprintf("bench: --pool must be in [0, %d]", maxBenchPool))
	case cfg.ProcessEvents < 1 || cfg.ProcessWorkers < 1 || cfg.ReconcileEvents < 2:
		return app.UsageError("bench: --process-events, --process-workers must be positive, --reconcile-events at least 2")
	case cfg.Postgres != "" && !app.IsPostgres(cfg.Postgres):
		// Never echo the value: it may be a URL holding a password.
		return app.UsageError("bench: --db must be a postgres:// or postgresql:// URL (SQLite is always measured, in --dir)")
	case cfg.Instances < 1 || cfg.Instances > 16:
		return app.UsageError("bench: --instances must be in [1, 16]")
	case cfg.SkipSQLite && cfg.Postgres == "":
		return app.UsageError("bench: --skip-sqlite needs --db")
	}
	if cfg.Source == nil {
		cfg.Source = benchSchemes["stripe"]
	}
	if _, err := sizedTemplate(cfg.Source, time.Now(), cfg.Size); err != nil {
		return err
	}
	if cfg.Warmup < 0 {
		cfg.Warmup = min(cfg.Duration/10, time.Second)
	}
	if cfg.Pool == 0 {
		cfg.Pool = min(max(int((cfg.Duration+cfg.Warmup).Seconds()*poolPerSecond), 1000), maxBenchPool)
	}
	cfg.Stages = map[string]bool{}
	for s := range strings.SplitSeq(stages, ",") {
		switch s = strings.TrimSpace(s); s {
		case "ingest", "process", "reconcile":
			cfg.Stages[s] = true
		case "":
		default:
			return app.UsageError(fmt.Sprintf("bench: unknown stage %q (want ingest, process, reconcile)", s))
		}
	}
	return nil
}

// Run runs the selected phases, prints the report, and fails when a
// phase lost or double-processed an event (exit 1). Missing a target is
// reported, not an error.
func Run(ctx context.Context, env *app.Env, cfg Config) error {
	dir := cfg.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "hookledger-bench-")
		if err != nil {
			return fmt.Errorf("create bench directory: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if cfg.CPUProfile != "" {
		stop, err := startCPUProfile(cfg.CPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	rep := runPhases(ctx, env, cfg, dir)
	rep.Targets = rep.targets()
	if cfg.JSON {
		if err := app.WriteJSON(env.Stdout, rep); err != nil {
			return fmt.Errorf("write bench report: %w", err)
		}
	} else {
		rep.print(env.Stdout)
	}
	return rep.err
}

// startCPUProfile writes a CPU profile to path until the returned stop.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("start cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
