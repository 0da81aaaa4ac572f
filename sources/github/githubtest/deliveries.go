package githubtest

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// delivery is one attempt, stored compactly: the payload, event and action
// live in a shared template and everything else is rendered on demand.
type delivery struct {
	id         int64
	at         int64 // delivered_at, Unix nanoseconds
	guid       [16]byte
	tmpl       uint32
	status     int16
	redelivery bool
}

// Delivery is one attempt as the fake recorded it.
type Delivery struct {
	ID          int64
	GUID        string
	Event       string
	Action      string
	DeliveredAt time.Time
	StatusCode  int // 0 when the target could not be reached
	Redelivery  bool
}

func (d delivery) guidString() string {
	var b [36]byte
	hex.Encode(b[0:8], d.guid[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], d.guid[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], d.guid[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], d.guid[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], d.guid[10:16])
	return string(b[:])
}

// newGUID returns a random version 4 UUID. Callers hold s.mu.
func (s *Server) newGUID() [16]byte {
	var g [16]byte
	for i := 0; i < 16; i += 8 {
		v := s.rng.Uint64()
		for j := range 8 {
			g[i+j] = byte(v >> (8 * j))
		}
	}
	g[6] = g[6]&0x0f | 0x40
	g[8] = g[8]&0x3f | 0x80
	return g
}

// insert adds d to h keeping (at, id) order and returns it. Callers hold s.mu.
func (s *Server) insert(h *Hook, d delivery) delivery {
	s.nextID++
	d.id = s.nextID
	h.byID[d.id] = d.at
	if d.at >= h.lastAt {
		// GitHub's last_response follows the newest delivery.
		h.lastAt, h.lastCode = d.at, int(d.status)
	}
	n := len(h.deliveries)
	if n == 0 || !less(d, h.deliveries[n-1]) {
		h.deliveries = append(h.deliveries, d)
		return d
	}
	i, _ := slices.BinarySearchFunc(h.deliveries, d, cmp)
	h.deliveries = slices.Insert(h.deliveries, i, d)
	return d
}

func less(a, b delivery) bool { return cmp(a, b) < 0 }

func cmp(a, b delivery) int {
	if a.at != b.at {
		if a.at < b.at {
			return -1
		}
		return 1
	}
	return int(a.id - b.id)
}

// Deliveries returns every attempt recorded for h, newest first.
func (s *Server) Deliveries(h *Hook) []Delivery {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Delivery, 0, len(h.deliveries))
	for i := len(h.deliveries) - 1; i >= 0; i-- {
		out = append(out, s.export(h.deliveries[i]))
	}
	return out
}

// FirstDelivered returns, for every event (GUID) recorded for h, when it
// was first delivered: where a listing must place it (a redelivery does not
// move it). It is the truth a lister's progress marks are checked against.
func (s *Server) FirstDelivered(h *Hook) map[string]time.Time {
	out := map[string]time.Time{}
	for _, d := range s.Deliveries(h) {
		if !d.Redelivery {
			out[d.GUID] = d.DeliveredAt
		}
	}
	return out
}

func (s *Server) export(d delivery) Delivery {
	t := s.templates[d.tmpl]
	return Delivery{
		ID: d.id, GUID: d.guidString(), Event: t.event, Action: t.action,
		DeliveredAt: time.Unix(0, d.at).UTC(), StatusCode: int(d.status), Redelivery: d.redelivery,
	}
}

// summary is the JSON of a delivery in the list, as GitHub renders it.
func (s *Server) summary(h *Hook, d delivery) map[string]any {
	t := s.templates[d.tmpl]
	status := "OK"
	switch {
	case d.status == 0:
		status = "failed to connect to host"
	case d.status >= 300:
		status = "Invalid HTTP Response: " + strconv.Itoa(int(d.status))
	}
	m := map[string]any{
		"id":              d.id,
		"guid":            d.guidString(),
		"delivered_at":    time.Unix(0, d.at).UTC().Format(time.RFC3339Nano),
		"redelivery":      d.redelivery,
		"duration":        0.05,
		"status":          status,
		"status_code":     d.status,
		"event":           t.event,
		"action":          nil,
		"installation_id": nil,
		"repository_id":   nil,
	}
	if t.action != "" {
		m["action"] = t.action
	}
	if h.Org == "" {
		m["repository_id"] = 1296269
	}
	return m
}

// handleList answers GET …/hooks/{id}/deliveries, newest first, per_page
// (default 30, at most 100) a page, the next page's cursor in Link.
func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	perPage := 30
	if v, err := strconv.Atoi(r.URL.Query().Get("per_page")); err == nil && v > 0 {
		perPage = min(v, 100)
	}
	s.mu.RLock()
	h := s.hookOf(r)
	if h == nil {
		s.mu.RUnlock()
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	end, ok := s.cursorEnd(h, r.URL.Query().Get("cursor"))
	if !ok {
		s.mu.RUnlock()
		writeError(w, http.StatusBadRequest, "Invalid cursor")
		return
	}
	page := make([]map[string]any, 0, perPage)
	i := end - 1
	for ; i >= 0 && len(page) < perPage; i-- {
		page = append(page, s.summary(h, h.deliveries[i]))
	}
	var last delivery
	if len(page) > 0 {
		last = h.deliveries[i+1]
	}
	s.mu.RUnlock()
	if i >= 0 {
		next := url.Values{"cursor": {cursorOf(last)}, "per_page": {strconv.Itoa(perPage)}}
		link := fmt.Sprintf("<%s%s?%s>; rel=\"next\"", s.URL, strings.TrimPrefix(r.URL.Path, "/"), next.Encode())
		w.Header().Set("Link", link)
	}
	writeJSON(w, http.StatusOK, page)
}

// cursorOf names the position after d: "<nanoseconds>.<id>".
func cursorOf(d delivery) string {
	return strconv.FormatInt(d.at, 10) + "." + strconv.FormatInt(d.id, 10)
}

// cursorEnd returns the index just past the rows a cursor's page may
// show: every row older than the cursor. Callers hold s.mu.
func (s *Server) cursorEnd(h *Hook, cursor string) (int, bool) {
	if cursor == "" {
		return len(h.deliveries), true
	}
	atS, idS, ok := strings.Cut(cursor, ".")
	at, err1 := strconv.ParseInt(atS, 10, 64)
	id, err2 := strconv.ParseInt(idS, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return 0, false
	}
	i, _ := slices.BinarySearchFunc(h.deliveries, delivery{at: at, id: id}, cmp)
	return i, true
}

// handleDelivery answers GET …/deliveries/{id} with request and response.
func (s *Server) handleDelivery(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	h, d, ok := s.findDelivery(r)
	var m map[string]any
	if ok {
		t := s.templates[d.tmpl]
		m = s.summary(h, d)
		m["url"] = h.URL
		m["request"] = map[string]any{
			"headers": s.webhookHeaders(h, d, s.body(h, t)),
			"payload": json.RawMessage(t.payload),
		}
		m["response"] = map[string]any{"headers": map[string]string{}, "payload": nil}
	}
	s.mu.RUnlock()
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// findDelivery finds the hook and delivery a path names. Callers hold s.mu.
func (s *Server) findDelivery(r *http.Request) (*Hook, delivery, bool) {
	h := s.hookOf(r)
	id, err := strconv.ParseInt(r.PathValue("delivery"), 10, 64)
	if h == nil || err != nil {
		return nil, delivery{}, false
	}
	at, ok := h.byID[id]
	if !ok {
		return nil, delivery{}, false
	}
	i, found := slices.BinarySearchFunc(h.deliveries, delivery{at: at, id: id}, cmp)
	if !found {
		return nil, delivery{}, false
	}
	return h, h.deliveries[i], true
}

// body is what the hook sends for template t: the JSON payload, or a form.
func (s *Server) body(h *Hook, t template) []byte {
	if h.Form {
		return []byte(url.Values{"payload": {string(t.payload)}}.Encode())
	}
	return t.payload
}

// webhookHeaders are the headers a webhook of d carries, signatures too.
func (s *Server) webhookHeaders(h *Hook, d delivery, body []byte) map[string]string {
	t := s.templates[d.tmpl]
	m := map[string]string{
		"Accept":                                 "*/*",
		"User-Agent":                             "GitHub-Hookshot/9c1c7f1",
		"X-GitHub-Delivery":                      d.guidString(),
		"X-GitHub-Event":                         t.event,
		"X-GitHub-Hook-ID":                       strconv.FormatInt(h.ID, 10),
		"X-GitHub-Hook-Installation-Target-ID":   "1296269",
		"X-GitHub-Hook-Installation-Target-Type": h.targetType(),
		"Content-Type":                           "application/json",
	}
	if h.Form {
		m["Content-Type"] = "application/x-www-form-urlencoded"
	}
	if h.Secret != "" {
		m["X-Hub-Signature"] = "sha1=" + mac(sha1Sum, h.Secret, body)
		m["X-Hub-Signature-256"] = Sign(body, h.Secret)
	}
	return m
}

// Sign returns the X-Hub-Signature-256 value for body signed with secret
// (payload first, then the secret, like every sign function here).
func Sign(body []byte, secret string) string { return "sha256=" + mac(sha256Sum, secret, body) }

type hashKind int

const (
	sha1Sum hashKind = iota
	sha256Sum
)

func mac(kind hashKind, secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	if kind == sha1Sum {
		m = hmac.New(sha1.New, []byte(secret))
	}
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
