package githubtest

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Hook is a webhook registered on the fake: a repository hook (Owner and
// Repo set) or an organization hook (Org set). Treat it as read-only.
type Hook struct {
	ID     int64
	Owner  string
	Repo   string
	Org    string
	URL    string   // where webhooks are sent
	Secret string   // signs them; "" sends them unsigned
	Events []string // subscribed events, reported by GET …/hooks/{id}
	// Form sends bodies as application/x-www-form-urlencoded with a
	// payload field, instead of application/json.
	Form bool

	created    time.Time
	inactive   bool            // GitHub's active flag, inverted so a new hook is active
	lastAt     int64           // delivered_at of the newest delivery, Unix nanoseconds
	lastCode   int             // its status: GitHub's last_response.code
	deliveries []delivery      // ascending by (at, id)
	byID       map[int64]int64 // delivery id → at
}

// String returns the hook as GITHUB_HOOKS spells it.
func (h *Hook) String() string {
	id := strconv.FormatInt(h.ID, 10)
	if h.Org != "" {
		return "org:" + h.Org + ":" + id
	}
	return h.Owner + "/" + h.Repo + ":" + id
}

// target says where the hook lives, the one place the fake tells
// repository hooks from organization hooks: the REST path prefix
// ("repos/OWNER/REPO" or "orgs/ORG", the key of Server.hooks with the id)
// and the hook's type as GitHub names it ("Repository", "Organization").
func (h *Hook) target() (prefix, typ string) {
	if h.Org != "" {
		return "orgs/" + h.Org, "Organization"
	}
	return "repos/" + h.Owner + "/" + h.Repo, "Repository"
}

func (h *Hook) key() string {
	prefix, _ := h.target()
	return prefix + "/" + strconv.FormatInt(h.ID, 10)
}

// targetType is the X-GitHub-Hook-Installation-Target-Type of the hook.
func (h *Hook) targetType() string {
	_, typ := h.target()
	return strings.ToLower(typ)
}

// AddRepoHook registers a hook on owner/repo that sends to url signed with
// secret, and returns it. events defaults to ["*"].
func (s *Server) AddRepoHook(owner, repo string, id int64, url, secret string, events ...string) *Hook {
	return s.addHook(&Hook{ID: id, Owner: owner, Repo: repo, URL: url, Secret: secret, Events: events})
}

// AddOrgHook registers a hook on organization org, like AddRepoHook.
func (s *Server) AddOrgHook(org string, id int64, url, secret string, events ...string) *Hook {
	return s.addHook(&Hook{ID: id, Org: org, URL: url, Secret: secret, Events: events})
}

func (s *Server) addHook(h *Hook) *Hook {
	if len(h.Events) == 0 {
		h.Events = []string{"*"}
	}
	h.created = s.now().UTC()
	h.byID = make(map[int64]int64)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks[h.key()] = h
	return h
}

// hookOf finds the hook a request's path names; nil when there is none.
// Callers hold s.mu.
func (s *Server) hookOf(r *http.Request) *Hook {
	key := "repos/" + r.PathValue("owner") + "/" + r.PathValue("repo") + "/" + r.PathValue("id")
	if org := r.PathValue("org"); org != "" {
		key = "orgs/" + org + "/" + r.PathValue("id")
	}
	return s.hooks[key]
}

// handleHook answers GET …/hooks/{id} with the hook's configuration.
func (s *Server) handleHook(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	h := s.hookOf(r)
	s.mu.RUnlock()
	if h == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	_, typ := h.target()
	contentType := "json"
	if h.Form {
		contentType = "form"
	}
	s.mu.RLock()
	active, last, target := !h.inactive, lastResponse(h.lastAt, h.lastCode), h.URL
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"type":          typ,
		"id":            h.ID,
		"name":          "web",
		"active":        active,
		"last_response": last,
		"events":        h.Events,
		"config":        map[string]string{"url": target, "content_type": contentType, "insecure_ssl": "0", "secret": "********"},
		"created_at":    h.created.Format(time.RFC3339),
		"updated_at":    h.created.Format(time.RFC3339),
	})
}

// SetActive sets h's active flag, as unchecking "Active" in a repository's
// webhook settings does: GitHub then sends it nothing, and GET …/hooks/{id}
// says "active": false.
func (s *Server) SetActive(h *Hook, active bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h.inactive = !active
}

// SetURL points h elsewhere, as an edit of the hook's Payload URL does;
// later sends go there too. Call it between sends, not during one.
func (s *Server) SetURL(h *Hook, url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h.URL = url
}

// lastResponse renders GitHub's last_response for the newest delivery at
// (0: none yet) answered code.
func lastResponse(at int64, code int) map[string]any {
	switch {
	case at == 0:
		return map[string]any{"code": nil, "status": "unused", "message": nil}
	case code >= 200 && code < 300:
		return map[string]any{"code": code, "status": "active", "message": "OK"}
	case code == 0:
		return map[string]any{"code": nil, "status": "timeout", "message": "Service Timeout"}
	}
	return map[string]any{"code": code, "status": "failed", "message": "Invalid HTTP Response: " + strconv.Itoa(code)}
}
