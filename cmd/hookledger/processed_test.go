package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookledger/hookledger/cmd/hookledger/internal/app"
	"github.com/hookledger/hookledger/reconcile"
	"github.com/hookledger/hookledger/sources/stripe/stripetest"
)

// TestExpectedVersusProcessedAlertsOneType protects the expected-versus-
// processed signal end to end: a downstream that rejects 5% of one event
// type trips HOOKLEDGER_PROCESSED_MIN for that type alone, once its events
// had their processing grace (not on the run that just backfilled them);
// with a healthy downstream the same runs raise nothing but the recovery
// notice. reconcile --json and status --json carry the per-type table.
func TestExpectedVersusProcessedAlertsOneType(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reject int // invoice.paid events the downstream rejects
	}{{"healthy", 0}, {"five percent of invoice.paid dead", 5}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // most of a case is waiting out the processing grace
			eachLedger(t, func(t *testing.T, dsn string) { checkExpectedVersusProcessed(t, dsn, tc.reject) })
		})
	}
}

// checkExpectedVersusProcessed is one case of
// TestExpectedVersusProcessedAlertsOneType on the ledger dsn names: the
// downstream rejects reject invoice.paid events.
func checkExpectedVersusProcessed(t *testing.T, dsn string, reject int) {
	fake := stripetest.NewServer()
	defer fake.Close()
	created := time.Now().Add(-time.Hour)
	rejected := map[string]bool{}
	for i := range 100 {
		ev := fake.AddEvent("invoice.paid", created.Add(time.Duration(i)*time.Second), nil)
		if i < reject {
			rejected[ev.ID] = true
		}
		fake.AddEvent("customer.created", created.Add(time.Duration(i)*time.Second), nil)
	}
	down := newRejectingApp(t, rejected)
	slack := newSlackRecorder(t)
	vars := slack.vars(dsn)
	vars["STRIPE_API_KEY"], vars["STRIPE_API_BASE"] = fake.APIKey(), fake.URL
	vars["HOOKLEDGER_FORWARD_URL"], vars["HOOKLEDGER_PROCESSING_GRACE"] = down.URL, "4s"

	first := reconcileJSON(t, vars)
	processOnce(t, vars) // reconcile queues; the processor delivers
	if first.Backfilled != 200 || len(first.ByType) != 2 || first.ByType[0].Judged != 0 {
		t.Fatalf("first run: backfilled %d, by_type %+v; want 200 backfilled, none judged yet", first.Backfilled, first.ByType)
	}
	time.Sleep(4100 * time.Millisecond) // the processing grace passes
	second := reconcileJSON(t, vars)
	processOnce(t, vars)
	want := []reconcile.TypeCount{
		{Type: "customer.created", Expected: 100, Processed: 100, Judged: 100, JudgedProcessed: 100},
		{Type: "invoice.paid", Expected: 100, Processed: 100 - reject, Dead: reject, Judged: 100, JudgedProcessed: 100 - reject},
	}
	for i := range want {
		if i >= len(second.ByType) || second.ByType[i] != want[i] {
			t.Errorf("second run by_type = %+v, want %+v", second.ByType, want)
			break
		}
	}
	texts := slack.texts()
	alerted := countContaining(texts, "HOOKLEDGER_PROCESSED_MIN")
	if reject == 0 && alerted != 0 || reject > 0 && alerted != 1 {
		t.Errorf("expected-versus-processed alerts = %d, want %d: %q", alerted, min(reject, 1), texts)
	}
	if reject > 0 && countContaining(texts, "invoice.paid: only 95 of 100 processed (95.0%)") != 1 {
		t.Errorf("no alert names the type and its share: %q", texts)
	}
	for _, text := range texts {
		if strings.Contains(text, "customer.created only") || strings.Contains(text, "customer.created: only") {
			t.Errorf("the healthy type was alerted: %q", text)
		}
	}
	st := statusJSONOf(t, vars)
	if lr := st.Sources["stripe"].LastReconcile; lr == nil || len(lr.ByType) != 2 || lr.ByType[1].Dead != reject {
		t.Errorf("status last_reconcile = %+v, want the second run's per-type table", lr)
	}
}

// newRejectingApp is a downstream answering 400 (permanent: the event is
// dead at once) for the events in reject, 200 for the rest.
func newRejectingApp(t *testing.T, reject map[string]bool) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		defer mu.Unlock()
		if reject[r.Header.Get("Idempotency-Key")] {
			http.Error(w, "cannot handle this one", http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// reconcileJSON runs `reconcile --since 1d --json` and returns stripe's report.
func reconcileJSON(t *testing.T, vars map[string]string) reconcile.Report {
	t.Helper()
	env, stdout, stderr := testEnv(vars)
	if err := runWith(context.Background(), env, []string{"reconcile", "--since", "1d", "--json"}); err != nil {
		t.Fatalf("reconcile: %v\n%s", err, stderr)
	}
	var out struct {
		Runs []reconcile.Report `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stdout.String()), &out); err != nil || len(out.Runs) != 1 {
		t.Fatalf("reconcile --json = %s (%v), want one run", stdout, err)
	}
	return out.Runs[0]
}

// processOnce runs `process`: the processor drains what reconcile queued.
func processOnce(t *testing.T, vars map[string]string) {
	t.Helper()
	env, _, stderr := testEnv(vars)
	if err := runWith(context.Background(), env, []string{"process"}); err != nil {
		t.Fatalf("process: %v\n%s", err, stderr)
	}
}

// statusJSONOf runs `status --json`.
func statusJSONOf(t *testing.T, vars map[string]string) app.StatusJSON {
	t.Helper()
	env, stdout, stderr := testEnv(vars)
	if err := runWith(context.Background(), env, []string{"status", "--json"}); err != nil {
		t.Fatalf("status: %v\n%s", err, stderr)
	}
	var st app.StatusJSON
	if err := json.Unmarshal([]byte(stdout.String()), &st); err != nil {
		t.Fatalf("status --json = %s: %v", stdout, err)
	}
	return st
}

// TestProcessedMinSettingValidated protects the start-up check of
// HOOKLEDGER_PROCESSED_MIN and HOOKLEDGER_PROCESSING_GRACE.
func TestProcessedMinSettingValidated(t *testing.T) {
	for _, tc := range []struct{ v, want string }{{"99", "HOOKLEDGER_PROCESSED_MIN"}, {"150%", "HOOKLEDGER_PROCESSED_MIN"},
		{"-1", "HOOKLEDGER_PROCESSED_MIN"}, {"most", "HOOKLEDGER_PROCESSED_MIN"}} {
		_, err := app.LoadConfig(func(k string) string { return map[string]string{"HOOKLEDGER_PROCESSED_MIN": tc.v}[k] })
		if code := app.ExitCode(err, io.Discard); code != app.ExitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("HOOKLEDGER_PROCESSED_MIN=%q: exit %d (%v), want %d naming it", tc.v, code, err, app.ExitUsage)
		}
	}
	for v, want := range map[string]float64{"": 0.99, "99.5%": 0.995, "0.9": 0.9, "off": -1} {
		cfg, err := app.LoadConfig(func(k string) string { return map[string]string{"HOOKLEDGER_PROCESSED_MIN": v}[k] })
		if err != nil || cfg.ProcessedMin != want {
			t.Errorf("HOOKLEDGER_PROCESSED_MIN=%q: %v, %v, want %v", v, cfg.ProcessedMin, err, want)
		}
	}
	_, err := app.LoadConfig(func(k string) string { return map[string]string{"HOOKLEDGER_PROCESSING_GRACE": "soon"}[k] })
	if code := app.ExitCode(err, io.Discard); code != app.ExitUsage || !strings.Contains(err.Error(), "HOOKLEDGER_PROCESSING_GRACE") {
		t.Errorf("HOOKLEDGER_PROCESSING_GRACE=soon: exit %d (%v), want %d naming it", code, err, app.ExitUsage)
	}
}
