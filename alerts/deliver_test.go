package alerts

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookledger/hookledger/ledger"
	"github.com/hookledger/hookledger/ledger/ledgertest"
)

func TestRateLimitDelaysDelivery(t *testing.T) {
	ctx := context.Background()
	f := newFakeSlack(t)
	clk := ledgertest.NewClock(testStart)
	db := ledgertest.OpenSQLite(t)
	a := newBotAlerter(t, db, f, clk)
	var calls atomic.Int32
	f.setFault(func() fault {
		if calls.Add(1) == 1 {
			return fault{status: http.StatusTooManyRequests, retryAfter: 30}
		}
		return fault{}
	})
	if err := a.Notify(ctx, gapReports()); err != nil {
		t.Fatal(err) // the alerts are queued: a 429 is not Notify's failure
	}
	if f.requestCount() != 1 || f.postCount() != 0 {
		t.Fatalf("requests %d posts %d, want one rate-limited request and nothing posted", f.requestCount(), f.postCount())
	}
	queued, err := db.AlertMessages(ctx, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(queued) != 2 {
		t.Fatalf("outbox = %d messages, want both waiting", len(queued))
	}
	first := queued[len(queued)-1]
	if !first.NextAttemptAt.Equal(testStart.Add(30*time.Second)) || !strings.Contains(first.LastError, "rate limit") {
		t.Errorf("first message next attempt %v error %q, want Retry-After 30s and the rate limit", first.NextAttemptAt, first.LastError)
	}
	clk.Add(10 * time.Second)
	if n, err := a.Deliver(ctx); n != 0 || err != nil || f.requestCount() != 1 {
		t.Fatalf("Deliver() inside Retry-After = %d, %v with %d requests; want nothing tried", n, err, f.requestCount())
	}
	clk.Add(21 * time.Second)
	if n, err := a.Deliver(ctx); n != 2 || err != nil {
		t.Fatalf("Deliver() after Retry-After = %d, %v; want 2", n, err)
	}
	if f.postCount() != 2 || !strings.Contains(f.post(0).Get("text"), "stripe") {
		t.Errorf("posts = %d, want both, stripe first", f.postCount())
	}
}

func TestSlackDownLosesNothing(t *testing.T) {
	ctx := context.Background()
	f := newFakeSlack(t)
	clk := ledgertest.NewClock(testStart)
	db := ledgertest.OpenSQLite(t)
	a := newBotAlerter(t, db, f, clk)
	var n atomic.Int32
	f.setFault(func() fault {
		if n.Add(1)%2 == 0 {
			return fault{hangup: true}
		}
		return fault{status: http.StatusInternalServerError}
	})
	// While Slack is down: a run with gaps, a failed job, then the gaps close.
	if err := a.Notify(ctx, gapReports()); err != nil {
		t.Fatal(err)
	}
	if err := a.JobDone(ctx, "reconcile", errors.New("list events: timeout")); err != nil {
		t.Fatal(err)
	}
	clk.Add(15 * time.Minute)
	if err := a.Notify(ctx, clearReports()); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		clk.Add(time.Hour)
		_, err := a.Deliver(ctx)
		var de *DeliveryError
		if !errors.As(err, &de) {
			t.Fatalf("Deliver() while down = %v, want a *DeliveryError", err)
		}
	}
	if f.postCount() != 0 {
		t.Fatalf("posts while down = %d, want 0", f.postCount())
	}
	queued, _ := db.AlertMessages(ctx, false, 0)
	if len(queued) != 5 {
		t.Fatalf("outbox = %d, want 5 (2 alerts, 1 job alert, 2 replies)", len(queued))
	}
	f.setFault(nil)
	clk.Add(time.Hour)
	if sent, err := a.Deliver(ctx); sent != 5 || err != nil {
		t.Fatalf("Deliver() after recovery = %d, %v; want 5", sent, err)
	}
	// Replies went into the threads of the alerts they resolve.
	threads := map[string]string{}
	for i := range f.postCount() {
		p := f.post(i)
		if ts := p.Get("thread_ts"); ts != "" {
			threads[ts] = p.Get("text")
		}
	}
	if len(threads) != 2 || threads[tsOf(0)] == "" || threads[tsOf(1)] == "" {
		t.Errorf("threaded replies = %v, want one under each of %s and %s", threads, tsOf(0), tsOf(1))
	}
	if left, _ := db.AlertMessages(ctx, false, 0); len(left) != 0 {
		t.Errorf("outbox after delivery = %d, want empty", len(left))
	}
}

func TestRunDeliversAndStops(t *testing.T) {
	f := newFakeSlack(t)
	clk := ledgertest.NewClock(testStart)
	a := newBotAlerter(t, ledgertest.OpenSQLite(t), f, clk)
	f.setFault(func() fault { return fault{status: http.StatusServiceUnavailable} })
	if err := a.Notify(context.Background(), gapReports()[:1]); err != nil {
		t.Fatal(err)
	}
	f.setFault(nil)
	clk.Add(time.Hour)
	a.cfg.FlushEvery = 10 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	for f.postCount() == 0 && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run() = %v, want nil after cancel", err)
	}
	if f.postCount() != 1 {
		t.Errorf("posts = %d, want the queued alert delivered by Run", f.postCount())
	}
}

func TestLogTransport(t *testing.T) {
	ctx := context.Background()
	var buf ledgertest.SyncBuffer
	db := ledgertest.OpenSQLite(t)
	a, err := New(db, Config{Logger: newTextLogger(&buf), Pace: -1, Now: (ledgertest.NewClock(testStart)).Now})
	if err != nil {
		t.Fatal(err)
	}
	if a.Transport() != "log" {
		t.Fatalf("Transport() = %q, want log", a.Transport())
	}
	if err := a.Notify(ctx, gapReports()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "evt_4") || !strings.Contains(buf.String(), "component=alerts") {
		t.Errorf("log = %s, want the alert text", buf.String())
	}
	sent, err := db.AlertMessages(ctx, true, 0)
	if err != nil || len(sent) != 2 || sent[0].SentAt.IsZero() || sent[0].Channel != "log" {
		t.Errorf("messages = %+v, %v; want 2 delivered to the log", sent, err)
	}
	// Two missing alerts and the unknown one, open until acknowledged.
	open, _ := db.Alerts(ctx, ledger.AlertFilter{})
	if len(open) != 3 {
		t.Errorf("open alerts = %d, want 3 listed", len(open))
	}
}

func TestBackoff(t *testing.T) {
	a := &Alerter{cfg: withDefaults(Config{RetryBase: time.Second, RetryMax: 10 * time.Second})}
	for _, tc := range []struct {
		attempts int
		want     time.Duration
	}{{0, time.Second}, {1, 2 * time.Second}, {3, 8 * time.Second}, {4, 10 * time.Second}, {60, 10 * time.Second}} {
		if got := a.backoff(tc.attempts); got != tc.want {
			t.Errorf("backoff(%d) = %v, want %v", tc.attempts, got, tc.want)
		}
	}
}

func TestFlushIgnoresNextAttempt(t *testing.T) {
	ctx := context.Background()
	f := newFakeSlack(t)
	clk := ledgertest.NewClock(testStart)
	a := newBotAlerter(t, ledgertest.OpenSQLite(t), f, clk)
	f.setFault(func() fault { return fault{status: http.StatusBadGateway} })
	if err := a.Notify(ctx, gapReports()[:1]); err != nil {
		t.Fatal(err)
	}
	f.setFault(nil)
	if n, err := a.Deliver(ctx); n != 0 || err != nil {
		t.Fatalf("Deliver() before the next attempt = %d, %v; want nothing due", n, err)
	}
	if n, err := a.Flush(ctx); n != 1 || err != nil || f.postCount() != 1 {
		t.Errorf("Flush() = %d, %v with %d posts; want the message sent now", n, err, f.postCount())
	}
}
