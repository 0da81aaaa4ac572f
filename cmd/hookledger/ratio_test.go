package main

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/hookledger/hookledger/alerts"
	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/reconcile"
)

// TestLargeBackfillRaisesNoFalseRatioAlarm is issue 10's defect 7: a
// large backfill used to open "only N% of the window's events processed",
// judged before the backfilled events had their chance. The ratio is
// judged only on events that have been in the ledger longer than the
// stuck threshold. It still fires when those are not processed.
func TestLargeBackfillRaisesNoFalseRatioAlarm(t *testing.T) {
	w := newReconcileWorld(t, 400, 0)
	conn, err := sql.Open("sqlite", "file:"+w.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Most of the window never arrived (the endpoint was down for days);
	// what did arrive was received two hours ago and is processed.
	execSQL(t, conn, `DELETE FROM events WHERE source = 'stripe' AND id % 4 != 0`)
	runProcessCmd(t, w.vars)
	execSQL(t, conn, `UPDATE events SET received_at = received_at - ?`, (2 * time.Hour).Milliseconds())

	shell := withoutHandler(w.vars)
	if code, reps := reconcileJSONWith(t, shell, "--since", "7d"); code != app.ExitOK || reps["stripe"].Backfilled < 250 {
		t.Fatalf("reconcile = exit %d, backfilled %d; want 0 and a large backfill", code, reps["stripe"].Backfilled)
	}
	if al := openRatioAlert(t, w.dsn); al != nil {
		t.Errorf("a fresh backfill raised the ratio alarm %q; its events had no time to be processed", al.Summary)
	}

	// Events that had their time and are still not processed do count.
	execSQL(t, conn, `UPDATE events SET state = 'pending', processed_at = 0 WHERE origin = 'webhook'`)
	if code, _ := reconcileJSONWith(t, shell, "--since", "7d"); code != app.ExitOK {
		t.Fatalf("second reconcile exit = %d", code)
	}
	if al := openRatioAlert(t, w.dsn); al == nil {
		t.Error("old unprocessed events raised no ratio alarm")
	}
}

// reconcileJSONWith is reconcileJSON under vars.
func reconcileJSONWith(t *testing.T, vars map[string]string, args ...string) (int, map[string]reconcile.Report) {
	t.Helper()
	w := &reconcileWorld{vars: vars}
	return w.reconcileJSON(t, args...)
}

// openRatioAlert returns the open ratio alert of the ledger at path, nil
// when there is none.
func openRatioAlert(t *testing.T, path string) *ledger.Alert {
	t.Helper()
	db, err := ledger.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	open, err := db.Alerts(context.Background(), ledger.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range open {
		if a.Kind == alerts.KindRatio {
			return &a
		}
	}
	return nil
}

func execSQL(t *testing.T, conn *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}
