package githubtest

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

// examples are real webhook payloads from the npm package
// @octokit/webhooks-examples (MIT), one per event type, named TYPE.json.
//
//go:embed examples/*.json
var examples embed.FS

// template is one payload deliveries can share: rendering a delivery needs
// only its template index, which keeps 200,000 deliveries small.
type template struct {
	event   string
	action  string
	payload []byte
}

// loadTemplates trims every embedded example to a realistic 1–3 KB payload.
func loadTemplates() ([]template, error) {
	entries, err := examples.ReadDir("examples")
	if err != nil {
		return nil, fmt.Errorf("read examples: %w", err)
	}
	var out []template
	for _, e := range entries {
		raw, err := examples.ReadFile(path.Join("examples", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read example %s: %w", e.Name(), err)
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("decode example %s: %w", e.Name(), err)
		}
		payload, err := json.Marshal(trim(doc, 0))
		if err != nil {
			return nil, fmt.Errorf("encode example %s: %w", e.Name(), err)
		}
		action, _ := doc["action"].(string)
		out = append(out, template{
			event:   strings.TrimSuffix(e.Name(), ".json"),
			action:  action,
			payload: payload,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].event < out[j].event })
	return out, nil
}

// identity are the keys kept in objects nested deeper than two levels.
var identity = map[string]bool{"id": true, "login": true, "name": true, "full_name": true, "sha": true, "ref": true, "type": true}

// trim shortens a decoded payload: API URL templates go, objects two
// levels down keep only identity fields, arrays keep their first element.
func trim(v any, depth int) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			if strings.HasSuffix(k, "_url") && k != "html_url" {
				continue
			}
			if depth >= 2 && !identity[k] {
				continue
			}
			out[k] = trim(x, depth+1)
		}
		return out
	case []any:
		if len(v) == 0 {
			return v
		}
		return []any{trim(v[0], depth+1)}
	default:
		return v
	}
}
