package paddletest

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Setting is a notification destination: where Paddle sends notifications
// and the secret key it signs them with.
type Setting struct {
	ID          string // ntfset_…
	Destination string // the webhook URL
	SecretKey   string // pdl_ntfset_…

	inactive bool // Paddle's active flag, inverted so a new destination is active; see SetActive
}

// Notification is one notification of an event to a destination.
type Notification struct {
	ID        string // ntf_…
	EventID   string // evt_…, shared by the replays of one event
	Type      string
	Setting   string
	Origin    string // "event" or "replay"
	Occurred  time.Time
	Status    string // not_attempted, needs_retry, delivered, failed
	Attempts  int
	Delivered time.Time
	Body      []byte // the payload, as the webhook carries it
}

// AddSetting adds a notification destination sending to url, signed with
// secretKey, and returns it.
func (s *Server) AddSetting(url, secretKey string) *Setting {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &Setting{ID: s.newID("ntfset"), Destination: url, SecretKey: secretKey}
	s.settings[st.ID] = st
	return st
}

// AddEvent records an event of type typ that occurred at t and its
// notification (origin event, not yet attempted) to st, with data as the
// entity (nil: a small one of the right shape).
func (s *Server) AddEvent(st *Setting, typ string, t time.Time, data map[string]any) *Notification {
	return s.add(st, typ, t, data, true)
}

// AddUnlistedEvent makes a notification the API does not know, as an
// attacker with the secret key would: Send can deliver it, the list never
// shows it.
func (s *Server) AddUnlistedEvent(st *Setting, typ string, t time.Time) *Notification {
	return s.add(st, typ, t, nil, false)
}

func (s *Server) add(st *Setting, typ string, t time.Time, data map[string]any, listed bool) *Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	t = t.UTC().Truncate(time.Microsecond)
	n := &Notification{ID: s.newID("ntf"), EventID: s.newID("evt"), Type: typ, Setting: st.ID,
		Origin: "event", Occurred: t, Status: "not_attempted"}
	if data == nil {
		data = s.entity(typ, t)
	}
	raw, _ := json.Marshal(data)
	n.Body = payload(n, raw)
	if listed {
		s.insert(n)
	}
	return n
}

// insert keeps s.notifications in order (see before); s.mu must be held.
func (s *Server) insert(n *Notification) {
	i, _ := slices.BinarySearchFunc(s.notifications, n, compare)
	s.notifications = slices.Insert(s.notifications, i, n)
	s.byID[n.ID] = n
}

// compare orders notifications by their events' times, then ids: the order
// Paddle's time-sorted ids give its id[ASC] listing.
func compare(a, b *Notification) int {
	if c := a.Occurred.Compare(b.Occurred); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// templates are real entities by event type, from Paddle's SDK test data.
//
//go:embed testdata/events.json
var templatesJSON []byte

var templates = func() map[string]json.RawMessage {
	var doc struct {
		Data []struct {
			EventType string          `json:"event_type"`
			Data      json.RawMessage `json:"data"`
		} `json:"data"`
	}
	if err := json.Unmarshal(templatesJSON, &doc); err != nil {
		panic("paddletest: testdata/events.json: " + err.Error())
	}
	out := map[string]json.RawMessage{}
	for _, e := range doc.Data {
		out[e.EventType] = e.Data
	}
	return out
}()

// Types are the event types whose entities the fake renders from Paddle's
// own examples (any other type gets a small generic entity).
var Types = []string{"transaction.completed", "transaction.updated", "subscription.created"}

// entity is an entity for an event of type typ at t: Paddle's example with
// a fresh id and times, or a small generic one.
func (s *Server) entity(typ string, t time.Time) map[string]any {
	if tmpl, ok := templates[typ]; ok {
		var e map[string]any
		json.Unmarshal(tmpl, &e)
		prefix, _, _ := strings.Cut(e["id"].(string), "_")
		e["id"] = s.newID(prefix)
		e["created_at"], e["updated_at"] = t.Format(time.RFC3339Nano), t.Format(time.RFC3339Nano)
		return e
	}
	kind, _, _ := strings.Cut(typ, ".")
	prefix := map[string]string{"transaction": "txn", "subscription": "sub", "customer": "ctm"}[kind]
	if prefix == "" {
		prefix = "ent"
	}
	e := map[string]any{"id": s.newID(prefix), "status": "active", "created_at": t.Format(time.RFC3339Nano),
		"updated_at": t.Format(time.RFC3339Nano)}
	if prefix == "txn" || prefix == "sub" {
		e["status"], e["customer_id"], e["currency_code"] = "completed", s.newID("ctm"), "USD"
	}
	return e
}

// payload renders n's webhook body, data the entity, in Paddle's field order.
func payload(n *Notification, data json.RawMessage) []byte {
	b, _ := json.Marshal(struct {
		EventID        string          `json:"event_id"`
		EventType      string          `json:"event_type"`
		OccurredAt     string          `json:"occurred_at"`
		NotificationID string          `json:"notification_id"`
		Data           json.RawMessage `json:"data"`
	}{n.EventID, n.Type, n.Occurred.Format(time.RFC3339Nano), n.ID, data})
	return b
}

// wire is n as the notifications API renders it.
func (n *Notification) wire() map[string]any {
	var delivered, last any
	if !n.Delivered.IsZero() {
		delivered = n.Delivered.Format(time.RFC3339Nano)
		last = delivered
	}
	return map[string]any{
		"id": n.ID, "type": n.Type, "status": n.Status, "payload": json.RawMessage(n.Body),
		"occurred_at": n.Occurred.Format(time.RFC3339Nano), "delivered_at": delivered, "replayed_at": nil,
		"origin": n.Origin, "last_attempt_at": last, "retry_at": nil, "times_attempted": n.Attempts,
		"notification_setting_id": n.Setting,
	}
}

// listNotifications is GET /notifications.
func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	perPage := 50
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "invalid_field", "per_page must be a positive integer")
			return
		}
		perPage = min(n, 200)
	}
	desc := q.Get("order_by") == "id[DESC]"
	if o := q.Get("order_by"); o != "" && o != "id[ASC]" && !desc {
		writeError(w, http.StatusBadRequest, "invalid_field", "order_by must be id[ASC] or id[DESC]")
		return
	}
	match, ok := filter(q)
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid_field", "from and to must be RFC 3339 date-times")
		return
	}
	s.mu.Lock()
	page, more, total := s.page(match, s.byID[q.Get("after")], perPage, desc)
	data := make([]any, len(page))
	for i, n := range page {
		data[i] = n.wire()
	}
	s.mu.Unlock()
	next := *r.URL
	nq := next.Query()
	if len(page) > 0 {
		nq.Set("after", page[len(page)-1].ID)
	}
	next.RawQuery = nq.Encode()
	writeData(w, http.StatusOK, data, map[string]any{"pagination": map[string]any{
		"per_page": perPage, "next": s.URL + next.RequestURI(), "has_more": more, "estimated_total": total}})
}

// filter returns the predicate of the list filters in q; ok is false when
// from or to do not parse.
func filter(q url.Values) (func(*Notification) bool, bool) {
	var from, to time.Time
	var err error
	if v := q.Get("from"); v != "" {
		if from, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return nil, false
		}
	}
	if v := q.Get("to"); v != "" {
		if to, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return nil, false
		}
	}
	settings := splitComma(q.Get("notification_setting_id"))
	statuses := splitComma(q.Get("status"))
	return func(n *Notification) bool {
		return (len(settings) == 0 || slices.Contains(settings, n.Setting)) &&
			(len(statuses) == 0 || slices.Contains(statuses, n.Status)) &&
			(from.IsZero() || !n.Occurred.Before(from)) && (to.IsZero() || !n.Occurred.After(to))
	}, true
}

func splitComma(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// page returns up to perPage matching notifications after the cursor after
// (nil: from the start) in the asked order, whether more follow, and how
// many match in all. s.mu must be held.
func (s *Server) page(match func(*Notification) bool, after *Notification, perPage int, desc bool) ([]*Notification, bool, int) {
	var out []*Notification
	total, more := 0, false
	for i := range s.notifications {
		n := s.notifications[i]
		if desc {
			n = s.notifications[len(s.notifications)-1-i]
		}
		if !match(n) {
			continue
		}
		total++
		if after != nil && ((!desc && compare(n, after) <= 0) || (desc && compare(n, after) >= 0)) {
			continue
		}
		if len(out) == perPage {
			more = true
			continue
		}
		out = append(out, n)
	}
	return out, more, total
}

// getNotification is GET /notifications/{id}.
func (s *Server) getNotification(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	n, ok := s.byID[r.PathValue("id")]
	var data map[string]any
	if ok {
		data = n.wire()
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "entity_not_found", "Entity "+r.PathValue("id")+" not found")
		return
	}
	writeData(w, http.StatusOK, data, nil)
}

// Notifications returns a copy of every notification the API knows, in id
// order.
func (s *Server) Notifications() []Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Notification, len(s.notifications))
	for i, n := range s.notifications {
		out[i] = *n
	}
	return out
}
