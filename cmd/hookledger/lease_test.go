package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/ledger"
)

// checkSlowDownstream runs `process` over n events against a downstream
// that answers 200 after delay, and checks what a healthy downstream must
// get: every event delivered exactly once, processed after one attempt,
// none dead, no lease taken for a dead worker's. It runs on each ledger
// backend (eachLedger).
func checkSlowDownstream(t *testing.T, n int, delay time.Duration, settings map[string]string) {
	t.Helper()
	eachLedger(t, func(t *testing.T, dsn string) { checkSlowDownstreamOn(t, dsn, n, delay, settings) })
}

// checkSlowDownstreamOn is checkSlowDownstream on the ledger dsn names.
func checkSlowDownstreamOn(t *testing.T, dsn string, n int, delay time.Duration, settings map[string]string) {
	w := newProcessWorldOn(t, dsn, n)
	down := newSlowApp(t, delay)
	vars := maps.Clone(settings)
	vars["HOOKLEDGER_FORWARD_URL"] = down.srv.URL
	out, err := w.run(t, vars, "process")
	if err != nil {
		t.Fatalf("process = %q, %v", out, err)
	}
	if want := fmt.Sprintf("processed %d, retry scheduled 0, dead 0", n); !strings.HasPrefix(out, want) {
		t.Errorf("process = %q, want it to start %q", out, want)
	}
	down.checkEachOnce(t, n)
	db := openTestLedger(t, w.dsn)
	for i := range n {
		ev, err := db.Event(context.Background(), "stripe", fmt.Sprintf("evt_%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if ev.State != ledger.StateProcessed || ev.Attempts != 1 || ev.LastError != "" {
			t.Errorf("%s: %s after %d attempts (%q), want processed after 1", ev.EventID, ev.State, ev.Attempts, ev.LastError)
		}
	}
}

// One worker and a downstream slower than lease/events: the events claimed
// ahead of the worker wait longer than the lease. Issue 10, defect 2: 40
// events at 5 s gave 52 deliveries and "lease expired" on events nobody
// had started.
func TestSlowDownstreamOneWorkerDeliversEachOnce(t *testing.T) {
	checkSlowDownstream(t, 12, 300*time.Millisecond, map[string]string{"HOOKLEDGER_WORKERS": "1",
		"HOOKLEDGER_LEASE": "1s", "HOOKLEDGER_HANDLER_TIMEOUT": "700ms"})
}

// Two workers, a handler timeout close to the lease and a downstream that
// answers well inside the timeout. Issue 10, defect 2: 9 of 20 events went
// dead although the app had received all 20.
func TestSlowDownstreamShortLeaseNoneDead(t *testing.T) {
	checkSlowDownstream(t, 12, 400*time.Millisecond, map[string]string{"HOOKLEDGER_WORKERS": "2",
		"HOOKLEDGER_LEASE": "1s", "HOOKLEDGER_HANDLER_TIMEOUT": "600ms", "HOOKLEDGER_MAX_ATTEMPTS": "4"})
}

func TestHandlerTimeoutMustFitInLease(t *testing.T) {
	for _, tc := range []struct{ timeout, lease, wantErr string }{
		{"2s", "3s", ""},
		{"3s", "3s", "HOOKLEDGER_HANDLER_TIMEOUT (3s) must be shorter than HOOKLEDGER_LEASE (3s)"},
		{"5s", "3s", "HOOKLEDGER_HANDLER_TIMEOUT (5s) must be shorter than HOOKLEDGER_LEASE (3s)"},
		{"100ms", "500ms", "HOOKLEDGER_LEASE (500ms) must be at least 1s"},
	} {
		vars := map[string]string{"HOOKLEDGER_HANDLER_TIMEOUT": tc.timeout, "HOOKLEDGER_LEASE": tc.lease}
		_, err := app.LoadConfig(func(k string) string { return vars[k] })
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("loadConfig(timeout %s, lease %s) = %v, want nil", tc.timeout, tc.lease, err)
		case tc.wantErr != "" && (err == nil || err.Error() != "usage: "+tc.wantErr || app.ExitCode(err, io.Discard) != app.ExitUsage):
			t.Errorf("loadConfig(timeout %s, lease %s) = %v, want the usage error %q", tc.timeout, tc.lease, err, tc.wantErr)
		}
	}
}
