package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
)

// runPrune is `hookledger prune`: retention as configured, once, the same
// work as the scheduled prune job.
func runPrune(ctx context.Context, env *app.Env, args []string) error {
	fs := newFlagSet(env, "prune", "prune [--dry-run] [--json] [--db PATH]",
		"HOOKLEDGER_RETENTION_PAYLOADS=14d hookledger prune --dry-run")
	dbPath := fs.String("db", "", app.DBFlagUsage)
	dryRun := fs.Bool("dry-run", false, "count what would be pruned; change nothing")
	asJSON := fs.Bool("json", false, "print one JSON object on stdout")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	cfg, err := app.LoadConfigDB(env, *dbPath)
	if err != nil {
		return err
	}
	provs, err := app.BuildProviders(cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		return err
	}
	if err := app.CheckRetention(&cfg, provs); err != nil {
		return err
	}
	if err := app.RequireLedger("prune", cfg.DB); err != nil {
		return err
	}
	db, err := app.OpenWritable(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := db.Prune(ctx, ledger.PruneOptions{Retention: cfg.Retention, DryRun: *dryRun})
	if err != nil {
		return err
	}
	if *asJSON {
		return app.WriteJSON(env.Stdout, toPruneJSON(cfg.Retention, rep))
	}
	printPrune(env.Stdout, cfg.Retention, rep)
	return nil
}

// pruneJSON is the shape of `prune --json` and `events purge --json`.
type pruneJSON struct {
	DryRun        bool              `json:"dry_run"`
	Retention     map[string]string `json:"retention,omitempty"`
	Payloads      int               `json:"payloads"`
	Events        int               `json:"events"`
	Attempts      int               `json:"attempts"`
	Receipts      int               `json:"receipts"`
	Runs          int               `json:"runs"`
	AlertMessages int               `json:"alert_messages"`
	Alerts        int               `json:"alerts"`
	VacuumedPages int               `json:"vacuumed_pages"`
	FreePages     int               `json:"free_pages"`
	AutoVacuum    bool              `json:"auto_vacuum"`
	Batches       int               `json:"batches"`
	SlowBatches   int               `json:"slow_batches"`
	MaxBatchMS    float64           `json:"max_batch_ms"`
	DurationMS    float64           `json:"duration_ms"`
}

func toPruneJSON(r ledger.Retention, rep ledger.PruneReport) pruneJSON {
	j := pruneJSON{DryRun: rep.DryRun, Payloads: rep.Payloads, Events: rep.Events, Attempts: rep.Attempts,
		Receipts: rep.Receipts, Runs: rep.Runs, AlertMessages: rep.AlertMessages, Alerts: rep.Alerts,
		VacuumedPages: rep.VacuumedPages, FreePages: rep.FreePages, AutoVacuum: rep.AutoVacuum,
		Batches: rep.Batches, SlowBatches: rep.SlowBatches, MaxBatchMS: app.MillisOf(rep.MaxBatch), DurationMS: app.MillisOf(rep.Duration)}
	if r != (ledger.Retention{}) {
		j.Retention = map[string]string{"payloads": keepFor(r.Payloads), "events": keepFor(r.Events),
			"receipts": keepFor(r.Receipts), "runs": keepFor(r.Runs), "alerts": keepFor(r.Alerts)}
	}
	return j
}

// keepFor prints a retention: whole days, or "off" for ever.
func keepFor(d time.Duration) string {
	if d == 0 {
		return "off"
	}
	return app.FormatDays(d)
}

// printPrune writes the human form of `prune`.
func printPrune(w io.Writer, r ledger.Retention, rep ledger.PruneReport) {
	verb := "pruned"
	if rep.DryRun {
		verb = "would prune (dry run)"
	}
	fmt.Fprintf(w, "%s, keeping payloads %s, events %s, receipts %s, runs %s, alerts %s:\n", verb,
		keepFor(r.Payloads), keepFor(r.Events), keepFor(r.Receipts), keepFor(r.Runs), keepFor(r.Alerts))
	printRemoved(w, rep)
	fmt.Fprintf(w, "  runs            %d\n  alert messages  %d\n  alerts          %d\n", rep.Runs, rep.AlertMessages, rep.Alerts)
	printSpace(w, rep)
}

// printRemoved writes the event lines shared by prune and events purge.
func printRemoved(w io.Writer, rep ledger.PruneReport) {
	fmt.Fprintf(w, "  payloads        %d\n", rep.Payloads)
	fmt.Fprintf(w, "  events          %d (with %d attempts)\n", rep.Events, rep.Attempts)
	fmt.Fprintf(w, "  receipts        %d\n", rep.Receipts)
}

// printSpace writes what became of the freed pages and how long the
// writer was held.
func printSpace(w io.Writer, rep ledger.PruneReport) {
	switch {
	case rep.AutoVacuum:
		fmt.Fprintf(w, "  space           %d pages returned to the file system, %d free in the file\n", rep.VacuumedPages, rep.FreePages)
	case rep.FreePages > 0:
		fmt.Fprintf(w, "  space           %d pages free inside the file; stop serve and run `hookledger vacuum` once to return them\n", rep.FreePages)
	}
	if rep.Batches > 0 {
		fmt.Fprintf(w, "  batches         %d, the longest held the writer %.1fms (%d over %v)\n", rep.Batches,
			app.MillisOf(rep.MaxBatch), rep.SlowBatches, ledger.SlowBatch)
	}
}
