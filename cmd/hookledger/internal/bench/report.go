package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// Report is the whole run, as printed by `bench --json`. A phase not
// run is null.
type Report struct {
	Machine  machineInfo   `json:"machine"`
	Config   benchSettings `json:"config"`
	Bare     *loadResult   `json:"bare"`
	Receiver *ingestResult `json:"receiver"`
	Ratio    float64       `json:"ratio"` // receiver rps / bare rps
	// CPURatio is bare CPU per request / receiver CPU per request: what
	// the ratio tends to when both phases saturate the CPUs, so a run on
	// a busy machine can still be judged.
	CPURatio  float64          `json:"cpu_ratio"`
	RSS       *rssInfo         `json:"rss"`
	Process   *processResult   `json:"process"`
	Reconcile *reconcileResult `json:"reconcile"`
	Targets   []target         `json:"targets"` // only for the phases that ran to the end
	Errors    []string         `json:"errors"`  // a lost or double-processed event, a failed phase
	OK        bool             `json:"ok"`      // no errors; targets do not count

	err    error
	failed []string // phases that returned an error: their figures get no verdict
}

// benchSettings echoes the settings of a run.
type benchSettings struct {
	Source          string `json:"source"` // the ingest phase's
	Duration        string `json:"duration"`
	Warmup          string `json:"warmup"`
	Conns           int    `json:"conns"`
	Size            int    `json:"size"`
	Pool            int    `json:"pool"`
	ProcessEvents   int    `json:"process_events"`
	ProcessWorkers  int    `json:"process_workers"`
	ReconcileEvents int    `json:"reconcile_events"`
}

// benchPhases are the phases a run may select, in the order they run.
var benchPhases = []string{"ingest", "process", "reconcile"}

// target is one of issue 7's goals and whether the run met it.
type target struct {
	Name  string  `json:"name"`
	Want  string  `json:"want"`
	Value float64 `json:"value"`
	Met   bool    `json:"met"`
}

// runPhases runs every selected phase in order, going on after a failed
// one so the report says as much as it can.
func runPhases(ctx context.Context, env *app.Env, cfg Config, dir string) *Report {
	rep := &Report{Machine: readMachine(), Config: benchSettings{
		Source: cfg.Source.name, Duration: cfg.Duration.String(), Warmup: cfg.Warmup.String(), Conns: cfg.Conns, Size: cfg.Size,
		Pool: cfg.Pool, ProcessEvents: cfg.ProcessEvents, ProcessWorkers: cfg.ProcessWorkers,
		ReconcileEvents: cfg.ReconcileEvents,
	}, Errors: []string{}}
	progress := func(format string, args ...any) { fmt.Fprintf(env.Stderr, "bench: "+format+"\n", args...) }
	var errs []error
	fail := func(phase string, err error) {
		if err != nil {
			errs = append(errs, err)
			rep.Errors = append(rep.Errors, err.Error())
			rep.failed = append(rep.failed, phase)
		}
	}
	for _, phase := range benchPhases {
		if cfg.Stages[phase] && ctx.Err() == nil {
			fail(phase, rep.runPhase(ctx, cfg, phase, dir, progress))
		}
	}
	fail("", ctx.Err())
	rep.err = errors.Join(errs...)
	rep.OK = rep.err == nil
	return rep
}

// runPhase runs one phase, recording its figures in r even when it fails
// partway.
func (r *Report) runPhase(ctx context.Context, cfg Config, phase, dir string, progress func(string, ...any)) error {
	switch phase {
	case "ingest":
		progress("signing %d events of %d bytes", cfg.Pool, cfg.Size)
		pool, err := newEventPool(cfg.Source, cfg.Pool, cfg.Size, time.Now())
		if err != nil {
			return err
		}
		return runIngest(ctx, cfg, dir, pool, r, progress)
	case "process":
		progress("processor: recording %d events, then draining them to a local downstream", cfg.ProcessEvents)
		pool, err := newEventPool(benchSchemes["stripe"], 0, cfg.Size, time.Now())
		if err != nil {
			return err
		}
		res, err := benchProcess(ctx, dir, pool, cfg.ProcessEvents, cfg.ProcessWorkers)
		r.Process = &res
		return err
	default:
		progress("reconcile: backfilling then diffing %d events from the fake Stripe API", cfg.ReconcileEvents)
		res, err := benchReconcile(ctx, dir, cfg.ReconcileEvents)
		r.Reconcile = &res
		return err
	}
}

// runIngest measures the bare handler, then the receiver, with the same
// pool, load and server settings.
func runIngest(ctx context.Context, cfg Config, dir string, pool *eventPool, rep *Report, progress func(string, ...any)) error {
	spec := loadSpec{Conns: cfg.Conns, Warmup: cfg.Warmup, Duration: cfg.Duration, Pool: pool}
	progress("bare net/http handler: %s at %d connections", cfg.Duration, cfg.Conns)
	bare, err := benchBare(ctx, spec)
	rep.Bare = &bare
	if err != nil {
		return err
	}
	progress("receiver (%s, verify, durable commit): %s at %d connections", cfg.Source.name, cfg.Duration, cfg.Conns)
	reset := resetPeakRSS()
	recv, err := benchReceiver(ctx, dir, spec, cfg.Tamper)
	rep.Receiver = &recv
	rep.RSS = readRSS(reset, pool)
	if bare.RPS > 0 {
		rep.Ratio = recv.RPS / bare.RPS
	}
	if recv.CPUPerRequest > 0 {
		rep.CPURatio = bare.CPUPerRequest / recv.CPUPerRequest
	}
	return err
}

// targets returns issue 7's targets for the phases that ran to the end. A
// phase that failed gets none: its figures may be zeros from a run that
// never happened, and a zero latency must not read as a target met.
func (r *Report) targets() []target {
	ts := []target{}
	ok := func(phase string) bool { return !slices.Contains(r.failed, phase) }
	if ok("ingest") && r.Receiver != nil && r.Bare != nil {
		ts = append(ts,
			target{"ingest_ratio", ">= 0.4", r.Ratio, r.Ratio >= 0.4},
			target{"ingest_p99_ms", "< 20", r.Receiver.P99, r.Receiver.P99 < 20})
	}
	// The RSS figure is taken during the ingest phase.
	if ok("ingest") && r.RSS != nil && r.RSS.PeakMB > 0 {
		ts = append(ts, target{"rss_peak_mb", "< 150", r.RSS.PeakMB, r.RSS.PeakMB < 150})
	}
	if ok("process") && r.Process != nil {
		ts = append(ts, target{"process_events_per_sec", ">= 10000", r.Process.EventsPerSec, r.Process.EventsPerSec >= 10000})
	}
	if ok("reconcile") && r.Reconcile != nil {
		ts = append(ts, target{"reconcile_events_per_sec", ">= 20000", r.Reconcile.DiffEventsPerSec, r.Reconcile.DiffEventsPerSec >= 20000})
	}
	return ts
}

// print writes the human form of the report.
func (r *Report) print(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "hookledger bench: %d CPUs (%s), GOMAXPROCS %d, %s, %s %s, load average %s at start\n",
		m.CPUs, m.CPUModel, m.GOMAXPROCS, m.MemTotal, m.GoVersion, m.OSArch, m.LoadAvg)
	if r.Bare != nil && r.Receiver != nil {
		fmt.Fprintf(w, "\ningest: %d-byte Stripe-signed events, %d keep-alive connections, %s measured (+%s warm-up)\n",
			r.Config.Size, r.Config.Conns, r.Config.Duration, r.Config.Warmup)
		fmt.Fprintf(w, "  %-22s %9s %9s %9s %9s %7s %12s\n", "", "req/s", "p50 ms", "p99 ms", "max ms", "errors", "cpu µs/req")
		for _, row := range []struct {
			name string
			res  *loadResult
		}{{"bare net/http handler", r.Bare}, {"hookledger receiver", &r.Receiver.loadResult}} {
			fmt.Fprintf(w, "  %-22s %9.0f %9.2f %9.2f %9.2f %7d %12.0f\n", row.name, row.res.RPS, row.res.P50, row.res.P99, row.res.Max, row.res.Errors, row.res.CPUPerRequest)
		}
		fmt.Fprintf(w, "  ratio receiver/bare: %.2f (by CPU per request: %.2f)\n", r.Ratio, r.CPURatio)
		fmt.Fprintf(w, "  ledger: %d acknowledged, %d in ledger, %d lost; %.0f bytes of file per event\n", r.Receiver.Acked, r.Receiver.InLedger, r.Receiver.Lost, r.Receiver.BytesPerEvent)
		fmt.Fprintf(w, "  writer: %.1f CPU µs per event, %.1f events per commit, inside a transaction %.0f%% of the phase\n",
			r.Receiver.WriterCPUPerEvent, r.Receiver.EventsPerCommit, 100*r.Receiver.WriterBusy)
		if r.Receiver.PoolExhausted {
			fmt.Fprintln(w, "  note: the receiver used up the pre-signed pool before the duration ended (raise --pool)")
		}
	}
	if r.RSS != nil {
		fmt.Fprintf(w, "  RSS of the whole bench process (load generator, server, ledger): peak %.1f MB during the receiver phase, %.1f MB at its end\n",
			r.RSS.PeakMB, r.RSS.CurrentMB)
	}
	if p := r.Process; p != nil {
		fmt.Fprintf(w, "\nprocessor: %d events forwarded by %d workers in %.2fs: %.0f events/s (%d downstream requests)\n",
			p.Processed, p.Workers, p.Seconds, p.EventsPerSec, p.Downstream)
	}
	if c := r.Reconcile; c != nil {
		fmt.Fprintf(w, "\nreconcile: backfill %d events in %.2fs (%.0f/s); list and diff %d events in %.2fs: %.0f events/s (%d missing found)\n",
			c.Events-c.Missing, c.BackfillSeconds, c.BackfillPerSec, c.Events, c.DiffSeconds, c.DiffEventsPerSec, c.Missing)
	}
	fmt.Fprintln(w, "\ntargets:")
	for _, t := range r.Targets {
		verdict := "met"
		if !t.Met {
			verdict = "MISSED"
		}
		fmt.Fprintf(w, "  %-26s %12.2f  want %-9s %s\n", t.Name, t.Value, t.Want, verdict)
	}
	for _, phase := range r.failed {
		if phase != "" {
			fmt.Fprintf(w, "  %-26s no verdict: the phase failed\n", phase)
		}
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "\nFAILED: %s\n", e)
	}
}

// machineInfo describes where the run happened.
type machineInfo struct {
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUModel   string `json:"cpu_model"`
	MemTotal   string `json:"mem_total"`
	GoVersion  string `json:"go_version"`
	OSArch     string `json:"os_arch"`
	// LoadAvg is /proc/loadavg's 1-minute figure when the run started:
	// other work on the machine competes with the bench for its CPUs.
	LoadAvg string `json:"load_avg"`
}

// readMachine describes this machine; "unknown" where procfs says nothing.
func readMachine() machineInfo {
	m := machineInfo{CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(),
		OSArch: runtime.GOOS + "/" + runtime.GOARCH, CPUModel: "unknown", MemTotal: "unknown"}
	if v, ok := procField("/proc/cpuinfo", "model name"); ok {
		m.CPUModel = v
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			m.LoadAvg = f[0]
		}
	}
	if kb, ok := procKB("/proc/meminfo", "MemTotal"); ok {
		m.MemTotal = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	return m
}
