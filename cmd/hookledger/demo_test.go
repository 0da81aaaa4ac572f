package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/cmd/hookledger/internal/demo"
	"github.com/hookledger/hookledger/ledger"
)

// demoTimeout bounds a whole demo run in a test (it takes seconds).
const demoTimeout = 2 * time.Minute

func TestDemo(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "demo.db")
	env, stdout, stderr := testEnv(nil)
	ctx, cancel := context.WithTimeout(context.Background(), demoTimeout)
	defer cancel()
	if err := runWith(ctx, env, []string{"demo", "--seed", "3", "--db", dbPath}); err != nil {
		t.Fatalf("demo = %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	story := stdout.String()
	for _, want := range []string{
		"1. Webhooks arrive",
		"never arrived (endpoint unreachable)",
		"duplicates answered 2xx and stored once",
		"2. The downstream app goes down",
		"events retried and recovered",
		"3. Reconcile",
		"not counted as gaps: 24 Stripe events",
		"4. A forged event",
		"flagged unknown (1: evt_",
		"5. The alerts",
		"security signal",
		"6. The closing check",
		"[ok  ] the downstream processed every real event exactly once",
		"hookledger events list --db " + dbPath,
		"hookledger status --db " + dbPath,
		"hookledger reconcile --since 1h --dry-run --db " + dbPath,
	} {
		if !strings.Contains(story, want) {
			t.Errorf("story lacks %q:\n%s", want, story)
		}
	}
	if strings.Contains(story, "[FAIL]") {
		t.Errorf("story has a failed check:\n%s", story)
	}
	// The gap signals beyond the diff raise no false alarm in the demo:
	// its endpoints stay enabled, its drops are outages, not a proxy.
	for _, alarm := range []string{"has sent nothing", "says endpoint", "sends to `", "failed in front of hookledger", "HOOKLEDGER_PROCESSED_MIN"} {
		if strings.Contains(story, alarm) {
			t.Errorf("story raises a gap-signal alert (%q):\n%s", alarm, story)
		}
	}
	checkKeptLedger(t, dbPath)
}

// checkKeptLedger opens the ledger the demo kept and checks it holds both
// sources' events, every one processed, some backfilled by reconcile.
func checkKeptLedger(t *testing.T, path string) {
	t.Helper()
	db, err := ledger.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open kept ledger: %v", err)
	}
	defer db.Close()
	counts := map[string]int{}
	backfilled := 0
	for ev, err := range db.Events(context.Background(), ledger.EventFilter{}) {
		if err != nil {
			t.Fatalf("Events() error = %v", err)
		}
		counts[ev.Source]++
		if ev.State != ledger.StateProcessed {
			t.Errorf("%s %s state = %s, want processed", ev.Source, ev.EventID, ev.State)
		}
		if ev.Origin == ledger.OriginReconcile {
			backfilled++
		}
	}
	// The subscribed Stripe events plus the forged one; every GitHub delivery.
	want := demo.FullSize
	if counts["stripe"] != want.Stripe+1 || counts["github"] != want.GitHub {
		t.Errorf("kept ledger holds %v, want stripe %d github %d", counts, want.Stripe+1, want.GitHub)
	}
	if backfilled == 0 {
		t.Error("kept ledger has no backfilled events")
	}
}

func TestDemoFlags(t *testing.T) {
	existing := filepath.Join(t.TempDir(), "old.db")
	if err := os.WriteFile(existing, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
	}{
		{"existing ledger", []string{"--db", existing}},
		{"stray argument", []string{"now"}},
		{"bad seed", []string{"--seed", "-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _, _ := testEnv(nil)
			if _, err := parseDemoFlags(env, tt.args); !errors.Is(err, app.ErrUsage) {
				t.Errorf("parseDemoFlags(%q) = %v, want a usage error", tt.args, err)
			}
		})
	}
}
