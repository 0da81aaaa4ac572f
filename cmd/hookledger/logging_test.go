package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
)

// TestLogFormatAndLevel holds that serve logs JSON, one object a line,
// when --log-format or HOOKLEDGER_LOG_FORMAT says json, at the level
// --log-level or HOOKLEDGER_LOG_LEVEL names.
func TestLogFormatAndLevel(t *testing.T) {
	tests := []struct {
		name     string
		vars     map[string]string
		args     []string
		wantInfo bool
	}{
		{"flags", nil, []string{"--log-format", "json", "--log-level", "debug"}, true},
		{"environment", map[string]string{"HOOKLEDGER_LOG_FORMAT": "json", "HOOKLEDGER_LOG_LEVEL": "warn"}, nil, false},
		{"flag over environment", map[string]string{"HOOKLEDGER_LOG_FORMAT": "text", "HOOKLEDGER_LOG_LEVEL": "error"},
			[]string{"--log-format=json", "--log-level=info"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"HOOKLEDGER_DB": filepath.Join(t.TempDir(), "l.db"),
				"STRIPE_WEBHOOK_SECRET": "whsec_logformat", "HOOKLEDGER_SCHEDULE": "off"}
			for k, v := range tt.vars {
				vars[k] = v
			}
			_, stderr := startServeInProcess(t, vars, append([]string{"--ledger-only"}, tt.args...)...)
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			serving := false
			for _, line := range lines {
				if line == "" {
					continue // nothing logged at this level
				}
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatalf("log line is not JSON (%v): %s", err, line)
				}
				serving = serving || rec["msg"] == "hookledger serving"
			}
			if serving != tt.wantInfo {
				t.Errorf("info record logged = %v, want %v:\n%s", serving, tt.wantInfo, stderr)
			}
		})
	}
}

// TestBadLogSettingIsUsageError holds that a bad log format or level exits
// 2 naming the flag or variable it came from.
func TestBadLogSettingIsUsageError(t *testing.T) {
	tests := []struct {
		vars map[string]string
		args []string
		want string
	}{
		{nil, []string{"serve", "--log-format", "xml"}, "--log-format"},
		{map[string]string{"HOOKLEDGER_LOG_FORMAT": "xml"}, []string{"cron"}, "HOOKLEDGER_LOG_FORMAT"},
		{map[string]string{"HOOKLEDGER_LOG_LEVEL": "loud"}, []string{"reconcile"}, "HOOKLEDGER_LOG_LEVEL"},
		{nil, []string{"demo", "--log-level", "loud"}, "--log-level"},
		{nil, []string{"process", "--log-level", "verbose"}, "--log-level"},
		{nil, []string{"alerts", "flush", "--log-format", "yaml"}, "--log-format"},
	}
	for _, tt := range tests {
		env, _, stderr := testEnv(tt.vars)
		// A command that took the bad value would run on: bound it.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := runWith(ctx, env, tt.args)
		cancel()
		if code := app.ExitCode(err, stderr); code != app.ExitUsage || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%v %v: exit %d, stderr %q; want 2 naming %s", tt.vars, tt.args, code, stderr, tt.want)
		}
	}
}
