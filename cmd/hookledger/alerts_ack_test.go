package main

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hookledger/hookledger/ledger"
)

// TestForgedEventStaysFlaggedUntilAcked is issue 10's defect 8 on the
// demo's forged event: after the demo, `alerts list`, `status` and
// `events show` of the forged event still say the provider does not know
// it, until `alerts ack` records who looked; then both list the ack.
func TestForgedEventStaysFlaggedUntilAcked(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "demo.db")
	ctx, cancel := context.WithTimeout(context.Background(), demoTimeout)
	defer cancel()
	vars := map[string]string{"HOOKLEDGER_DB": dbPath, "USER": "alice"}
	run := func(args ...string) string {
		t.Helper()
		env, stdout, stderr := testEnv(vars)
		if err := runWith(ctx, env, args); err != nil {
			t.Fatalf("%v = %v\n%s\n%s", args, err, stdout, stderr)
		}
		return stdout.String()
	}
	run("demo", "--seed", "1", "--db", dbPath)

	db, err := ledger.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	open, err := db.Alerts(ctx, ledger.AlertFilter{Source: "stripe"})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	var forged ledger.Alert
	for _, a := range open {
		if a.Kind == "unknown" {
			forged = a
		}
	}
	if forged.ID == 0 || len(forged.Keys) != 1 {
		t.Fatalf("after the demo no open unknown alert names the forged event; open alerts: %+v", open)
	}
	id, evt := strconv.FormatInt(forged.ID, 10), forged.Keys[0]
	if out := run("alerts", "list"); !strings.Contains(out, "open until acknowledged: hookledger alerts ack "+id) {
		t.Errorf("alerts list does not show the open forgery alert:\n%s", out)
	}
	if out := run("status"); !strings.Contains(out, "#"+id+" [stripe:unknown]") {
		t.Errorf("status does not show the open forgery alert:\n%s", out)
	}
	if out := run("events", "show", "stripe", evt); !strings.Contains(out, "stripe's API does not know this event") {
		t.Errorf("events show of the forged event does not say the provider does not know it:\n%s", out)
	}

	if out := run("alerts", "ack", id); !strings.Contains(out, "by alice") {
		t.Errorf("alerts ack = %q, want it to name alice", out)
	}
	if out := run("alerts", "list", "--all"); !strings.Contains(out, "acknowledged by alice") {
		t.Errorf("alerts list --all does not show the ack:\n%s", out)
	}
	if out := run("status"); !strings.Contains(out, "acknowledged: #"+id) || strings.Contains(out, "#"+id+" [stripe:unknown]") {
		t.Errorf("status after the ack:\n%s\nwant the ack listed and the alert no longer open", out)
	}
	if out := run("events", "show", "stripe", evt); !strings.Contains(out, "acknowledged by alice") {
		t.Errorf("events show after the ack does not say who acknowledged it:\n%s", out)
	}
}
