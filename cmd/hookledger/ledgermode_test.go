package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
)

// withoutHandler returns vars less the handler settings, as an operator's
// shell or a cron line without the service's environment has them.
func withoutHandler(vars map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range vars {
		if k != "HOOKLEDGER_FORWARD_URL" && k != "HOOKLEDGER_EXEC" && k != "HOOKLEDGER_FORWARD_SECRET" {
			out[k] = v
		}
	}
	return out
}

// TestBackfillWithoutHandlerWaitsForProcessor is issue 10's defect 1 as the
// reviewer ran it: `reconcile` from a shell with the provider key but no
// handler. The backfilled events must stay pending (not processed with no
// attempt), the command must say who delivers them, and a later `process`
// with the handler delivers every event of the ledger exactly once.
func TestBackfillWithoutHandlerWaitsForProcessor(t *testing.T) {
	w := newReconcileWorld(t, 200, 0)
	if len(w.stripeDropped) == 0 {
		t.Fatal("the world dropped no event; the test would prove nothing")
	}
	shell := withoutHandler(w.vars)
	env, stdout, stderr := testEnv(shell)
	err := runWith(context.Background(), env, []string{"reconcile", "--since", "7d"})
	if code := app.ExitCode(err, io.Discard); code != app.ExitOK {
		t.Fatalf("reconcile exit = %d (%v), want 0\n%s\n%s", code, err, stdout, stderr)
	}
	if !strings.Contains(stderr.String(), "pending") || !strings.Contains(stderr.String(), "hookledger process") {
		t.Errorf("reconcile without a handler does not say the backfill waits for serve/process:\n%s", stderr)
	}

	db, err := ledger.Open(context.Background(), w.dsn)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range w.stripeDropped {
		ev, err := db.Event(context.Background(), "stripe", id)
		if err != nil {
			t.Fatalf("backfilled %s: %v", id, err)
		}
		if ev.State != ledger.StatePending || ev.Attempts != 0 {
			t.Errorf("backfilled %s is %s after %d attempts; want pending with no attempt", id, ev.State, ev.Attempts)
		}
	}
	db.Close()
	if n := len(w.down.snapshot()); n != 0 {
		t.Fatalf("the app received %d events before any processor ran", n)
	}

	env, stdout, stderr = testEnv(w.vars)
	if err := runWith(context.Background(), env, []string{"process"}); err != nil {
		t.Fatalf("process = %v\n%s\n%s", err, stdout, stderr)
	}
	w.down.checkEachOnce(t, 200+len(w.stripeForged))
}
