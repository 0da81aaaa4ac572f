package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookledger/hookledger/alerts"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/reconcile"
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
	// Silence is the source's dead-man's switch: its last live event, and
	// whether it has been silent far longer than usual (or than its limit).
	Silence *alerts.Silence `json:"silence,omitempty"`
}

// reconcileStatus is a source's last successful reconcile, with its
// expected-versus-processed table per event type.
type reconcileStatus struct {
	FinishedAt time.Time `json:"finished_at"`
	Since      time.Time `json:"since"`
	Until      time.Time `json:"until"`
	Job        string    `json:"job"`
	// ByType is the run's report's by_type: expected versus processed for
	// the window, as judged when the run finished.
	ByType []reconcile.TypeCount `json:"by_type"`
	// Endpoints is the provider's view of its endpoints as that run read
	// it, and FailedDeliveries the deliveries it found failed in front of
	// hookledger (the report's fields of the same names).
	Endpoints        []reconcile.EndpointReport `json:"endpoints"`
	FailedDeliveries int                        `json:"failed_deliveries"`
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
	cfg, err := loadConfig(env.Getenv)
	if err != nil {
		return err
	}
	db, err := openLedger(ctx, env, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := collectStatus(ctx, db, time.Now(), cfg.Silence)
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

// collectStatus reads the status of the ledger in db at now, judging
// silence by the explicit limits in silence (HOOKLEDGER_SILENCE) or the
// learned rhythm. Every list is empty rather than null when there is
// nothing to show.
func collectStatus(ctx context.Context, db *ledger.DB, now time.Time, silence map[string]time.Duration) (statusJSON, error) {
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
	if err := st.addSilence(ctx, db, now, silence); err != nil {
		return st, fmt.Errorf("read traffic: %w", err)
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
		st.update(src, func(ss *sourceStatus) { ss.LiveOnly = note })
	}
}

// addRuns adds each source's last successful reconcile.
func (st *statusJSON) addRuns(ctx context.Context, db *ledger.DB) error {
	runs, err := db.LastRuns(ctx)
	if err != nil {
		return err
	}
	for _, r := range runs {
		st.update(r.Source, func(ss *sourceStatus) { ss.LastReconcile = lastReconcile(r) })
	}
	return nil
}

// update applies fn to source's line, adding the line if needed.
func (st *statusJSON) update(source string, fn func(*sourceStatus)) {
	ss := st.Sources[source]
	if ss.Counts == nil {
		ss.Counts = map[ledger.State]int{}
	}
	fn(&ss)
	st.Sources[source] = ss
}

// lastReconcile is the status of run r, with its report's per-type table,
// endpoints and failed deliveries.
func lastReconcile(r ledger.Run) *reconcileStatus {
	lr := &reconcileStatus{FinishedAt: r.FinishedAt, Since: r.Since, Until: r.Until, Job: r.Job,
		ByType: []reconcile.TypeCount{}, Endpoints: []reconcile.EndpointReport{}}
	var rep reconcile.Report
	// Reports of older builds lack these fields; an unreadable one shows none.
	if json.Unmarshal(r.Report, &rep) == nil {
		lr.FailedDeliveries = rep.FailedDeliveries
		if rep.ByType != nil {
			lr.ByType = rep.ByType
		}
		if rep.Endpoints != nil {
			lr.Endpoints = rep.Endpoints
		}
	}
	return lr
}

// addSilence adds each source's silence state: every source with events
// or a silence limit.
func (st *statusJSON) addSilence(ctx context.Context, db *ledger.DB, now time.Time, limits map[string]time.Duration) error {
	names := slices.Collect(maps.Keys(limits))
	for n := range st.Sources {
		names = append(names, n)
	}
	states, err := alerts.Silences(ctx, db, names, limits, now)
	if err != nil {
		return err
	}
	for _, s := range states {
		st.update(s.Source, func(ss *sourceStatus) { ss.Silence = &s })
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
func printProgress(w io.Writer, names []string, st statusJSON) {
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
func endpointColumn(lr *reconcileStatus) string {
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
