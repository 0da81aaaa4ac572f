package main

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
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
	want := demoFullSize
	if counts["stripe"] != want.stripe+1 || counts["github"] != want.github {
		t.Errorf("kept ledger holds %v, want stripe %d github %d", counts, want.stripe+1, want.github)
	}
	if backfilled == 0 {
		t.Error("kept ledger has no backfilled events")
	}
}

// TestDemoCatchesBrokenPipeline breaks the pipeline on purpose and checks
// that the closing checks fail the demo.
func TestDemoCatchesBrokenPipeline(t *testing.T) {
	tests := []struct {
		name string
		opts demoOptions
		want []string // failed checks the error must name
	}{
		{"no reconcile", demoOptions{skipReconcile: true},
			[]string{"exactly once", "reconcile found exactly the dropped events missing", "flagged exactly the forged event"}},
		{"downstream processes some events twice", demoOptions{flaky: 3},
			[]string{"exactly once: 100 events, 3 twice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, stdout, stderr := testEnv(nil)
			ctx, cancel := context.WithTimeout(context.Background(), demoTimeout)
			defer cancel()
			// A smaller world: the checks are the same, the run is quicker.
			tt.opts.seed, tt.opts.size = 2, demoSize{stripe: 60, unsubscribed: 6, github: 40}
			err := demo(ctx, env, tt.opts)
			if err == nil {
				t.Fatalf("demo() = nil, want the checks to fail\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("demo() = %v, want a failed check containing %q", err, want)
				}
			}
			if !strings.Contains(stdout.String(), "[FAIL]") {
				t.Errorf("story does not show the failure:\n%s", stdout)
			}
			if exitCode(err, &bytes.Buffer{}) != exitError {
				t.Errorf("exit code = %d, want %d", exitCode(err, &bytes.Buffer{}), exitError)
			}
		})
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

func TestDemoPhaseBounds(t *testing.T) {
	tests := []struct {
		n    int
		want [][2]int
	}{
		{180, [][2]int{{0, 72}, {72, 126}, {126, 180}}},
		{140, [][2]int{{0, 56}, {56, 98}, {98, 140}}},
		{1, [][2]int{{0, 0}, {0, 0}, {0, 1}}},
	}
	for _, tt := range tests {
		for i, want := range tt.want {
			from, to := demoPhaseBounds(tt.n, i)
			if from != want[0] || to != want[1] {
				t.Errorf("demoPhaseBounds(%d, %d) = %d, %d, want %d, %d", tt.n, i, from, to, want[0], want[1])
			}
		}
	}
}

func TestDemoStripeMixIsSeeded(t *testing.T) {
	mix := func(seed uint64) []string { return demoStripeMix(rand.New(rand.NewPCG(seed, seed)), 50) }
	if a, b := mix(7), mix(7); !slices.Equal(a, b) {
		t.Errorf("demoStripeMix with one seed differs:\n%v\n%v", a, b)
	}
	if a, b := mix(7), mix(8); slices.Equal(a, b) {
		t.Error("demoStripeMix with two seeds is the same")
	}
	subscribed := map[string]bool{}
	for _, st := range demoStripeTypes {
		subscribed[st.typ] = true
	}
	for _, typ := range mix(1) {
		if !subscribed[typ] {
			t.Errorf("demoStripeMix gave %q, not a subscribed type", typ)
		}
	}
}

func TestDemoLogFilter(t *testing.T) {
	var buf bytes.Buffer
	log := newDemoLogger(&buf, false, app.LogConfig{})
	log.With("component", "alerts").Warn("alert", "text", "retold by the story")
	log.With("component", "processor").Warn("attempt failed, will retry")
	log.With("component", "alerts").Warn("alert delivery failed", "error", "slack down")
	log.With("component", "receiver").Info("request")
	log.Warn("alert")
	got := buf.String()
	for _, want := range []string{"alert delivery failed", `msg=alert`} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"retold by the story", "will retry", "request"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("log has %q:\n%s", unwanted, got)
		}
	}
	buf.Reset()
	newDemoLogger(&buf, true, app.LogConfig{}).With("component", "alerts").Info("alert")
	if !strings.Contains(buf.String(), "msg=alert") {
		t.Errorf("verbose log dropped an alert record: %q", buf.String())
	}
}
