package main

import (
	"database/sql"
	"encoding/json"
	"strings"
	"testing"
)

// TestBulkReplayRecoversLedgerOnlyVictims is the recovery path for issue
// 10's defect 1 before the fix: events a handler-less shell marked
// processed with no attempt are found by `replay --state processed`,
// listed by a dry run that changes nothing, requeued in batches, and
// delivered once each by the next `process`.
func TestBulkReplayRecoversLedgerOnlyVictims(t *testing.T) {
	w := newProcessWorld(t, 7)
	conn, err := sql.Open("sqlite", "file:"+w.dsn)
	if err != nil {
		t.Fatal(err)
	}
	// As the old code left them: processed, 0 attempts; one of another type.
	execSQL(t, conn, `UPDATE events SET state = 'processed', processed_at = updated_at`)
	execSQL(t, conn, `UPDATE events SET type = 'customer.created' WHERE event_id = 'evt_6'`)
	conn.Close()

	filter := []string{"replay", "--source", "stripe", "--type", "invoice.paid", "--since", "1d", "--state", "processed",
		"--batch", "4", "--pace", "0"}
	out, err := w.run(t, nil, append(filter, "--dry-run")...)
	if err != nil || !strings.Contains(out, "would requeue stripe evt_0") || !strings.Contains(out, "would requeue 6 events") {
		t.Fatalf("replay --dry-run = %q, %v", out, err)
	}
	if st := w.state(t, "evt_0"); st != "processed" {
		t.Fatalf("after a dry run evt_0 is %s, want processed", st)
	}
	out, err = w.run(t, nil, append(filter, "--json")...)
	var doc struct {
		Events []replayJSON `json:"events"`
		Count  int          `json:"count"`
	}
	if err != nil || json.Unmarshal([]byte(out), &doc) != nil || doc.Count != 6 || len(doc.Events) != 6 {
		t.Fatalf("replay --json = %q, %v; want 6 events", out, err)
	}
	if st := w.state(t, "evt_6"); st != "processed" {
		t.Errorf("evt_6 of another type is %s, want left processed", st)
	}
	if w.hits.Load() != 0 {
		t.Fatalf("replay delivered %d requests itself; only the processor delivers", w.hits.Load())
	}
	if out, err := w.run(t, nil, "process"); err != nil || !strings.HasPrefix(out, "processed 6,") || w.hits.Load() != 6 {
		t.Errorf("process after the bulk replay = %q, %v, %d requests; want 6 delivered once", out, err, w.hits.Load())
	}
}

func TestBulkReplayUsage(t *testing.T) {
	w := newProcessWorld(t, 1)
	for _, args := range [][]string{
		{"replay", "--source", "stripe"},               // bulk without --since
		{"replay", "--since", "1d", "--state", "gone"}, // unknown state
		{"replay", "--dead", "--state", "processed"},   // contradiction
		{"replay", "stripe", "evt_0", "--since", "1d"}, // one event with filters
		{"replay", "--since", "1d", "--until", "2d"},   // empty window
	} {
		if _, err := w.run(t, nil, args...); err == nil || !strings.Contains(err.Error(), "usage") {
			t.Errorf("%v = %v, want a usage error", args, err)
		}
	}
}

// TestInitChoosesTheLedgerMode: init records the mode, replay refuses a
// ledger-only ledger (nothing would deliver), and switching back says how
// to deliver what ledger-only recorded.
func TestInitChoosesTheLedgerMode(t *testing.T) {
	w := newProcessWorld(t, 0)
	if out, err := w.run(t, nil, "init", "--ledger-only"); err != nil || !strings.Contains(out, "mode ledger-only") {
		t.Fatalf("init --ledger-only = %q, %v", out, err)
	}
	if out, err := w.run(t, nil, "init"); err != nil || !strings.Contains(out, "mode ledger-only") {
		t.Errorf("init with no flag on a ledger-only ledger = %q, %v; want it unchanged", out, err)
	}
	if _, err := w.run(t, nil, "replay", "--since", "1d"); err == nil || !strings.Contains(err.Error(), "ledger-only") {
		t.Errorf("replay on a ledger-only ledger = %v, want a refusal", err)
	}
	if _, err := w.run(t, nil, "process"); err == nil || !strings.Contains(err.Error(), "ledger-only") {
		t.Errorf("process with a handler on a ledger-only ledger = %v, want a refusal", err)
	}
	out, err := w.run(t, nil, "init", "--deliver")
	if err != nil || !strings.Contains(out, "mode deliver") || !strings.Contains(out, "replay --state processed") {
		t.Errorf("init --deliver = %q, %v", out, err)
	}
}
