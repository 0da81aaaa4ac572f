package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
)

// agedLedger writes a ledger whose events were received age ago: one
// processed, one dead, each with a receipt.
func agedLedger(t *testing.T, age time.Duration) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	then := time.Now().Add(-age)
	db, err := ledger.OpenWith(ctx, path, ledger.Options{Now: func() time.Time { return then }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, id := range []string{"evt_done", "evt_dead"} {
		ev := &ledger.Event{Source: "stripe", EventID: id, Type: "invoice.paid", Payload: []byte(`{"id":"` + id + `"}`), CreatedAt: then}
		if _, err := db.Record(ctx, ev, &ledger.Receipt{Status: 200}); err != nil {
			t.Fatal(err)
		}
	}
	claims, err := db.Claim(ctx, ledger.ClaimOptions{Owner: "t", Limit: 10, Lease: time.Hour})
	if err != nil || len(claims) != 2 {
		t.Fatalf("Claim() = %d, %v", len(claims), err)
	}
	var results []*ledger.AttemptResult
	for _, c := range claims {
		o := ledger.AttemptProcessed
		if c.Event.EventID == "evt_dead" {
			o = ledger.AttemptDead
		}
		results = append(results, &ledger.AttemptResult{Claim: c, Outcome: o, Started: then, Error: map[bool]string{true: "gone"}[o == ledger.AttemptDead]})
	}
	if err := db.Settle(ctx, results); err != nil {
		t.Fatal(err)
	}
	return path
}

func runCmd(t *testing.T, vars map[string]string, args ...string) (string, string, error) {
	t.Helper()
	env, stdout, stderr := testEnv(vars)
	err := runWith(context.Background(), env, args)
	return stdout.String(), stderr.String(), err
}

func TestRetentionShorterThanProviderWindowIsRefused(t *testing.T) {
	path := agedLedger(t, time.Hour)
	for _, tc := range []struct {
		name string
		vars map[string]string
		ok   bool
	}{
		{"stripe lists 30 days", map[string]string{"STRIPE_WEBHOOK_SECRET": "whsec_x", "HOOKLEDGER_RETENTION_EVENTS": "30d"}, false},
		{"stripe, a day more", map[string]string{"STRIPE_WEBHOOK_SECRET": "whsec_x", "HOOKLEDGER_RETENTION_EVENTS": "31d"}, true},
		{"github lists 3 days", map[string]string{"GITHUB_WEBHOOK_SECRET": "s", "HOOKLEDGER_RETENTION_EVENTS": "3d"}, false},
		{"github alone, a week", map[string]string{"GITHUB_WEBHOOK_SECRET": "s", "HOOKLEDGER_RETENTION_EVENTS": "7d"}, true},
		{"off keeps everything", map[string]string{"STRIPE_WEBHOOK_SECRET": "whsec_x", "HOOKLEDGER_RETENTION_EVENTS": "off"}, true},
		{"paddle lists 90 days", map[string]string{"PADDLE_WEBHOOK_SECRET": "pdl_x", "PADDLE_API_KEY": "k",
			"PADDLE_NOTIFICATION_SETTING_ID": "ntfset_x", "HOOKLEDGER_RETENTION_EVENTS": "90d"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.vars["HOOKLEDGER_DB"] = path
			_, stderr, err := runCmd(t, tc.vars, "prune", "--dry-run")
			code := app.ExitCode(err, &strings.Builder{})
			if tc.ok && err != nil {
				t.Fatalf("prune: %v\n%s", err, stderr)
			}
			if !tc.ok && (code != app.ExitUsage || !strings.Contains(err.Error(), "HOOKLEDGER_RETENTION_EVENTS")) {
				t.Fatalf("prune error = %v (exit %d), want exit 2 naming HOOKLEDGER_RETENTION_EVENTS", err, code)
			}
		})
	}
	// Unset, the default rises to what the providers list: Paddle keeps
	// 90 days, as long as the 90d default, so the overlap is added.
	out, _, err := runCmd(t, map[string]string{"HOOKLEDGER_DB": path, "PADDLE_WEBHOOK_SECRET": "pdl_x", "PADDLE_API_KEY": "k",
		"PADDLE_NOTIFICATION_SETTING_ID": "ntfset_x"}, "prune", "--dry-run", "--json")
	var dry pruneJSON
	if err != nil || json.Unmarshal([]byte(out), &dry) != nil || dry.Retention["events"] != "90d1h" {
		t.Errorf("prune with Paddle and no event retention = %s, %v; want events kept 90d1h", out, err)
	}
	// serve refuses it before it starts.
	vars := map[string]string{"HOOKLEDGER_DB": path, "STRIPE_WEBHOOK_SECRET": "whsec_x", "HOOKLEDGER_RETENTION_EVENTS": "7d", "HOOKLEDGER_ADDR": "127.0.0.1:0"}
	if _, _, err := runCmd(t, vars, "serve"); !errors.Is(err, app.ErrUsage) {
		t.Errorf("serve with a 7d event retention: %v, want a usage error", err)
	}
}

func TestPruneCommandAndEventsShowPrunedPayload(t *testing.T) {
	path := agedLedger(t, 40*24*time.Hour)
	vars := map[string]string{"HOOKLEDGER_DB": path}
	out, _, err := runCmd(t, vars, "prune", "--dry-run", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var dry pruneJSON
	if err := json.Unmarshal([]byte(out), &dry); err != nil || !dry.DryRun || dry.Payloads != 1 || dry.Events != 0 {
		t.Fatalf("prune --dry-run --json = %s (%v), want 1 payload, 0 events", out, err)
	}
	if dry.Retention["payloads"] != "30d" || dry.Retention["events"] != "90d" || dry.Retention["receipts"] != "7d" {
		t.Errorf("default retention = %v, want payloads 30d, events 90d, receipts 7d", dry.Retention)
	}
	out, _, err = runCmd(t, vars, "prune")
	if err != nil || !strings.Contains(out, "payloads        1") {
		t.Fatalf("prune = %q, %v; want one payload pruned", out, err)
	}
	out, _, err = runCmd(t, vars, "events", "show", "stripe", "evt_done", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &ev); err != nil || ev["payload_pruned_at"] == nil || ev["payload"] != nil {
		t.Errorf("events show --json of a pruned event = %s, want payload_pruned_at and no payload", out)
	}
	out, _, err = runCmd(t, vars, "events", "show", "stripe", "evt_done")
	if err != nil || !strings.Contains(out, "payload:     pruned 20") {
		t.Errorf("events show = %q, %v; want it to say the payload was pruned and when", out, err)
	}
	out, _, err = runCmd(t, vars, "events", "show", "stripe", "evt_dead", "--json")
	if err != nil || !strings.Contains(out, `"payload": {`) {
		t.Errorf("the dead event lost its payload: %s %v", out, err)
	}
	vars["HOOKLEDGER_FORWARD_URL"] = "http://127.0.0.1:9/"
	if _, _, err := runCmd(t, vars, "replay", "stripe", "evt_done"); err == nil || !strings.Contains(err.Error(), "pruned") {
		t.Errorf("replay of a pruned event: %v, want an error saying the payload was pruned", err)
	}
}

func TestEventsPurgeDeletesDeadOnlyWithYes(t *testing.T) {
	path := agedLedger(t, time.Hour)
	vars := map[string]string{"HOOKLEDGER_DB": path}
	if _, _, err := runCmd(t, vars, "events", "purge", "--state", "failed"); !errors.Is(err, app.ErrUsage) {
		t.Errorf("purge --state failed: %v, want a usage error", err)
	}
	out, _, err := runCmd(t, vars, "events", "purge", "--state", "dead")
	if !errors.Is(err, app.ErrUsage) || !strings.Contains(err.Error(), "--yes") || !strings.Contains(out, "events          1") {
		t.Fatalf("purge without --yes = %q, %v; want the count and a usage error asking for --yes", out, err)
	}
	if out, _, err = runCmd(t, vars, "events", "purge", "--state", "dead", "--before", "2h", "--yes"); err != nil || !strings.Contains(out, "events          0") {
		t.Fatalf("purge --before 2h = %q, %v; want nothing purged (the event is an hour old)", out, err)
	}
	out, _, err = runCmd(t, vars, "events", "purge", "--state", "dead", "--yes", "--json")
	var rep pruneJSON
	if err != nil || json.Unmarshal([]byte(out), &rep) != nil || rep.Events != 1 || rep.Receipts != 1 || rep.Attempts != 1 {
		t.Fatalf("purge --yes --json = %s, %v; want 1 event, 1 receipt, 1 attempt", out, err)
	}
	if _, _, err := runCmd(t, vars, "events", "show", "stripe", "evt_dead"); err == nil {
		t.Error("the purged event is still shown")
	}
	if _, _, err := runCmd(t, vars, "events", "show", "stripe", "evt_done"); err != nil {
		t.Errorf("purge took the processed event: %v", err)
	}
}

func TestBackupAndVacuumCommands(t *testing.T) {
	path := agedLedger(t, time.Hour)
	vars := map[string]string{"HOOKLEDGER_DB": path}
	out := filepath.Join(t.TempDir(), "copy.db")
	if stdout, _, err := runCmd(t, vars, "backup", out); err != nil || !strings.Contains(stdout, "backed up") {
		t.Fatalf("backup = %q, %v", stdout, err)
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, %v; want mode 0600", st, err)
	}
	if stdout, _, err := runCmd(t, map[string]string{"HOOKLEDGER_DB": out}, "events", "list"); err != nil || !strings.Contains(stdout, "2 events") {
		t.Errorf("events list of the backup = %q, %v; want both events", stdout, err)
	}
	if _, _, err := runCmd(t, vars, "backup", out); err == nil {
		t.Error("backup over an existing file succeeded")
	}
	db, err := ledger.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCmd(t, vars, "vacuum"); !errors.Is(err, ledger.ErrInUse) {
		t.Errorf("vacuum while the ledger is open: %v, want ErrInUse", err)
	}
	db.Close()
	if stdout, _, err := runCmd(t, vars, "vacuum"); err != nil || !strings.Contains(stdout, "auto_vacuum=INCREMENTAL") {
		t.Errorf("vacuum = %q, %v", stdout, err)
	}
}

func TestFormatDaysParsesBack(t *testing.T) {
	for _, d := range []time.Duration{30 * 24 * time.Hour, 30*24*time.Hour + time.Hour, 90 * time.Minute, time.Hour, 3*24*time.Hour + 90*time.Minute} {
		s := app.FormatDays(d)
		got, err := app.ParseDuration(s)
		if err != nil || got != d || strings.HasSuffix(s, "0s") {
			t.Errorf("formatDays(%v) = %q, which parses to %v, %v", d, s, got, err)
		}
	}
}
