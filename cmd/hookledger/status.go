package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookledger/hookledger/alerts"
	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
)

// runStatus is `hookledger status`: the ledger at a glance, as a table or
// one JSON object.
func runStatus(ctx context.Context, env *app.Env, args []string) error {
	fs := newFlagSet(env, "status", "status [--json] [--db PATH]", "hookledger status --json")
	dbPath := fs.String("db", "", app.DBFlagUsage)
	asJSON := fs.Bool("json", false, "print one JSON object on stdout")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	cfg, err := app.LoadConfig(env.Getenv)
	if err != nil {
		return err
	}
	db, err := app.OpenReadOnly(ctx, env, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := app.CollectStatus(ctx, db, time.Now(), cfg.Silence)
	if err != nil {
		return err
	}
	st.AddLiveOnly(app.LiveOnlyNotes(cfg))
	if *asJSON {
		return app.WriteJSON(env.Stdout, st)
	}
	printStatus(env.Stdout, st)
	return nil
}

// printStatus writes the human form of `status`.
func printStatus(w io.Writer, st app.StatusJSON) {
	names := make([]string, 0, len(st.Sources))
	for n := range st.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tPENDING\tPROCESSING\tPROCESSED\tFAILED\tDEAD\tOLDEST PENDING\tLAST RECONCILE\tLAST EVENT\tSILENCE\tENDPOINT")
	for _, n := range names {
		s := st.Sources[n]
		oldest, last := "-", "never"
		if s.OldestPendingAt != nil {
			oldest = (time.Duration(s.OldestPendingAgeSecs) * time.Second).String()
		}
		if s.LastReconcile != nil {
			last = s.LastReconcile.FinishedAt.Format(time.RFC3339)
		}
		if s.LiveOnly != "" {
			last = "live-only"
		}
		lastEvent, silence := silenceColumns(s.Silence)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", n, s.Counts[ledger.StatePending], s.Counts[ledger.StateProcessing],
			s.Counts[ledger.StateProcessed], s.Counts[ledger.StateFailed], s.Counts[ledger.StateDead], oldest, last, lastEvent, silence,
			endpointColumn(s.LastReconcile))
	}
	tw.Flush()
	if len(names) == 0 {
		fmt.Fprintln(w, "(no events yet)")
	}
	for _, n := range names {
		if note := st.Sources[n].LiveOnly; note != "" {
			fmt.Fprintf(w, "%s: %s.\n", n, note)
		}
	}
	printProgress(w, names, st)
	fmt.Fprintf(w, "\nledger mode: %s\n", st.LedgerMode)
	fmt.Fprintf(w, "\nopen alerts: %d\n", len(st.Alerts))
	for _, a := range st.Alerts {
		fmt.Fprintf(w, "  #%d [%s] %s (since %s)", a.ID, a.Fingerprint, a.Summary, a.OpenedAt.Format(time.RFC3339))
		if a.Kind == alerts.KindUnknown {
			fmt.Fprintf(w, "; open until acknowledged: hookledger alerts ack %d", a.ID)
		}
		fmt.Fprintln(w)
	}
	for _, a := range st.Acked {
		fmt.Fprintf(w, "  acknowledged: #%d %s, by %s at %s\n", a.ID, a.Summary, a.AckedBy, a.AckedAt.Format(time.RFC3339))
	}
	if len(st.Jobs) > 0 {
		fmt.Fprintln(w, "\nscheduled jobs:")
		for _, j := range st.Jobs {
			state := "ok"
			if j.InProgress {
				state = "running"
			} else if j.LastError != "" {
				state = "failed: " + j.LastError
			}
			fmt.Fprintf(w, "  %-10s %-14s last run %s  %s\n", j.Name, j.Spec, j.LastRunAt.Format(time.RFC3339), state)
		}
	}
	printRejections(w, st.Rejections)
}

// silenceColumns renders a source's last live event and silence state.
func silenceColumns(s *alerts.Silence) (lastEvent, state string) {
	if s == nil || s.LastEventAt == nil {
		return "never", "-"
	}
	state = s.State
	if s.State == alerts.SilenceSilent {
		state = fmt.Sprintf("SILENT %s", (time.Duration(s.SilentSeconds) * time.Second).String())
	}
	return s.LastEventAt.Format(time.RFC3339), state
}

// printProgress writes each source's expected-versus-processed table of
// its last reconciled window.
func printProgress(w io.Writer, names []string, st app.StatusJSON) {
	for _, n := range names {
		lr := st.Sources[n].LastReconcile
		if lr == nil || len(lr.ByType) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s, last window %s → %s (expected vs processed):\n", n,
			lr.Since.Format(time.RFC3339), lr.Until.Format(time.RFC3339))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  TYPE\tEXPECTED\tPROCESSED\tWAITING\tDEAD\tMISSING\tJUDGED\tSHARE")
		for _, t := range lr.ByType {
			share := "-"
			if t.Judged > 0 {
				share = fmt.Sprintf("%.1f%%", 100*float64(t.JudgedProcessed)/float64(t.Judged))
			}
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", t.Type, t.Expected, t.Processed, t.Waiting,
				t.Dead, t.Missing, t.Judged, share)
		}
		tw.Flush()
	}
}

// endpointColumn renders the provider's view of a source's endpoints at
// its last reconcile: "enabled", "disabled we_1", "elsewhere we_1", with
// GitHub's last response when it is a failure; "-" when none was read.
func endpointColumn(lr *app.ReconcileStatus) string {
	if lr == nil || len(lr.Endpoints) == 0 {
		return "-"
	}
	var parts []string
	for _, e := range lr.Endpoints {
		switch {
		case !e.Enabled:
			parts = append(parts, e.Status+" "+e.ID)
		case e.URLMatches != nil && !*e.URLMatches:
			parts = append(parts, "elsewhere "+e.ID)
		case e.LastResponseCode >= 300:
			parts = append(parts, fmt.Sprintf("last response %d %s", e.LastResponseCode, e.ID))
		}
	}
	if len(parts) == 0 {
		return "ok"
	}
	return strings.Join(parts, ", ")
}
