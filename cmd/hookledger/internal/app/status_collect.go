package app

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/hookledger/hookledger/alerts"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/reconcile"
)

// StatusJSON is `status --json` (docs/design.md): counts per source and state,
// oldest pending age, last successful reconcile per source, plus open
// alerts and the last run of each scheduled job.
type StatusJSON struct {
	LedgerMode string                  `json:"ledger_mode"`
	Sources    map[string]sourceStatus `json:"sources"`
	Alerts     []alertStatus           `json:"open_alerts"`
	// Acked are the latest acknowledged alerts, newest first: who closed
	// the alerts nothing observed could clear (the forgery signal).
	Acked []alertStatus `json:"acknowledged_alerts"`
	Jobs  []jobStatus   `json:"jobs"`
	// Rejections are the last day's rejected requests per source and reason.
	Rejections []RejectionStatus `json:"rejections"`
}

// sourceStatus is one source's line in `status --json`.
type sourceStatus struct {
	Counts               map[ledger.State]int `json:"counts"`
	Total                int                  `json:"total"`
	OldestPendingAgeSecs float64              `json:"oldest_pending_age_seconds"`
	OldestPendingAt      *time.Time           `json:"oldest_pending_at,omitempty"`
	LastReconcile        *ReconcileStatus     `json:"last_reconcile,omitempty"`
	// LiveOnly, for a configured source whose provider lists nothing, says
	// how its gaps are caught instead of by reconcile.
	LiveOnly string `json:"live_only,omitempty"`
	// Silence is the source's dead-man's switch: its last live event, and
	// whether it has been silent far longer than usual (or than its limit).
	Silence *alerts.Silence `json:"silence,omitempty"`
}

// ReconcileStatus is a source's last successful reconcile, with its
// expected-versus-processed table per event type.
type ReconcileStatus struct {
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

// CollectStatus reads the status of the ledger in db at now, judging
// silence by the explicit limits in silence (HOOKLEDGER_SILENCE) or the
// learned rhythm. Every list is empty rather than null when there is
// nothing to show.
func CollectStatus(ctx context.Context, db Ledger, now time.Time, silence map[string]time.Duration) (StatusJSON, error) {
	st := StatusJSON{Sources: map[string]sourceStatus{}, Alerts: []alertStatus{}, Acked: []alertStatus{}, Jobs: []jobStatus{},
		Rejections: []RejectionStatus{}}
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
func (st *StatusJSON) addQueue(ctx context.Context, db Ledger, now time.Time) error {
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

// AddLiveOnly marks the live-only sources, listing them even before their
// first event.
func (st *StatusJSON) AddLiveOnly(notes map[string]string) {
	for src, note := range notes {
		st.update(src, func(ss *sourceStatus) { ss.LiveOnly = note })
	}
}

// addRuns adds each source's last successful reconcile.
func (st *StatusJSON) addRuns(ctx context.Context, db Ledger) error {
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
func (st *StatusJSON) update(source string, fn func(*sourceStatus)) {
	ss := st.Sources[source]
	if ss.Counts == nil {
		ss.Counts = map[ledger.State]int{}
	}
	fn(&ss)
	st.Sources[source] = ss
}

// lastReconcile is the status of run r, with its report's per-type table,
// endpoints and failed deliveries.
func lastReconcile(r ledger.Run) *ReconcileStatus {
	lr := &ReconcileStatus{FinishedAt: r.FinishedAt, Since: r.Since, Until: r.Until, Job: r.Job,
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
func (st *StatusJSON) addSilence(ctx context.Context, db Ledger, now time.Time, limits map[string]time.Duration) error {
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
func (st *StatusJSON) addAlerts(ctx context.Context, db Ledger) error {
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
func (st *StatusJSON) addJobs(ctx context.Context, db Ledger) error {
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

// rejectionWindow is how far back `status` sums rejected requests.
const rejectionWindow = 24 * time.Hour

// RejectionStatus is one source and reason's rejected requests over the
// last day in `status --json`, with the latest sample.
type RejectionStatus struct {
	Source         string    `json:"source"`
	Reason         string    `json:"reason"`
	Count          int       `json:"count"`
	LastAt         time.Time `json:"last_at"`
	LastStatus     int       `json:"last_status"`
	LastRemoteAddr string    `json:"last_remote_addr"`
	LastError      string    `json:"last_error"`
}

// addRejections sums the last day's rejection rows per source and reason.
func (st *StatusJSON) addRejections(ctx context.Context, db Ledger, now time.Time) error {
	rows, err := db.Rejections(ctx, "", now.Add(-rejectionWindow), 0)
	if err != nil {
		return err
	}
	byKey := map[[2]string]*RejectionStatus{}
	for _, r := range rows {
		k := [2]string{r.Source, r.Reason}
		rs := byKey[k]
		if rs == nil {
			rs = &RejectionStatus{Source: r.Source, Reason: r.Reason}
			byKey[k] = rs
		}
		rs.Count += r.Count
		if r.Last.At.After(rs.LastAt) {
			rs.LastAt, rs.LastStatus, rs.LastRemoteAddr, rs.LastError = r.Last.At, r.Last.Status, r.Last.RemoteAddr, r.Last.Error
		}
	}
	for _, rs := range byKey {
		st.Rejections = append(st.Rejections, *rs)
	}
	sort.Slice(st.Rejections, func(i, j int) bool {
		a, b := st.Rejections[i], st.Rejections[j]
		return a.Source < b.Source || (a.Source == b.Source && a.Reason < b.Reason)
	})
	return nil
}
