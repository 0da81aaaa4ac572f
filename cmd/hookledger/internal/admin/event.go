package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"unicode/utf8"

	"github.com/hookledger/hookledger/ledger"
)

// eventView is one event's page: the event, its payload pretty-printed,
// its receipts, its attempts and what was done to it from this page.
type eventView struct {
	Event    *ledger.Event
	Payload  string
	Receipts []ledger.Receipt
	Attempts []ledger.Attempt
	Actions  []ledger.Action
	Notice   string
}

// event is GET /events/SOURCE/ID.
func (s *Server) event(w http.ResponseWriter, r *http.Request) {
	source, id := r.PathValue("source"), r.PathValue("id")
	ctx := r.Context()
	ev, err := s.cfg.Store.Event(ctx, source, id)
	if errors.Is(err, ledger.ErrNotFound) {
		s.page(w, r, http.StatusNotFound, "notfound", source+" "+id)
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	// Redacted before the template escapes it, so that escaping cannot
	// hide a secret from the page's last redaction pass.
	v := eventView{Event: ev, Payload: s.redact.String(prettyPayload(ev.Payload)), Notice: r.URL.Query().Get("notice")}
	if v.Receipts, err = s.cfg.Store.Receipts(ctx, source, id); err != nil {
		s.fail(w, r, err)
		return
	}
	if v.Attempts, err = s.cfg.Store.Attempts(ctx, ev.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	if v.Actions, err = s.cfg.Store.EventActions(ctx, source, id, 50); err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, "event", v)
}

// prettyPayload indents a JSON payload; other text is shown as it is and
// bytes that are not UTF-8 are not shown.
func prettyPayload(p []byte) string {
	var buf bytes.Buffer
	if json.Indent(&buf, p, "", "  ") == nil {
		return buf.String()
	}
	if utf8.Valid(p) {
		return string(p)
	}
	return "(" + itoa(len(p)) + " bytes, not UTF-8 text: `hookledger events show --json` gives them in base64)"
}
