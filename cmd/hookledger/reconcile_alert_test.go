package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

// TestReconcileCommandAlerts checks that a manual reconcile tells Slack
// what it found and recovered, like a scheduled one, and that a dry run
// tells nobody.
func TestReconcileCommandAlerts(t *testing.T) {
	fake := stripetest.NewServer()
	defer fake.Close()
	var ids []string
	for i := 0; i < 3; i++ {
		ids = append(ids, fake.AddEvent("invoice.paid", time.Now().Add(-time.Hour), nil).ID)
	}
	slack := newSlackRecorder(t)
	vars := slack.vars(filepath.Join(t.TempDir(), "alerts.db"))
	vars["STRIPE_API_KEY"], vars["STRIPE_API_BASE"] = fake.APIKey(), fake.URL

	env, _, _ := testEnv(vars)
	err := runWith(context.Background(), env, []string{"reconcile", "--since", "1d", "--dry-run"})
	if code := app.ExitCode(err, io.Discard); code != app.ExitGaps {
		t.Fatalf("dry run exit = %d (%v), want %d", code, err, app.ExitGaps)
	}
	if n := len(slack.texts()); n != 0 {
		t.Errorf("dry run posted %d messages, want none", n)
	}

	env, _, _ = testEnv(vars)
	if err := runWith(context.Background(), env, []string{"reconcile", "--since", "1d"}); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	texts := slack.texts()
	if len(texts) != 1 {
		t.Fatalf("reconcile posted %d messages, want 1: %q", len(texts), texts)
	}
	for _, id := range ids {
		if !strings.Contains(texts[0], id) {
			t.Errorf("alert does not name missing event %s: %q", id, texts[0])
		}
	}
}
