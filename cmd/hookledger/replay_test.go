package main

import (
	"net/http"
	"strings"
	"testing"
)

func TestReplayDeadThenFixed(t *testing.T) {
	w := newProcessWorld(t, 2)
	w.status.Store(http.StatusInternalServerError)
	one := map[string]string{"HOOKLEDGER_MAX_ATTEMPTS": "1"}
	if out, err := w.run(t, one, "process"); err != nil || !strings.Contains(out, "dead 2") {
		t.Fatalf("process = %q, %v; want 2 dead", out, err)
	}
	out, err := w.run(t, nil, "replay", "--dead", "--dry-run")
	if err != nil || !strings.Contains(out, "would requeue stripe evt_0") || !strings.Contains(out, "would requeue 2 dead events") {
		t.Fatalf("replay --dead --dry-run = %q, %v", out, err)
	}
	if st := w.state(t, "evt_0"); st != "dead" {
		t.Fatalf("after dry run evt_0 is %s, want dead", st)
	}

	w.status.Store(http.StatusOK) // the downstream is fixed
	out, err = w.run(t, nil, "replay", "stripe", "evt_0")
	if err != nil || !strings.Contains(out, "requeued stripe evt_0") || !strings.Contains(out, "hookledger process") {
		t.Fatalf("replay stripe evt_0 = %q, %v", out, err)
	}
	// Replay only queues: the processor delivers, through its handler.
	if st := w.state(t, "evt_0"); st != "pending" {
		t.Errorf("after replay evt_0 is %s, want pending", st)
	}
	if out, err := w.run(t, nil, "process"); err != nil || !strings.HasPrefix(out, "processed 1,") {
		t.Fatalf("process after replay = %q, %v", out, err)
	}
	if st := w.state(t, "evt_0"); st != "processed" {
		t.Errorf("after replay and process evt_0 is %s, want processed", st)
	}
	out, err = w.run(t, nil, "replay", "--dead", "--source", "stripe", "--since", "1d")
	if err != nil || !strings.Contains(out, "requeued 1 dead events") {
		t.Fatalf("replay --dead = %q, %v", out, err)
	}
	if out, err := w.run(t, nil, "process"); err != nil || !strings.HasPrefix(out, "processed 1,") {
		t.Errorf("process after replay --dead = %q, %v", out, err)
	}
}

func TestReplayUsage(t *testing.T) {
	w := newProcessWorld(t, 0)
	for _, args := range [][]string{
		{"replay"},
		{"replay", "stripe"},
		{"replay", "--dead", "stripe", "evt_1"},
		{"replay", "--dead", "--since", "yesterday-ish"},
	} {
		if _, err := w.run(t, nil, args...); err == nil || !strings.Contains(err.Error(), "usage") {
			t.Errorf("%v = %v, want a usage error", args, err)
		}
	}
	if _, err := w.run(t, nil, "replay", "stripe", "evt_missing"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("replay of an unknown event = %v, want not found", err)
	}
}
