package metrics

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
)

func TestMetricsScrape(t *testing.T) {
	ctx := context.Background()
	db := ledgertest.OpenSQLiteWith(t, ledger.Options{Now: func() time.Time { return time.Now().Add(-time.Minute) }})
	ev := &ledger.Event{Source: "stripe", EventID: "evt_1", Payload: []byte(`{}`), CreatedAt: time.Now()}
	if _, err := db.Record(ctx, ev, nil); err != nil {
		t.Fatal(err)
	}
	m := New(prometheus.NewRegistry(), db)
	m.SetBuild("v1.2.3", "0123456789ab")
	m.Received("stripe", false)
	m.Received("stripe", true)
	m.Rejected("github", "bad_signature")
	m.ObserveReconcile(Reconciled{Source: "stripe", Outcome: "gaps", Missing: 3, Backfilled: 2, StillMissing: 1, Unknown: 1})
	m.ObserveAttempt("stripe", ledger.AttemptProcessed, 3*time.Millisecond)
	m.ObserveAttempt("stripe", ledger.AttemptRetry, time.Millisecond)
	m.ObserveAttempt("stripe", ledger.AttemptDead, time.Millisecond)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`hookledger_webhooks_received_total{outcome="new",source="stripe"} 1`,
		`hookledger_webhooks_received_total{outcome="duplicate",source="stripe"} 1`,
		`hookledger_webhooks_rejected_total{reason="bad_signature",source="github"} 1`,
		`hookledger_events_processed_total{source="stripe"} 1`,
		`hookledger_events_retried_total{source="stripe"} 1`,
		`hookledger_events_dead_total{source="stripe"} 1`,
		`hookledger_handler_duration_seconds_count{outcome="processed",source="stripe"} 1`,
		`hookledger_queue_depth{source="stripe",state="pending"} 1`,
		`hookledger_queue_depth{source="stripe",state="dead"} 0`,
		`hookledger_queue_scrape_error 0`,
		`hookledger_reconcile_runs_total{outcome="gaps",source="stripe"} 1`,
		`hookledger_reconcile_missing_events_total{source="stripe"} 3`,
		`hookledger_reconcile_backfilled_events_total{source="stripe"} 2`,
		`hookledger_reconcile_still_missing_events_total{source="stripe"} 1`,
		`hookledger_reconcile_unknown_events_total{source="stripe"} 1`,
		`hookledger_alert_outbox_messages 0`,
		`hookledger_alert_outbox_oldest_age_seconds 0`,
		`hookledger_build_info{commit="0123456789ab",goversion=`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if strings.Contains(string(body), `state="processed"`) {
		t.Errorf("queue depth counts processed events (recomputed from every row):\n%s", grep(string(body), "queue_depth"))
	}
	if !strings.Contains(string(body), `hookledger_oldest_pending_age_seconds{source="stripe"} 6`) {
		t.Errorf("oldest pending age is not about 60s:\n%s", grep(string(body), "oldest"))
	}
}

func TestNilMetricsIsSafe(t *testing.T) {
	var m *Metrics
	m.Received("s", true)
	m.ObserveReconcile(Reconciled{Source: "s"})
	m.Rejected("s", "r")
	m.ObserveAttempt("s", ledger.AttemptProcessed, time.Second)
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
