package stripetest

import (
	"encoding/json"
	"net/http"
	"time"
)

// Endpoint is a webhook endpoint registered with the fake.
type Endpoint struct {
	ID            string   // we_…
	URL           string   // where Stripe would POST
	Secret        string   // whsec_…, the signing secret
	EnabledEvents []string // subscribed types; "*" means all
	Created       time.Time
	status        string // "enabled" or "disabled"; see SetEndpointStatus
}

// AddEndpoint registers a webhook endpoint and returns it. An empty
// secret gets a generated whsec_ one; no enabled types means "*".
func (s *Server) AddEndpoint(url, secret string, enabled ...string) *Endpoint {
	if len(enabled) == 0 {
		enabled = []string{"*"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := uint64(len(s.endpoints)) + 1
	if secret == "" {
		secret = "whsec_" + objectID("w", splitmix64(n)^uint64(len(s.prefix)))[3:] + s.prefix
	}
	ep := &Endpoint{
		ID:            objectID("we", n^0x5eed),
		URL:           url,
		Secret:        secret,
		EnabledEvents: append([]string(nil), enabled...),
		Created:       time.Now().UTC().Truncate(time.Second),
		status:        "enabled",
	}
	s.endpoints[ep.ID] = ep
	return ep
}

// SetEnabledEvents changes what an endpoint subscribes to.
func (s *Server) SetEnabledEvents(id string, enabled ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ep, ok := s.endpoints[id]; ok {
		ep.EnabledEvents = append([]string(nil), enabled...)
	}
}

// SetEndpointStatus sets an endpoint's status, "enabled" or "disabled",
// as Stripe does when it disables an endpoint after days of failed
// deliveries (and the dashboard when someone re-enables it).
func (s *Server) SetEndpointStatus(id, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ep, ok := s.endpoints[id]; ok {
		ep.status = status
	}
}

// SetEndpointURL points an endpoint elsewhere, as an edit in the
// dashboard does.
func (s *Server) SetEndpointURL(id, url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ep, ok := s.endpoints[id]; ok {
		ep.URL = url
	}
}

// endpointJSON is the wire form of a webhook endpoint as retrieved (the
// secret is only ever shown on creation, so it is absent).
type endpointJSON struct {
	ID            string            `json:"id"`
	Object        string            `json:"object"`
	APIVersion    *string           `json:"api_version"`
	Application   *string           `json:"application"`
	Created       int64             `json:"created"`
	Description   *string           `json:"description"`
	EnabledEvents []string          `json:"enabled_events"`
	Livemode      bool              `json:"livemode"`
	Metadata      map[string]string `json:"metadata"`
	Status        string            `json:"status"`
	URL           string            `json:"url"`
}

func (s *Server) getEndpoint(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.RLock()
	ep, ok := s.endpoints[id]
	var out endpointJSON
	if ok {
		out = endpointJSON{
			ID: ep.ID, Object: "webhook_endpoint", Created: ep.Created.Unix(),
			EnabledEvents: append([]string(nil), ep.EnabledEvents...),
			Metadata:      map[string]string{}, Status: ep.status, URL: ep.URL,
		}
	}
	s.mu.RUnlock()
	if !ok {
		writeError(w, http.StatusNotFound, "invalid_request_error", "id", "No such webhook endpoint: '"+id+"'")
		return
	}
	body, _ := json.MarshalIndent(out, "", "  ")
	writeJSON(w, http.StatusOK, body)
}
