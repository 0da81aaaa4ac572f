package admin

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/hookledger/hookledger/ledger"
)

// apiStatus is GET /api/status: what `hookledger status --json` prints.
func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request) {
	doc, err := s.cfg.Views.Status(r.Context())
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, doc)
}

// eventsPage is GET /api/events: a page of the log, each event as `events
// list --json` shows it, and the URL of the next page ("" at the end).
type eventsPage struct {
	Events  []any  `json:"events"`
	Next    string `json:"next,omitempty"`
	Partial bool   `json:"partial,omitempty"` // the page ended at its scan bound; Next continues
	// Truncated: an id prefix matching more events than the page holds.
	Truncated bool `json:"truncated,omitempty"`
	// Top is the row id the pages began below: POST /api/replay with the
	// same filter and top replays exactly the events these pages hold.
	Top int64 `json:"top"`
}

func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request) {
	q, f, err := parseLogQuery(r.URL.Query())
	if err != nil {
		s.writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if n := r.URL.Query().Get("limit"); n != "" {
		if f.Limit, err = strconv.Atoi(n); err != nil || f.Limit < 1 || f.Limit > 1000 {
			s.writeJSON(w, http.StatusBadRequest, map[string]string{"error": "limit: want 1 to 1000"})
			return
		}
	}
	page, err := s.cfg.Store.EventLog(r.Context(), f)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	out := eventsPage{Events: make([]any, 0, len(page.Events)), Partial: page.Partial, Truncated: page.Truncated, Top: page.Top}
	for _, ev := range page.Events {
		out.Events = append(out.Events, s.cfg.Views.Event(ev))
	}
	if q.Top == 0 {
		q.Top = page.Top
	}
	if page.Next > 0 {
		out.Next = q.url("/api/events", page.Next)
	}
	s.writeJSON(w, http.StatusOK, out)
}

// apiEvent is GET /api/events/SOURCE/ID: what `events show --json` prints.
func (s *Server) apiEvent(w http.ResponseWriter, r *http.Request) {
	source, id := r.PathValue("source"), r.PathValue("id")
	if _, err := s.cfg.Store.Event(r.Context(), source, id); errors.Is(err, ledger.ErrNotFound) {
		s.writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such event"})
		return
	} else if err != nil {
		s.apiFail(w, r, err)
		return
	}
	doc, err := s.cfg.Views.EventDetail(r.Context(), source, id)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, doc)
}

// alertsDoc is GET /api/alerts: the open alerts and the recent ones, each
// as `alerts list --json` shows it.
type alertsDoc struct {
	Open   []any `json:"open"`
	Recent []any `json:"recent"`
}

func (s *Server) apiAlerts(w http.ResponseWriter, r *http.Request) {
	open, recent, err := s.openAndRecentAlerts(r.Context())
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	out := alertsDoc{Open: make([]any, 0, len(open)), Recent: make([]any, 0, len(recent))}
	for _, a := range open {
		out.Open = append(out.Open, s.cfg.Views.Alert(a))
	}
	for _, a := range recent {
		out.Recent = append(out.Recent, s.cfg.Views.Alert(a))
	}
	s.writeJSON(w, http.StatusOK, out)
}

// apiFail answers 500 as JSON and logs err.
func (s *Server) apiFail(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("status page api request failed", "path", r.URL.Path, "error", err)
	s.writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error (see the server log)"})
}
