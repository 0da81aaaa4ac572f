package main

import (
	"context"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/cmd/hookledger/internal/bench"
)

// runBench is `hookledger bench`: the throughput and latency figures of
// issue 7, measured on loopback.
func runBench(ctx context.Context, env *app.Env, args []string) error {
	cfg, err := parseBenchFlags(env, args)
	if err != nil {
		return err
	}
	return bench.Run(ctx, env, cfg)
}

// parseBenchFlags parses bench's flags into a validated bench.Config.
func parseBenchFlags(env *app.Env, args []string) (bench.Config, error) {
	fs := newFlagSet(env, "bench", "bench [--source stripe] [--duration 10s] [--conns 32] [--size 2600] [--stages ingest,process,reconcile] [--db postgres://… [--instances 3] [--skip-sqlite]] [--json]",
		"hookledger bench --duration 10s --json > bench.json\n  hookledger bench --db 'postgres://postgres@127.0.0.1:5432/bench?sslmode=disable' --stages ingest,process")
	var cfg bench.Config
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "measured time of each ingest phase (at most 2m)")
	fs.DurationVar(&cfg.Warmup, "warmup", -1, "unmeasured warm-up before each ingest phase (default duration/10, at most 1s)")
	fs.IntVar(&cfg.Conns, "conns", 32, "concurrent keep-alive connections")
	fs.IntVar(&cfg.Size, "size", 2600, "bytes per event")
	source := fs.String("source", "stripe", "the source the ingest phase sends to, signed as its provider signs: "+bench.SchemeNames)
	fs.IntVar(&cfg.Pool, "pool", 0, "pre-signed events (default 40000 per second of duration); the receiver phase stops when they run out")
	stages := fs.String("stages", "ingest,process,reconcile", "phases to run, comma-separated")
	fs.IntVar(&cfg.ProcessEvents, "process-events", 20000, "events the processor phase drains")
	fs.IntVar(&cfg.ProcessWorkers, "process-workers", 32, "processor workers (concurrent forwards)")
	fs.IntVar(&cfg.ReconcileEvents, "reconcile-events", 50000, "events the fake Stripe API lists in the reconcile phase")
	fs.StringVar(&cfg.Dir, "dir", "", "where the ledger files go (default a temporary directory, removed after)")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a pprof CPU profile of the whole run to this file")
	fs.StringVar(&cfg.Postgres, "db", "", "a PostgreSQL database (postgres://… URL) to measure beside SQLite: the ingest and processor\n"+
		"phases run on it too, each in a fresh schema it creates and drops (needs CREATE on the database);\n"+
		"SQLite is always measured in --dir unless --skip-sqlite. HOOKLEDGER_DB is not read")
	fs.IntVar(&cfg.Instances, "instances", 3, "with --db, also measure this many receivers sharing the database, each with its own\n"+
		"connection pool and server, --conns spread over them; 1 skips it")
	fs.BoolVar(&cfg.SkipSQLite, "skip-sqlite", false, "with --db, leave out SQLite's receiver and processor phases")
	fs.BoolVar(&cfg.JSON, "json", false, "print one JSON document on stdout")
	if err := parseNoArgs(fs, args); err != nil {
		return cfg, err
	}
	var err error
	if cfg.Source, err = bench.ParseSource(*source); err != nil {
		return cfg, err
	}
	return cfg, cfg.Finish(*stages)
}
