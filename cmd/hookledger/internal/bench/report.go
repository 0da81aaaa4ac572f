package bench

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
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
	// Postgres is the ingest and processor phases on PostgreSQL (--db),
	// beside SQLite's above; null without --db.
	Postgres *postgresReport `json:"postgres"`
	Targets  []target        `json:"targets"` // only for the phases that ran to the end
	Errors   []string        `json:"errors"`  // a lost or double-processed event, a failed phase
	OK       bool            `json:"ok"`      // no errors; targets do not count

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
	Postgres        bool   `json:"postgres"`  // --db was given (its URL is never echoed)
	Instances       int    `json:"instances"` // receivers sharing the PostgreSQL database in the scaling phase
	SQLite          bool   `json:"sqlite"`    // SQLite's receiver and processor phases ran
}

// postgresReport is the phases run on PostgreSQL.
type postgresReport struct {
	Receiver *ingestResult `json:"receiver"`  // one instance
	Ratio    float64       `json:"ratio"`     // Receiver rps / bare rps
	VsSQLite float64       `json:"vs_sqlite"` // Receiver rps / SQLite receiver rps; 0 without SQLite
	// Instances is --instances receivers, each with a connection pool of
	// its own, on one database, the same connections spread over them;
	// Scale is its rps over Receiver's. Null with --instances 1.
	Instances *ingestResult  `json:"instances"`
	Scale     float64        `json:"scale"`
	Process   *processResult `json:"process"`
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

// convoyRPS is what issue 14 quotes for Convoy on PostgreSQL and Redis on
// this class of machine, acknowledging before anything was durable;
// hookledger on PostgreSQL, durable, should reach twice that.
const convoyRPS = 2560

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
	if pg := r.Postgres; pg != nil && ok(phasePostgresIngest) && pg.Receiver != nil {
		ts = append(ts,
			target{"postgres_ingest_rps", ">= 5120", pg.Receiver.RPS, pg.Receiver.RPS >= convoyRPS*2},
			target{"postgres_ingest_p99_ms", "< 20", pg.Receiver.P99, pg.Receiver.P99 < 20})
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
	r.printIngest(w)
	if r.RSS != nil {
		fmt.Fprintf(w, "  RSS of the whole bench process (load generator, server, ledger): peak %.1f MB during the sqlite receiver phase, %.1f MB at its end\n",
			r.RSS.PeakMB, r.RSS.CurrentMB)
	}
	var pgProcess *processResult
	if r.Postgres != nil {
		pgProcess = r.Postgres.Process
	}
	for _, p := range []*processResult{r.Process, pgProcess} {
		if p != nil {
			fmt.Fprintf(w, "\nprocessor (%s): %d events forwarded by %d workers in %.2fs: %.0f events/s (%d downstream requests)\n",
				p.Backend, p.Processed, p.Workers, p.Seconds, p.EventsPerSec, p.Downstream)
		}
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
