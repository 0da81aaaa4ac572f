package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/hookledger/hookledger/alerts"
	"github.com/hookledger/hookledger/ledger"
)

// statusJSON is `status --json` (docs/design.md): counts per source and state,
// oldest pending age, last successful reconcile per source, plus open
// alerts and the last run of each scheduled job.
type statusJSON struct {
	LedgerMode string                  `json:"ledger_mode"`
	Sources    map[string]sourceStatus `json:"sources"`
	Alerts     []alertStatus           `json:"open_alerts"`
	// Acked are the latest acknowledged alerts, newest first: who closed
	// the alerts nothing observed could clear (the forgery signal).
	Acked []alertStatus `json:"acknowledged_alerts"`
	Jobs  []jobStatus   `json:"jobs"`
	// Rejections are the last day's rejected requests per source and reason.
	Rejections []rejectionStatus `json:"rejections"`
}

// sourceStatus is one source's line in `status --json`.
type sourceStatus struct {
	Counts               map[ledger.State]int `json:"counts"`
	Total                int                  `json:"total"`
	OldestPendingAgeSecs float64              `json:"oldest_pending_age_seconds"`
	OldestPendingAt      *time.Time           `json:"oldest_pending_at,omitempty"`
	LastReconcile        *reconcileStatus     `json:"last_reconcile,omitempty"`
	// LiveOnly, for a configured source whose provider lists nothing, says
	// how its gaps are caught instead of by reconcile.
	LiveOnly string `json:"live_only,omitempty"`
}

// reconcileStatus is a source's last successful reconcile.
type reconcileStatus struct {
	FinishedAt time.Time `json:"finished_at"`
	Since      time.Time `json:"since"`
	Until      time.Time `json:"until"`
	Job        string    `json:"job"`
}

// alertStatus is one open alert in `status --json`.
type alertStatus struct {
	ID          int64      `json:"id"`
	Fingerprint string     `json:"fingerprint"`
	Source      string     `json:"source,omitempty"`
	Kind        string     `json:"kind"`
	Summary     string     `json:"summary"`
	Count       int        `json:"count"`
	OpenedAt    time.Time  `json:"opened_at"`
	AckedBy     string     `json:"acked_by,omitempty"`
	AckedAt     *time.Time `json:"acked_at,omitempty"`
}

// jobStatus is one scheduled job's last run in `status --json`.
type jobStatus struct {
	Name       string     `json:"name"`
	Spec       string     `json:"spec"`
	LastRunAt  time.Time  `json:"last_run_at"`
	LastOKAt   *time.Time `json:"last_ok_at,omitempty"`
	LastError  string     `json:"last_error,omitempty"`
	Runs       int        `json:"runs"`
	Failures   int        `json:"failures"`
	InProgress bool       `json:"in_progress"`
}

// runStatus is `hookledger status`: the ledger at a glance, as a table or
// one JSON object.
func runStatus(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "status", "status [--json] [--db PATH]", "hookledger status --json")
	dbPath := fs.String("db", "", dbFlagUsage)
	asJSON := fs.Bool("json", false, "print one JSON object on stdout")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	db, err := openLedger(ctx, env, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := collectStatus(ctx, db, time.Now())
	if err != nil {
		return err
	}
	cfg, err := loadConfig(env.Getenv)
	if err != nil {
		return err
	}
	st.addLiveOnly(liveOnlyNotes(cfg))
	if *asJSON {
		return writeJSON(env.Stdout, st)
	}
	printStatus(env.Stdout, st)
	return nil
}

// collectStatus reads the status of the ledger in db at now. Every list is
// empty rather than null when there is nothing to show.
func collectStatus(ctx context.Context, db *ledger.DB, now time.Time) (statusJSON, error) {
	st := statusJSON{Sources: map[string]sourceStatus{}, Alerts: []alertStatus{}, Acked: []alertStatus{}, Jobs: []jobStatus{},
		Rejections: []rejectionStatus{}}
	mode, err := db.Mode(ctx)
	if err != nil {
		return st, err
	}
	st.LedgerMode = mode.String()
	if err := st.addQueue(ctx, db, now); err != nil {
		return st, fmt.Errorf("read queue stats: %w", err)
	}
	if err := st.addRuns(ctx, db); err != nil {
		return st, fmt.Errorf("read reconcile runs: %w", err)
	}
	if err := st.addAlerts(ctx, db); err != nil {
		return st, fmt.Errorf("read alerts: %w", err)
	}
	if err := st.addJobs(ctx, db); err != nil {
		return st, fmt.Errorf("read jobs: %w", err)
	}
	if err := st.addRejections(ctx, db, now); err != nil {
		return st, fmt.Errorf("read rejections: %w", err)
	}
	return st, nil
}

// addQueue adds each source's counts by state and oldest waiting event.
func (st *statusJSON) addQueue(ctx context.Context, db *ledger.DB, now time.Time) error {
	qs, err := db.QueueStats(ctx)
	if err != nil {
		return err
	}
	for src, counts := range qs.Depth {
		ss := sourceStatus{Counts: map[ledger.State]int{}}
		for _, s := range ledger.States {
			ss.Counts[s] = counts[s]
			ss.Total += counts[s]
		}
		if at, ok := qs.OldestWaiting[src]; ok {
			ss.OldestPendingAt = &at
			ss.OldestPendingAgeSecs = now.Sub(at).Seconds()
		}
		st.Sources[src] = ss
	}
	return nil
}

// addLiveOnly marks the live-only sources, listing them even before their
// first event.
func (st *statusJSON) addLiveOnly(notes map[string]string) {
	for src, note := range notes {
		ss := st.Sources[src]
		if ss.Counts == nil {
			ss.Counts = map[ledger.State]int{}
		}
		ss.LiveOnly = note
		st.Sources[src] = ss
	}
}

// addRuns adds each source's last successful reconcile.
func (st *statusJSON) addRuns(ctx context.Context, db *ledger.DB) error {
	runs, err := db.LastRuns(ctx)
	if err != nil {
		return err
	}
	for _, r := range runs {
		ss := st.Sources[r.Source]
		if ss.Counts == nil {
			ss.Counts = map[ledger.State]int{}
		}
		ss.LastReconcile = &reconcileStatus{FinishedAt: r.FinishedAt, Since: r.Since, Until: r.Until, Job: r.Job}
		st.Sources[r.Source] = ss
	}
	return nil
}

// statusAcked bounds the acknowledged alerts status shows.
const statusAcked = 5

// addAlerts adds the open alerts and the latest acknowledged ones.
func (st *statusJSON) addAlerts(ctx context.Context, db *ledger.DB) error {
	all, err := db.Alerts(ctx, ledger.AlertFilter{All: true, Limit: 200})
	if err != nil {
		return err
	}
	open, err := db.Alerts(ctx, ledger.AlertFilter{})
	if err != nil {
		return err
	}
	for _, a := range open {
		st.Alerts = append(st.Alerts, toAlertStatus(a))
	}
	for _, a := range all {
		if !a.AckedAt.IsZero() && len(st.Acked) < statusAcked {
			st.Acked = append(st.Acked, toAlertStatus(a))
		}
	}
	return nil
}

// toAlertStatus is a's line in `status --json`.
func toAlertStatus(a ledger.Alert) alertStatus {
	s := alertStatus{ID: a.ID, Fingerprint: a.Fingerprint, Source: a.Source, Kind: a.Kind,
		Summary: a.Summary, Count: a.Count, OpenedAt: a.OpenedAt}
	if !a.AckedAt.IsZero() {
		t := a.AckedAt
		s.AckedBy, s.AckedAt = a.AckedBy, &t
	}
	return s
}

// addJobs adds the last run of each scheduled job.
func (st *statusJSON) addJobs(ctx context.Context, db *ledger.DB) error {
	jobs, err := db.Jobs(ctx)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		js := jobStatus{Name: j.Name, Spec: j.Spec, LastRunAt: j.StartedAt, LastError: j.Error,
			Runs: j.Runs, Failures: j.Failures, InProgress: j.FinishedAt.IsZero()}
		if !j.LastOKAt.IsZero() {
			js.LastOKAt = &j.LastOKAt
		}
		st.Jobs = append(st.Jobs, js)
	}
	return nil
}

// printStatus writes the human form of `status`.
func printStatus(w io.Writer, st statusJSON) {
	names := make([]string, 0, len(st.Sources))
	for n := range st.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tPENDING\tPROCESSING\tPROCESSED\tFAILED\tDEAD\tOLDEST PENDING\tLAST RECONCILE")
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
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", n, s.Counts[ledger.StatePending], s.Counts[ledger.StateProcessing],
			s.Counts[ledger.StateProcessed], s.Counts[ledger.StateFailed], s.Counts[ledger.StateDead], oldest, last)
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
