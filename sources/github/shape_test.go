package github_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hookledger/hookledger/sources"
	"github.com/hookledger/hookledger/sources/github"
)

// TestVerifyRejectsRelabelledEvent: GitHub signs the body only, so a
// captured delivery can be resent under another X-GitHub-Event. Where the
// payload names its event, a header that disagrees is malformed (400).
func TestVerifyRejectsRelabelledEvent(t *testing.T) {
	src := newVerifier(t)
	tests := []struct{ example, header string }{
		{"push.0", "release"},
		{"push.1", "ping"},
		{"push.0", "watch"},
		{"ping.0", "push"},
		{"release.0", "push"},
		{"release.0", "issues"},
		{"issue_comment.0", "issues"},
		{"issues.0", "pull_request"},
		{"pull_request.0", "issues"},
		{"pull_request_review.0", "pull_request"},
		{"pull_request_review_comment.0", "pull_request_review"},
		{"check_run.0", "check_suite"},
		{"check_suite.0", "check_run"},
		{"workflow_run.0", "workflow_job"},
		{"create.0", "delete"},
		{"deployment_status.0", "deployment"},
		{"discussion_comment.0", "discussion"},
		{"star.0", "watch"},
	}
	for _, tt := range tests {
		t.Run(tt.example+"_as_"+tt.header, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", "webhooks", tt.example+".json"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.Verify(signedHeader("current", tt.header, "3a1f0e2c-relabelled", body), body)
			if !errors.Is(err, github.ErrEventMismatch) || !errors.Is(err, sources.ErrMalformed) {
				t.Fatalf("Verify(%s as %s) error = %v, want ErrEventMismatch (malformed)", tt.example, tt.header, err)
			}
		})
	}
}

// TestVerifyAcceptsUnnamedShapes: a payload that names no event (or one
// the table does not know) is accepted under any header; the check only
// refuses what it can tell.
func TestVerifyAcceptsUnnamedShapes(t *testing.T) {
	src := newVerifier(t)
	for _, tt := range []struct{ body, header string }{
		{`{"action":"opened"}`, "issues"},
		{`{}`, "push"},
		{`{"zen":"x"}`, "push"},
		{`{"issue":{},"comment":{}}`, "issue_comment"},
	} {
		body := []byte(tt.body)
		if _, err := src.Verify(signedHeader("current", tt.header, "3a1f0e2c-unnamed", body), body); err != nil {
			t.Errorf("Verify(%s as %s) error = %v, want accepted", tt.body, tt.header, err)
		}
	}
}
