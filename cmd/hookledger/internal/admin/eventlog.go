package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hookledger/hookledger/ledger"
)

// timeLayout is how the log's time filters are written: an HTML
// datetime-local value, in UTC.
const timeLayout = "2006-01-02T15:04"

// logQuery is the event log's filter as the URL carries it.
type logQuery struct {
	Source, Type, State, Origin, Q, Since, Until string
	Before                                       int64
	// Top is the row id the first page began below, carried by the
	// older pages' URLs and the replay form: 0 before the first page.
	Top int64
}

// parseLogQuery reads the filter from the query string u, or returns a
// message saying which parameter is wrong.
func parseLogQuery(u url.Values) (logQuery, ledger.LogFilter, error) {
	q := logQuery{Source: u.Get("source"), Type: u.Get("type"), State: u.Get("state"), Origin: u.Get("origin"),
		Q: strings.TrimSpace(u.Get("q")), Since: u.Get("since"), Until: u.Get("until")}
	f := ledger.LogFilter{Source: q.Source, Type: q.Type, IDPrefix: q.Q}
	if q.State != "" {
		st, err := ledger.ParseState(q.State)
		if err != nil {
			return q, f, err
		}
		f.State = st
	}
	switch ledger.Origin(q.Origin) {
	case "", ledger.OriginWebhook, ledger.OriginReconcile, ledger.OriginReplay:
		f.Origin = ledger.Origin(q.Origin)
	default:
		return q, f, fmt.Errorf("unknown origin %q (want webhook, reconcile or replay)", q.Origin)
	}
	for _, tf := range []struct {
		v   string
		dst *time.Time
	}{{q.Since, &f.Since}, {q.Until, &f.Until}} {
		if tf.v == "" {
			continue
		}
		t, err := time.Parse(timeLayout, tf.v)
		if err != nil {
			if t, err = time.Parse(time.RFC3339, tf.v); err != nil {
				return q, f, fmt.Errorf("time %q: want YYYY-MM-DDTHH:MM (UTC) or RFC 3339", tf.v)
			}
		}
		*tf.dst = t.UTC()
	}
	if b := u.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 1 {
			return q, f, fmt.Errorf("before %q: want a positive whole number", b)
		}
		q.Before, f.Before = n, n
	}
	if t := u.Get("top"); t != "" {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil || n < 1 {
			return q, f, fmt.Errorf("top %q: want a positive whole number", t)
		}
		q.Top = n
		if f.Before == 0 {
			f.Before = n
		}
	}
	return q, f, nil
}

// url returns the log's URL for q with the cursor before (0: none).
func (q logQuery) url(base string, before int64) string {
	v := url.Values{}
	for k, s := range map[string]string{"source": q.Source, "type": q.Type, "state": q.State, "origin": q.Origin,
		"q": q.Q, "since": q.Since, "until": q.Until} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if before > 0 {
		v.Set("before", strconv.FormatInt(before, 10))
		if q.Top > 0 {
			v.Set("top", strconv.FormatInt(q.Top, 10))
		}
	}
	if len(v) == 0 {
		return base
	}
	return base + "?" + v.Encode()
}

// eventLogView is the event log page's data.
type eventLogView struct {
	Query   logQuery
	Error   string
	Page    ledger.LogPage
	NextURL string
	States  []ledger.State
	Origins []ledger.Origin
	// Top is where the filter's first page began: what the replay form
	// sends, so that it replays the events these pages show.
	Top    int64
	Notice string
}

// eventLog is GET /events: the log, filtered, newest first, keyset-paged.
func (s *Server) eventLog(w http.ResponseWriter, r *http.Request) {
	q, f, err := parseLogQuery(r.URL.Query())
	v := eventLogView{Query: q, States: ledger.States, Notice: r.URL.Query().Get("notice"),
		Origins: []ledger.Origin{ledger.OriginWebhook, ledger.OriginReconcile, ledger.OriginReplay}}
	if err != nil {
		v.Error = err.Error()
		s.page(w, r, http.StatusBadRequest, "events", v)
		return
	}
	if v.Page, err = s.cfg.Store.EventLog(r.Context(), f); err != nil {
		s.fail(w, r, err)
		return
	}
	if q.Top == 0 {
		q.Top = v.Page.Top
	}
	v.Top = q.Top
	if v.Page.Next > 0 {
		v.NextURL = q.url("/events", v.Page.Next)
	}
	s.page(w, r, http.StatusOK, "events", v)
}
