package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/cmd/hookledger/internal/bench"
	"github.com/hookledger/hookledger/ledger/postgres/pgtest"
)

// shortBench are flags for a bench run of about a second, small enough
// for CI: the figures mean nothing, the shape and the checks do.
func shortBench(dir string, extra ...string) []string {
	return append([]string{"bench", "--duration", "300ms", "--warmup", "50ms", "--conns", "4",
		"--pool", "3000", "--process-events", "200", "--process-workers", "4",
		"--reconcile-events", "300", "--dir", dir}, extra...)
}

func benchContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestBenchJSON(t *testing.T) {
	env, stdout, stderr := testEnv(nil)
	if err := runWith(benchContext(t), env, shortBench(t.TempDir(), "--json")); err != nil {
		t.Fatalf("bench error = %v\nstderr:\n%s", err, stderr)
	}
	var rep bench.Report
	if err := json.Unmarshal([]byte(stdout.String()), &rep); err != nil {
		t.Fatalf("stdout is not one JSON report: %v\n%s", err, stdout)
	}
	if !rep.OK || len(rep.Errors) != 0 {
		t.Errorf("ok = %v, errors = %v, want true and none", rep.OK, rep.Errors)
	}
	if rep.Machine.CPUs < 1 || rep.Machine.GoVersion == "" {
		t.Errorf("machine = %+v, want CPUs and Go version", rep.Machine)
	}
	if rep.Bare == nil || rep.Receiver == nil || rep.Process == nil || rep.Reconcile == nil || rep.RSS == nil {
		t.Fatalf("report lacks a phase: %s", stdout)
	}
	if rep.Bare.OK == 0 || rep.Receiver.OK == 0 || rep.Receiver.RPS <= 0 || rep.Receiver.P99 <= 0 || rep.Ratio <= 0 {
		t.Errorf("ingest figures empty: bare %+v receiver %+v ratio %v", rep.Bare, rep.Receiver, rep.Ratio)
	}
	if r := rep.Receiver; r.Lost != 0 || r.InLedger != r.Acked+r.StoredUnacked {
		t.Errorf("receiver acked %d, in ledger %d, lost %d, stored unacked %d: want every ack stored",
			r.Acked, r.InLedger, r.Lost, r.StoredUnacked)
	}
	if p := rep.Process; p.Processed != 200 || p.Downstream != 200 {
		t.Errorf("process = %+v, want 200 processed and delivered", p)
	}
	if c := rep.Reconcile; c.Events != 300 || c.Missing != 3 || c.DiffEventsPerSec <= 0 {
		t.Errorf("reconcile = %+v, want 300 events, 3 missing", c)
	}
	if len(rep.Targets) != 5 {
		t.Errorf("targets = %+v, want 5", rep.Targets)
	}
}

func TestBenchHumanOutput(t *testing.T) {
	env, stdout, _ := testEnv(nil)
	if err := runWith(benchContext(t), env, shortBench(t.TempDir(), "--stages", "ingest")); err != nil {
		t.Fatalf("bench error = %v", err)
	}
	for _, want := range []string{"bare net/http handler", "hookledger receiver", "ratio receiver/bare", "0 lost", "targets:"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

// TestBenchDetectsLoss deletes one acknowledged event between the load
// and the check: the run must fail with bench.ErrLost (exit 1).
func TestBenchDetectsLoss(t *testing.T) {
	env, stdout, _ := testEnv(nil)
	cfg, err := parseBenchFlags(env, shortBench(t.TempDir(), "--stages", "ingest", "--json")[1:])
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tamper = func(ctx context.Context, path string) error {
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			return err
		}
		defer db.Close()
		_, err = db.ExecContext(ctx, `DELETE FROM events WHERE id = (SELECT min(id) FROM events)`)
		return err
	}
	err = bench.Run(benchContext(t), env, cfg)
	if !errors.Is(err, bench.ErrLost) {
		t.Fatalf("bench error = %v, want errLost", err)
	}
	if code := app.ExitCode(err, &bytes.Buffer{}); code != app.ExitError {
		t.Errorf("exit code = %d, want %d", code, app.ExitError)
	}
	var rep bench.Report
	if err := json.Unmarshal([]byte(stdout.String()), &rep); err != nil {
		t.Fatalf("stdout is not one JSON report: %v", err)
	}
	if rep.OK || rep.Receiver == nil || rep.Receiver.Lost != 1 {
		t.Errorf("ok = %v, receiver = %+v, want not ok with 1 lost", rep.OK, rep.Receiver)
	}
}

// TestBenchFailedPhaseHasNoVerdict runs the bench against a ledger
// directory that does not exist: every phase fails before it measures
// anything, and none may be reported as meeting its target.
func TestBenchFailedPhaseHasNoVerdict(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	for _, asJSON := range []bool{false, true} {
		env, stdout, stderr := testEnv(nil)
		args := shortBench(missing, "--stages", "ingest,process")
		if asJSON {
			args = append(args, "--json")
		}
		err := runWith(benchContext(t), env, args)
		if code := app.ExitCode(err, io.Discard); code != app.ExitError {
			t.Fatalf("bench --dir %s (json %v) exit = %d (%v), want %d\nstderr:\n%s", missing, asJSON, code, err, app.ExitError, stderr)
		}
		if !asJSON {
			out := stdout.String()
			if strings.Contains(out, " met\n") || !strings.Contains(out, "ingest                     no verdict") ||
				!strings.Contains(out, "process                    no verdict") {
				t.Errorf("human report of failed phases:\n%s\nwant no target met and no verdict for ingest and process", out)
			}
			continue
		}
		var rep bench.Report
		if err := json.Unmarshal([]byte(stdout.String()), &rep); err != nil {
			t.Fatalf("stdout is not one JSON report: %v\n%s", err, stdout)
		}
		if rep.OK || len(rep.Errors) != 2 || len(rep.Targets) != 0 {
			t.Errorf("ok = %v, errors = %q, targets = %+v; want not ok, 2 errors, no targets", rep.OK, rep.Errors, rep.Targets)
		}
	}
}

func TestBenchFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"zero duration", []string{"--duration", "0s"}},
		{"too long", []string{"--duration", "3m"}},
		{"no conns", []string{"--conns", "0"}},
		{"event too small", []string{"--size", "100"}},
		{"unknown stage", []string{"--stages", "ingest,nope"}},
		{"argument", []string{"extra"}},
		{"negative pool", []string{"--pool", "-1"}},
		{"pool too large", []string{"--pool", "3000000"}},
		{"db not postgres", []string{"--db", "other.db"}},
		{"no instances", []string{"--db", "postgres://u@127.0.0.1/x", "--instances", "0"}},
		{"skip sqlite alone", []string{"--skip-sqlite"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _, _ := testEnv(nil)
			_, err := parseBenchFlags(env, tt.args)
			if !errors.Is(err, app.ErrUsage) {
				t.Errorf("parseBenchFlags(%q) error = %v, want a usage error", tt.args, err)
			}
		})
	}
}

func TestBenchDrivesAnotherSource(t *testing.T) {
	env, stdout, stderr := testEnv(nil)
	args := shortBench(t.TempDir(), "--json", "--source", "paddle", "--stages", "ingest")
	if err := runWith(benchContext(t), env, args); err != nil {
		t.Fatalf("bench --source paddle error = %v\nstderr:\n%s", err, stderr)
	}
	var rep bench.Report
	if err := json.Unmarshal([]byte(stdout.String()), &rep); err != nil {
		t.Fatal(err)
	}
	if r := rep.Receiver; rep.Config.Source != "paddle" || r == nil || r.OK == 0 || r.Lost != 0 || r.InLedger != r.Acked+r.StoredUnacked {
		t.Errorf("bench --source paddle = source %q, receiver %+v; want paddle events acknowledged and stored", rep.Config.Source, r)
	}
	env, _, _ = testEnv(nil)
	if err := runWith(benchContext(t), env, []string{"bench", "--source", "nope"}); !errors.Is(err, app.ErrUsage) {
		t.Errorf("bench --source nope = %v, want a usage error", err)
	}
}

// TestBenchPostgres runs the ingest and processor phases on PostgreSQL
// beside SQLite, with two receivers sharing the database: every figure
// is there, every acknowledged event is in each ledger, each processed
// event was delivered once, and the schemas the bench made are gone.
func TestBenchPostgres(t *testing.T) {
	url := pgtest.ConnString(t)
	env, stdout, stderr := testEnv(nil)
	args := shortBench(t.TempDir(), "--json", "--stages", "ingest,process", "--db", url, "--instances", "2")
	if err := runWith(benchContext(t), env, args); err != nil {
		t.Fatalf("bench --db error = %v\nstderr:\n%s", err, stderr)
	}
	var rep bench.Report
	if err := json.Unmarshal([]byte(stdout.String()), &rep); err != nil {
		t.Fatalf("stdout is not one JSON report: %v\n%s", err, stdout)
	}
	pg := rep.Postgres
	if !rep.OK || pg == nil || pg.Receiver == nil || pg.Instances == nil || pg.Process == nil || rep.Receiver == nil {
		t.Fatalf("report = %s, want ok with sqlite and postgres phases", stdout)
	}
	for _, r := range []struct {
		backend                                   string
		instances, ok, acked, inLedger, lost, una int
	}{
		{rep.Receiver.Backend, rep.Receiver.Instances, rep.Receiver.OK, rep.Receiver.Acked, rep.Receiver.InLedger, rep.Receiver.Lost, rep.Receiver.StoredUnacked},
		{pg.Receiver.Backend, pg.Receiver.Instances, pg.Receiver.OK, pg.Receiver.Acked, pg.Receiver.InLedger, pg.Receiver.Lost, pg.Receiver.StoredUnacked},
		{pg.Instances.Backend, pg.Instances.Instances, pg.Instances.OK, pg.Instances.Acked, pg.Instances.InLedger, pg.Instances.Lost, pg.Instances.StoredUnacked},
	} {
		if r.ok == 0 || r.lost != 0 || r.inLedger != r.acked+r.una {
			t.Errorf("%s ×%d: ok %d, acked %d, in ledger %d, lost %d, stored unacked %d: want every ack stored",
				r.backend, r.instances, r.ok, r.acked, r.inLedger, r.lost, r.una)
		}
	}
	if pg.Receiver.Backend != "postgres" || pg.Instances.Instances != 2 || pg.Receiver.EventsPerCommit <= 0 || pg.Scale <= 0 || pg.VsSQLite <= 0 {
		t.Errorf("postgres receiver %+v, instances %+v, scale %v, vs sqlite %v", pg.Receiver, pg.Instances, pg.Scale, pg.VsSQLite)
	}
	if p := pg.Process; p.Backend != "postgres" || p.Processed != 200 || p.Downstream != 200 {
		t.Errorf("postgres process = %+v, want 200 processed and delivered", p)
	}
	if len(rep.Targets) != 6 {
		t.Errorf("targets = %+v, want sqlite's ingest, RSS, process and postgres's two", rep.Targets)
	}
	if schemas := benchSchemas(t, url); len(schemas) != 0 {
		t.Errorf("schemas left after the run: %v", schemas)
	}
}

// TestBenchPostgresDetectsLoss deletes one acknowledged event from the
// PostgreSQL ledger between the load and the check: the run must fail
// with bench.ErrLost.
func TestBenchPostgresDetectsLoss(t *testing.T) {
	url := pgtest.ConnString(t)
	env, stdout, _ := testEnv(nil)
	cfg, err := parseBenchFlags(env, shortBench(t.TempDir(), "--stages", "ingest", "--json", "--db", url, "--skip-sqlite", "--instances", "1")[1:])
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tamper = func(ctx context.Context, dsn string) error {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `DELETE FROM events WHERE id = (SELECT min(id) FROM events)`)
		return err
	}
	if err := bench.Run(benchContext(t), env, cfg); !errors.Is(err, bench.ErrLost) {
		t.Fatalf("bench error = %v, want ErrLost", err)
	}
	var rep bench.Report
	if err := json.Unmarshal([]byte(stdout.String()), &rep); err != nil {
		t.Fatalf("stdout is not one JSON report: %v", err)
	}
	if rep.OK || rep.Receiver != nil || rep.Postgres == nil || rep.Postgres.Receiver == nil || rep.Postgres.Receiver.Lost != 1 {
		t.Errorf("ok = %v, sqlite %+v, postgres %+v; want not ok, no sqlite phase, 1 lost on postgres", rep.OK, rep.Receiver, rep.Postgres)
	}
	if schemas := benchSchemas(t, url); len(schemas) != 0 {
		t.Errorf("schemas left after the run: %v", schemas)
	}
}

// benchSchemas lists the bench schemas (hookledger_bench_*) on the
// database url names that no bench connection uses: left behind. A
// bench running at the same time elsewhere on the server has its
// schema's connections open, so its schemas are not counted.
func benchSchemas(t *testing.T, url string) []string {
	t.Helper()
	ctx := benchContext(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT nspname FROM pg_namespace n WHERE nspname LIKE 'hookledger\_bench\_%'
		AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a
			WHERE a.application_name = 'hookledger-bench-' || substr(n.nspname, length('hookledger_bench_') + 1))`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}
