package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/hookledger/hookledger/alerts"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/reconcile"
)

// statusDoc is the part of `status --json` the overview shows, read
// through that document's JSON names (its stable contract), so the page's
// numbers are the command's.
type statusDoc struct {
	Sources map[string]struct {
		Counts               map[ledger.State]int `json:"counts"`
		Total                int                  `json:"total"`
		OldestPendingAgeSecs float64              `json:"oldest_pending_age_seconds"`
		OldestPendingAt      *time.Time           `json:"oldest_pending_at"`
		LiveOnly             string               `json:"live_only"`
		Silence              *alerts.Silence      `json:"silence"`
		LastReconcile        *struct {
			FinishedAt       time.Time                  `json:"finished_at"`
			Endpoints        []reconcile.EndpointReport `json:"endpoints"`
			FailedDeliveries int                        `json:"failed_deliveries"`
		} `json:"last_reconcile"`
	} `json:"sources"`
	OpenAlerts []json.RawMessage `json:"open_alerts"`
	// Rejections is absent from a status that does not report them.
	Rejections *[]struct {
		Source string `json:"source"`
		Reason string `json:"reason"`
		Count  int    `json:"count"`
	} `json:"rejections"`
}

// sourceView is one source's box on the overview.
type sourceView struct {
	Name         string
	Counts       []stateCount
	Total        int
	OldestAge    string // "" when nothing waits
	Activity     ledger.Activity
	LastRun      *ledger.Run
	Report       *reconcile.Report // the last run's report, nil when it has none
	Dead         []*ledger.Event
	DeadCount    int
	Rejections   []rejection
	ShowRejected bool // the status reports rejected requests
	// Silence is the source's silence state as status has it; nil when
	// status judges none.
	Silence  *alerts.Silence
	LiveOnly string // how a live-only source's gaps are caught, "" for one reconcile lists
	// Provider is the provider's view of the source's endpoints at its
	// last successful reconcile, nil before one.
	Provider *providerView
}

// providerView is what the provider said about its endpoints, as the
// last successful reconcile read it.
type providerView struct {
	At               time.Time
	Endpoints        []reconcile.EndpointReport
	FailedDeliveries int
}

type stateCount struct {
	State ledger.State
	N     int
}

type rejection struct {
	Reason string
	Count  int
}

// overviewView is the overview page's data.
type overviewView struct {
	Now        time.Time
	Sources    []sourceView
	Pipeline   []stateCount
	Total      int
	OldestAge  string
	OpenAlerts int
	Timeline   []timelineView
}

// overview is GET /: every source, the pipeline and the gap timeline.
func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	v, err := s.buildOverview(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, "overview", v)
}

func (s *Server) buildOverview(ctx context.Context) (*overviewView, error) {
	doc, err := s.status(ctx)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	v := &overviewView{Now: now, OpenAlerts: len(doc.OpenAlerts)}
	totals := map[ledger.State]int{}
	var oldest float64
	for name, st := range doc.Sources {
		sv := sourceView{Name: name, Total: st.Total, DeadCount: st.Counts[ledger.StateDead], Silence: st.Silence,
			LiveOnly: st.LiveOnly}
		if lr := st.LastReconcile; lr != nil {
			sv.Provider = &providerView{At: lr.FinishedAt, Endpoints: lr.Endpoints, FailedDeliveries: lr.FailedDeliveries}
		}
		for _, state := range ledger.States {
			sv.Counts = append(sv.Counts, stateCount{state, st.Counts[state]})
			totals[state] += st.Counts[state]
		}
		if st.OldestPendingAt != nil {
			sv.OldestAge = age(st.OldestPendingAgeSecs)
			oldest = max(oldest, st.OldestPendingAgeSecs)
		}
		v.Total += st.Total
		if err := s.addSourceDetail(ctx, &sv, now); err != nil {
			return nil, err
		}
		if doc.Rejections != nil {
			sv.ShowRejected = true
			for _, rj := range *doc.Rejections {
				if rj.Source == name {
					sv.Rejections = append(sv.Rejections, rejection{rj.Reason, rj.Count})
				}
			}
		}
		v.Sources = append(v.Sources, sv)
	}
	sort.Slice(v.Sources, func(i, j int) bool { return v.Sources[i].Name < v.Sources[j].Name })
	for _, state := range ledger.States {
		v.Pipeline = append(v.Pipeline, stateCount{state, totals[state]})
	}
	if oldest > 0 {
		v.OldestAge = age(oldest)
	}
	if v.Timeline, err = s.timeline(ctx, now, v.Sources); err != nil {
		return nil, err
	}
	return v, nil
}

// addSourceDetail adds what status does not say about a source: recent
// intake, the last reconcile run and the latest dead letters.
func (s *Server) addSourceDetail(ctx context.Context, sv *sourceView, now time.Time) error {
	var err error
	if sv.Activity, err = s.cfg.Store.Activity(ctx, sv.Name, now); err != nil {
		return err
	}
	runs, err := s.cfg.Store.RecentRuns(ctx, sv.Name, 1)
	if err != nil {
		return err
	}
	if len(runs) > 0 {
		sv.LastRun = &runs[0]
		var rep reconcile.Report
		if json.Unmarshal(runs[0].Report, &rep) == nil && rep.Source != "" {
			sv.Report = &rep
		}
	}
	if sv.DeadCount > 0 {
		if sv.Dead, err = s.cfg.Store.DeadLetters(ctx, sv.Name, 5); err != nil {
			return err
		}
	}
	return nil
}

// status reads the document `hookledger status --json` prints.
func (s *Server) status(ctx context.Context) (*statusDoc, error) {
	raw, err := s.cfg.Views.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("read status: %w", err)
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("encode status: %w", err)
	}
	var doc statusDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("decode status: %w", err)
	}
	return &doc, nil
}

// age renders seconds as a short duration: 42s, 5m10s, 3h2m, 2d4h.
func age(secs float64) string {
	d := time.Duration(secs) * time.Second
	switch {
	case d < time.Minute:
		return d.String()
	case d < time.Hour:
		return d.Truncate(time.Second).String()
	case d < 48*time.Hour:
		return d.Truncate(time.Minute).String()
	default:
		return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}
