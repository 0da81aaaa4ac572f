package admin

import (
	"context"
	"net/http"

	"github.com/hookledger/hookledger/ledger"
)

// recentAlerts is how many alerts, open or resolved, the alerts page shows.
const recentAlerts = 100

// alertsView is the alerts page's data: the open alerts, then the recent
// resolved ones.
type alertsView struct {
	Open, Resolved []ledger.Alert
	Notice         string
}

// alerts is GET /alerts.
func (s *Server) alerts(w http.ResponseWriter, r *http.Request) {
	open, recent, err := s.openAndRecentAlerts(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := alertsView{Open: open, Notice: r.URL.Query().Get("notice")}
	for _, a := range recent {
		if a.State != ledger.AlertOpen {
			v.Resolved = append(v.Resolved, a)
		}
	}
	s.page(w, r, http.StatusOK, "alerts", v)
}

// openAndRecentAlerts returns every open alert and the recentAlerts
// latest, open or resolved.
func (s *Server) openAndRecentAlerts(ctx context.Context) (open, recent []ledger.Alert, err error) {
	if open, err = s.cfg.Store.Alerts(ctx, ledger.AlertFilter{}); err != nil {
		return nil, nil, err
	}
	if recent, err = s.cfg.Store.Alerts(ctx, ledger.AlertFilter{All: true, Limit: recentAlerts}); err != nil {
		return nil, nil, err
	}
	return open, recent, nil
}
