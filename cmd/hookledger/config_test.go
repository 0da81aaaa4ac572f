package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// TestBadSettingExitsBeforeServing holds that serve validates every
// setting before it says it is serving: a bad value exits 2 with the
// setting's name, and serve never listens.
func TestBadSettingExitsBeforeServing(t *testing.T) {
	tests := []struct {
		name, value string
		extra       map[string]string
	}{
		{"HOOKLEDGER_SCHEDULE", "reconcile=@every nonsense", nil},
		{"HOOKLEDGER_SCHEDULE", "nightly=@daily", nil},
		{"HOOKLEDGER_SCHEDULE", "reconcile", nil},
		{"HOOKLEDGER_ADDR", "localhost", nil},
		{"HOOKLEDGER_ADDR", "127.0.0.1:99999", nil},
		{"HOOKLEDGER_WORKERS", "0", nil},
		{"HOOKLEDGER_RETRY_BASE", "soon", nil},
		{"HOOKLEDGER_FORWARD_URL", "localhost:3000/hooks", nil},
		{"HOOKLEDGER_FORWARD_SECRET", "whsec_!!!", map[string]string{"HOOKLEDGER_FORWARD_URL": "http://127.0.0.1:9/x"}},
		{"STRIPE_API_BASE", "ftp://api.example", nil},
		{"GITHUB_API_URL", "api.github.com", map[string]string{"GITHUB_TOKEN": "ghp_validate"}},
		{"GITHUB_HOOKS", "acme", map[string]string{"GITHUB_TOKEN": "ghp_validate"}},
		{"SLACK_API_URL", "slack", nil},
		{"SLACK_WEBHOOK_URL", "hooks.slack.com/services/T/B/X", nil},
		{"SLACK_BOT_TOKEN", "xoxb-no-channel", nil},
		{"HOOKLEDGER_LOG_LEVEL", "loud", nil},
	}
	for _, tt := range tests {
		vars := map[string]string{"HOOKLEDGER_DB": filepath.Join(t.TempDir(), "l.db"),
			"STRIPE_WEBHOOK_SECRET": "whsec_validate", tt.name: tt.value}
		for k, v := range tt.extra {
			vars[k] = v
		}
		env, _, stderr := testEnv(vars)
		listened := false
		env.Ready = func(string) { listened = true }
		// A serve that gets past validation stops after a while.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		args := []string{"serve", "--addr", "127.0.0.1:0"}
		if vars["HOOKLEDGER_ADDR"] != "" {
			args = args[:1]
		}
		err := runWith(ctx, env, args)
		cancel()
		code := app.ExitCode(err, stderr)
		if code != app.ExitUsage || !strings.Contains(stderr.String(), tt.name) {
			t.Errorf("%s=%q: exit %d, stderr %q; want 2 naming %s", tt.name, tt.value, code, stderr, tt.name)
		}
		if listened || strings.Contains(stderr.String(), "hookledger serving") {
			t.Errorf("%s=%q: serve started serving:\n%s", tt.name, tt.value, stderr)
		}
	}
}
