package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// Bulk replays go as `hookledger replay` does by default: this many
// events a transaction, this long apart, so a large one leaves room to
// the receiver and the processor.
const (
	replayBatch = 500
	replayPace  = 200 * time.Millisecond
)

// replayFilter is POST /replay (and its /api/ twin): it requeues exactly
// the events the event log shows for the filter in the form (source, type,
// state, origin, q, since, until, as /events takes them), walking the log's
// own pages down from top, the row id the page shown started below (so
// events that arrived after it was shown are not replayed). Each event
// requeued gets its action row.
func (s *Server) replayFilter(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.actionDone(w, r, http.StatusBadRequest, "/events", "unreadable form")
		return
	}
	q, f, err := parseLogQuery(r.PostForm)
	if err != nil {
		s.actionDone(w, r, http.StatusBadRequest, q.url("/events", 0), err.Error())
		return
	}
	// The log's pages are walked down from where the page shown began,
	// not from a cursor the form might carry.
	f.Before = q.Top
	s.replayLog(w, r, q, f, "replay-filter", "the events matching "+q.describe())
}

// replayDead is POST /replay-dead with a source (and its /api/ twin): the
// replay of the log's filter state=dead&source=NAME, what `hookledger
// replay --dead --source NAME` requeues.
func (s *Server) replayDead(w http.ResponseWriter, r *http.Request) {
	source := r.PostFormValue("source")
	if source == "" {
		s.actionDone(w, r, http.StatusBadRequest, "/", "replay-dead wants a source")
		return
	}
	q := logQuery{Source: source, State: string(ledger.StateDead)}
	f := ledger.LogFilter{Source: source, State: ledger.StateDead}
	s.replayLog(w, r, q, f, "replay-dead", "the dead events of "+source)
}

// replayLog requeues what the log shows for f in paced batches, through
// the ledger's RequeueLog, recording action (what) for each event. Under
// /api/ it streams {"events": […], "count", "skipped_leased"} batch by
// batch; a browser is sent back to the log with a notice when it is done.
// Each batch gives the answer another while to be written, as a long
// replay outlasts the server's write timeout.
func (s *Server) replayLog(w http.ResponseWriter, r *http.Request, q logQuery, f ledger.LogFilter, action, what string) {
	actor := sessionFrom(r.Context()).actor
	rc := http.NewResponseController(w)
	extend := func() { rc.SetWriteDeadline(time.Now().Add(30 * time.Second)) } // not every writer has one
	extend()
	api := strings.HasPrefix(r.URL.Path, "/api/")
	var st *replayStream
	if api {
		st = &replayStream{w: w, rc: rc, redact: s.redact.String}
	}
	n := 0
	act := ledger.Action{Actor: actor, Action: action, Detail: "requeued with " + what}
	leased, err := s.cfg.Store.RequeueLog(r.Context(), f, ledger.LogReplay{Batch: replayBatch, Pace: replayPace, Action: act},
		func(batch []ledger.Requeued) error {
			extend()
			n += len(batch)
			if st != nil {
				return st.write(batch)
			}
			return nil
		})
	s.log.Info("bulk replay from the status page", "actor", actor, "action", action, "filter", q.describe(),
		"events", n, "skipped_leased", leased, "error", err)
	back := q.url("/events", 0)
	if st != nil {
		st.end(n, leased, err)
		return
	}
	switch {
	case errors.Is(err, ledger.ErrPrefixTooBroad):
		s.actionDone(w, r, http.StatusBadRequest, back, "the id prefix matches more events than the log shows: narrow it; nothing was replayed")
	case err != nil && n == 0:
		s.actionFail(w, r, err)
	case err != nil:
		s.actionDone(w, r, http.StatusInternalServerError, back, fmt.Sprintf("stopped after requeueing %d events (see the server log)", n))
	default:
		s.actionDone(w, r, http.StatusOK, back, replayNotice(n, leased, what))
	}
}

// replayNotice is what a finished bulk replay says.
func replayNotice(n, leased int, what string) string {
	msg := fmt.Sprintf("requeued %d events, %s; the processor runs them next", n, what)
	if leased > 0 {
		msg += fmt.Sprintf(" (%d skipped: a worker is processing them now)", leased)
	}
	return msg
}

// replayStream writes a bulk replay's JSON answer as it goes.
type replayStream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	redact  func(string) string
	started bool
	n       int
}

// replayedJSON is one requeued event in the answer.
type replayedJSON struct {
	Source    string       `json:"source"`
	EventID   string       `json:"event_id"`
	Type      string       `json:"type"`
	PrevState ledger.State `json:"prev_state"`
	Attempts  int          `json:"attempts"`
}

func (st *replayStream) start() {
	if !st.started {
		st.started = true
		st.w.Header().Set("Content-Type", "application/json")
		st.w.WriteHeader(http.StatusOK)
		fmt.Fprint(st.w, "{\n  \"events\": [")
	}
}

// write adds batch to the answer and flushes it to the client.
func (st *replayStream) write(batch []ledger.Requeued) error {
	st.start()
	for _, rq := range batch {
		b, err := json.Marshal(replayedJSON{rq.Source, rq.EventID, rq.Type, rq.PrevState, rq.Attempts})
		if err != nil {
			return err
		}
		sep := ","
		if st.n == 0 {
			sep = ""
		}
		if _, err := fmt.Fprintf(st.w, "%s\n    %s", sep, st.redact(string(b))); err != nil {
			return err
		}
		st.n++
	}
	if err := st.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

// end closes the answer with the count and, when the replay stopped
// early, its error (the ledger's text is not shown; it may name paths).
// A replay that failed before requeueing anything answers an error alone.
func (st *replayStream) end(n, leased int, err error) {
	if err != nil && !st.started {
		status, msg := http.StatusInternalServerError, "internal error (see the server log)"
		if errors.Is(err, ledger.ErrPrefixTooBroad) {
			status, msg = http.StatusBadRequest, "the id prefix matches more events than the log shows: narrow it; nothing was replayed"
		}
		st.w.Header().Set("Content-Type", "application/json")
		st.w.WriteHeader(status)
		b, _ := json.Marshal(map[string]string{"error": msg})
		st.w.Write(append(b, '\n'))
		return
	}
	st.start()
	fmt.Fprintf(st.w, "\n  ],\n  \"count\": %d,\n  \"skipped_leased\": %d", n, leased)
	if err != nil {
		fmt.Fprint(st.w, ",\n  \"error\": \"stopped early (see the server log)\"")
	}
	fmt.Fprint(st.w, "\n}\n")
}

// describe renders q's filter for people: "source=stripe&state=dead",
// "every event" when empty.
func (q logQuery) describe() string {
	v := url.Values{}
	for k, s := range map[string]string{"source": q.Source, "type": q.Type, "state": q.State, "origin": q.Origin,
		"q": q.Q, "since": q.Since, "until": q.Until} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if len(v) == 0 {
		return "every event"
	}
	d, _ := url.QueryUnescape(v.Encode())
	return d
}
