package paddletest

import "net/http"

// SetActive sets whether Paddle delivers to st, as turning a notification
// destination off in the dashboard (or Paddle deactivating it) does: GET
// /notification-settings/{id} then says "active": false.
func (s *Server) SetActive(st *Setting, active bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st.inactive = !active
}

// getSetting answers GET /notification-settings/{id} with the destination,
// as Paddle does (the secret key included, as Paddle shows it).
func (s *Server) getSetting(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	st, ok := s.settings[r.PathValue("id")]
	var data map[string]any
	if ok {
		data = map[string]any{
			"id": st.ID, "description": "hookledger", "type": "url", "destination": st.Destination,
			"active": !st.inactive, "api_version": 1, "include_sensitive_fields": false,
			"subscribed_events": []any{}, "endpoint_secret_key": st.SecretKey, "traffic_source": "platform",
		}
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "entity_not_found", "Entity "+r.PathValue("id")+" not found")
		return
	}
	writeData(w, http.StatusOK, data, nil)
}
