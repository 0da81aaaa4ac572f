package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hookledger/hookledger/ledger"
)

// replayOne is POST /events/SOURCE/ID/replay (and its /api/ twin): the
// ledger's Requeue, as `hookledger replay SOURCE ID` does, after which the
// running processor takes the event. The action is recorded in the ledger.
func (s *Server) replayOne(w http.ResponseWriter, r *http.Request) {
	source, id := r.PathValue("source"), r.PathValue("id")
	actor := sessionFrom(r.Context()).actor
	rq, err := s.cfg.Store.Requeue(r.Context(), source, id)
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		s.actionDone(w, r, http.StatusNotFound, "", "no such event")
		return
	case errors.Is(err, ledger.ErrLeased):
		s.actionDone(w, r, http.StatusConflict, eventURL(source, id), "a worker is processing it now; not replayed")
		return
	case err != nil:
		s.actionFail(w, r, err)
		return
	}
	act := &ledger.Action{Actor: actor, Action: "replay", Source: source, EventID: id,
		Detail: fmt.Sprintf("requeued (was %s after %d attempts)", rq.PrevState, rq.Attempts)}
	if err := s.cfg.Store.RecordActions(r.Context(), []*ledger.Action{act}); err != nil {
		s.actionFail(w, r, err)
		return
	}
	s.log.Info("replay from the status page", "actor", actor, "source", source, "event_id", id)
	s.actionDone(w, r, http.StatusOK, eventURL(source, id), "requeued: the processor runs it next")
}

// actionDone answers an action: JSON under /api/, else a redirect to back
// with the notice (or to the overview when back is "").
func (s *Server) actionDone(w http.ResponseWriter, r *http.Request, status int, back, notice string) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.writeJSON(w, status, map[string]string{"result": notice})
		return
	}
	if back == "" {
		back = "/"
	}
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	http.Redirect(w, r, back+sep+"notice="+url.QueryEscape(notice), http.StatusSeeOther)
}

func (s *Server) actionFail(w http.ResponseWriter, r *http.Request, err error) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.apiFail(w, r, err)
		return
	}
	s.fail(w, r, err)
}

// eventURL is the page of the event (source, id).
func eventURL(source, id string) string {
	return "/events/" + url.PathEscape(source) + "/" + url.PathEscape(id)
}

// ack is POST /alerts/ID/ack (and its /api/ twin): the alerter's Ack, as
// `hookledger alerts ack ID --by NAME` does, by the signed-in name. The
// action is recorded in the ledger.
func (s *Server) ack(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		s.actionDone(w, r, http.StatusBadRequest, "/alerts", "not an alert id")
		return
	}
	actor := sessionFrom(r.Context()).actor
	a, err := s.cfg.Views.Ack(r.Context(), id, actor)
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		s.actionDone(w, r, http.StatusNotFound, "/alerts", fmt.Sprintf("no alert %d", id))
		return
	case errors.Is(err, ledger.ErrNotOpen):
		s.actionDone(w, r, http.StatusConflict, "/alerts", fmt.Sprintf("alert %d is already resolved", id))
		return
	case err != nil:
		s.actionFail(w, r, err)
		return
	}
	act := &ledger.Action{Actor: actor, Action: "ack", Detail: fmt.Sprintf("alert %d (%s): %s", a.ID, a.Fingerprint, a.Summary)}
	if err := s.cfg.Store.RecordActions(r.Context(), []*ledger.Action{act}); err != nil {
		s.actionFail(w, r, err)
		return
	}
	s.log.Info("alert acknowledged from the status page", "actor", actor, "alert", id)
	s.actionDone(w, r, http.StatusOK, "/alerts", fmt.Sprintf("acknowledged alert %d", id))
}
