package github

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/hookledger/hookledger/sources"
)

// ErrEventMismatch means the payload is plainly an event of another type
// than the X-GitHub-Event header says. GitHub's signature covers the body
// only, so a captured delivery could otherwise be replayed under another
// event name (a push stored as a release). It wraps sources.ErrMalformed.
var ErrEventMismatch = fmt.Errorf("github: payload does not match the %s header: %w", EventHeader, sources.ErrMalformed)

// eventMarkers are the top-level fields that name an event type: a payload
// carrying all of an event's markers is that event (or one whose markers
// include them, like issue_comment's include issues'). Only fields that no
// other event carries at the top level are markers; each set is checked
// against the real payloads in testdata/webhooks. Events not listed here
// (or whose payload has no marker) are not checked: the shape cannot tell.
var eventMarkers = map[string][]string{
	"ping":                        {"zen", "hook_id"},
	"push":                        {"ref", "before", "after", "commits"},
	"create":                      {"ref", "ref_type", "master_branch"},
	"check_run":                   {"check_run"},
	"check_suite":                 {"check_suite"},
	"workflow_run":                {"workflow_run", "workflow"},
	"workflow_job":                {"workflow_job"},
	"deployment_status":           {"deployment_status"},
	"issues":                      {"issue"},
	"issue_comment":               {"issue", "comment"},
	"pull_request":                {"pull_request", "number"},
	"pull_request_review":         {"pull_request", "review"},
	"pull_request_review_comment": {"pull_request", "comment"},
	"pull_request_review_thread":  {"pull_request", "thread"},
	"discussion":                  {"discussion"},
	"discussion_comment":          {"discussion", "comment"},
	"release":                     {"release"},
	"fork":                        {"forkee"},
	"star":                        {"starred_at"},
	"status":                      {"sha", "state", "context", "commit"},
}

// mayCarry lists, for an event, the other events whose markers its payload
// can legitimately include: a deployment names the workflow run or check
// run behind it.
var mayCarry = map[string][]string{
	"deployment":                 {"workflow_run", "check_run"},
	"deployment_status":          {"workflow_run", "check_run"},
	"deployment_review":          {"workflow_run"},
	"deployment_protection_rule": {"workflow_run", "check_run"},
}

// present stands for a JSON field's value without decoding or copying it.
type present struct{}

func (*present) UnmarshalJSON([]byte) error { return nil }

// checkEventShape returns ErrEventMismatch when doc (a JSON object) carries
// the markers of an event other than event and those markers are not part
// of event's own; nil when they agree or the shape cannot tell.
func checkEventShape(event string, doc []byte) error {
	var fields map[string]present
	if err := json.Unmarshal(doc, &fields); err != nil {
		return ErrBadPayload
	}
	own := eventMarkers[event]
	for other, markers := range eventMarkers {
		if other == event || slices.Contains(mayCarry[event], other) ||
			!hasAll(fields, markers) || isSubset(markers, own) {
			continue
		}
		return fmt.Errorf("%w: it carries the fields of a %s event", ErrEventMismatch, other)
	}
	return nil
}

func hasAll(fields map[string]present, names []string) bool {
	for _, n := range names {
		if _, ok := fields[n]; !ok {
			return false
		}
	}
	return true
}

// isSubset reports whether every name in a is in b.
func isSubset(a, b []string) bool {
	for _, n := range a {
		if !slices.Contains(b, n) {
			return false
		}
	}
	return true
}
