package admin

import (
	"net/http"

	"github.com/hookledger/hookledger/ledger"
)

// recentAlerts is how many alerts, open or resolved, the alerts page shows.
const recentAlerts = 100

// alertsView is the alerts page's data: the open alerts, then the recent
// resolved ones.
type alertsView struct {
	Open, Resolved []ledger.Alert
}

// alerts is GET /alerts.
func (s *Server) alerts(w http.ResponseWriter, r *http.Request) {
	open, err := s.cfg.Store.Alerts(r.Context(), ledger.AlertFilter{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	recent, err := s.cfg.Store.Alerts(r.Context(), ledger.AlertFilter{All: true, Limit: recentAlerts})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := alertsView{Open: open}
	for _, a := range recent {
		if a.State != ledger.AlertOpen {
			v.Resolved = append(v.Resolved, a)
		}
	}
	s.page(w, r, http.StatusOK, "alerts", v)
}
