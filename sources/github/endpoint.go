package github

import (
	"context"
	"fmt"
	"net/http"

	gh "github.com/google/go-github/v60/github"

	"github.com/hookledger/hookledger/sources"
)

var _ sources.EndpointViewer = (*Source)(nil)

// Endpoints returns GitHub's view of each configured hook: whether it is
// active, where it sends, and its last response (last_response.code and
// message), in the order of GITHUB_HOOKS.
func (s *Source) Endpoints(ctx context.Context) ([]sources.Endpoint, error) {
	out := make([]sources.Endpoint, 0, len(s.hooks))
	for _, h := range s.hooks {
		hook, err := s.getHook(ctx, h)
		if err != nil {
			return nil, err
		}
		out = append(out, endpointOf(h, hook))
	}
	return out, nil
}

func endpointOf(h Hook, hook *gh.Hook) sources.Endpoint {
	e := sources.Endpoint{ID: h.String(), Enabled: hook.GetActive(), Status: "inactive", URL: hook.GetURL()}
	if hook.Config != nil {
		e.URL = hook.Config.GetURL()
	}
	if e.Enabled {
		e.Status = "active"
	}
	// last_response is {"code": 502, "status": "…", "message": "…"}; code
	// is null before the first delivery.
	if code, ok := hook.LastResponse["code"].(float64); ok {
		e.LastResponseCode = int(code)
	}
	if msg, ok := hook.LastResponse["message"].(string); ok {
		e.LastResponseMessage = msg
	}
	return e
}

// getHook reads hook h, from its repository or its organization.
func (s *Source) getHook(ctx context.Context, h Hook) (*gh.Hook, error) {
	hook := new(gh.Hook)
	if _, err := s.hookCall(ctx, http.MethodGet, h, "", hook); err != nil {
		return nil, fmt.Errorf("get hook %s: %w", h, err)
	}
	return hook, nil
}
